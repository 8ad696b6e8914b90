package io.muslin.dataplane.packet;

import io.netty.buffer.ByteBuf;

/**
 * ARP for IPv4 over Ethernet (RFC 826), the 28-byte packet after an Ethernet header of type
 * {@link Ethernet#TYPE_ARP}.
 *
 * <pre>
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |    Hardware type HTYPE = 1    |  Protocol type PTYPE = 0x0800 |  0
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |    HLEN = 6   |    PLEN = 4   |     Operation OP = 1 or 2     |  4
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |             Sender MAC address SHA (bytes 0..3)               |  8
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |        SHA (bytes 4..5)       |  Sender IPv4 SPA (bytes 0..1) | 12
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |        SPA (bytes 2..3)       |  Target MAC THA (bytes 0..1)  | 16
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                        THA (bytes 2..5)                       | 20
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                 Target IPv4 address TPA                       | 24
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * </pre>
 *
 * All methods take an absolute index and move no index.
 */
public final class Arp {
    public static final int LENGTH = 28;

    /** Offsets from the start of the ARP packet. */
    public static final int HTYPE_OFFSET = 0;
    public static final int PTYPE_OFFSET = 2;
    public static final int HLEN_OFFSET = 4;
    public static final int PLEN_OFFSET = 5;
    public static final int OP_OFFSET = 6;
    public static final int SHA_OFFSET = 8;
    public static final int SPA_OFFSET = 14;
    public static final int THA_OFFSET = 18;
    public static final int TPA_OFFSET = 24;

    /** Field values for Ethernet and IPv4. */
    public static final int HTYPE_ETHERNET = 1;
    public static final int PTYPE_IPV4 = Ethernet.TYPE_IPV4;
    public static final int HLEN_ETHERNET = 6;
    public static final int PLEN_IPV4 = 4;
    public static final int OP_REQUEST = 1;
    public static final int OP_REPLY = 2;

    /** The first 8 bytes of any Ethernet/IPv4 ARP packet, opcode left zero. */
    private static final long FIXED_PREFIX =
        ((long) HTYPE_ETHERNET << 48) | ((long) PTYPE_IPV4 << 32) | (HLEN_ETHERNET << 24) | (PLEN_IPV4 << 16);

    private Arp() {
    }

    /**
     * True when {@code buf} holds, within its writer index, a well-formed Ethernet/IPv4 ARP
     * request (hardware type 1, protocol 0x0800, lengths 6 and 4, opcode 1) whose target
     * protocol address is {@code targetIp}.
     */
    public static boolean isRequestFor(ByteBuf buf, int index, int targetIp) {
        if (index < 0 || index + LENGTH > buf.writerIndex()) {
            return false;
        }
        return buf.getLong(index) == (FIXED_PREFIX | OP_REQUEST) && targetIp(buf, index) == targetIp;
    }

    /**
     * Writes at {@code index} of {@code out} the reply to the request at {@code requestIndex}:
     * sender {@code ourMac}/{@code ourIp}, target the requester. The request is read before
     * anything is written, so {@code out} may be the request itself (a reply in place).
     */
    public static void writeReply(ByteBuf out, int index, long ourMac, int ourIp, ByteBuf request, int requestIndex) {
        long requesterMac = senderMac(request, requestIndex);
        int requesterIp = senderIp(request, requestIndex);
        out.setLong(index, FIXED_PREFIX | OP_REPLY);
        Ethernet.setMac(out, index + SHA_OFFSET, ourMac);
        out.setInt(index + SPA_OFFSET, ourIp);
        Ethernet.setMac(out, index + THA_OFFSET, requesterMac);
        out.setInt(index + TPA_OFFSET, requesterIp);
    }

    public static int operation(ByteBuf buf, int index) {
        return buf.getUnsignedShort(index + OP_OFFSET);
    }

    public static long senderMac(ByteBuf buf, int index) {
        return Ethernet.getMac(buf, index + SHA_OFFSET);
    }

    public static int senderIp(ByteBuf buf, int index) {
        return buf.getInt(index + SPA_OFFSET);
    }

    public static long targetMac(ByteBuf buf, int index) {
        return Ethernet.getMac(buf, index + THA_OFFSET);
    }

    public static int targetIp(ByteBuf buf, int index) {
        return buf.getInt(index + TPA_OFFSET);
    }
}
