package io.muslin.dataplane.vxlan;

import io.muslin.dataplane.packet.Arp;
import io.muslin.dataplane.packet.Ethernet;
import io.muslin.dataplane.packet.Ipv4;
import io.muslin.dataplane.packet.Ipv6;
import io.muslin.dataplane.packet.MacAddress;
import io.muslin.dataplane.path.Counter;
import io.netty.buffer.ByteBuf;

/**
 * Validates a received VXLAN frame (a UDP payload) and strips it down to the inner packet.
 * One per receiving thread: {@link #innerSourceMac} is state of the last frame.
 *
 * <pre>
 *  readerIndex on entry            readerIndex on success
 *  |                               |
 *  +-----------+-------------------+---------------------------+---------+
 *  | VXLAN (8) | Ethernet (14)     | IPv4 / IPv6 packet or ARP | padding |
 *  +-----------+-------------------+---------------------------+---------+
 *   I flag set  dst = our VTEP MAC                              ^ writerIndex on success
 *   VNI = ours  or broadcast;
 *               type 0800/86DD/0806
 * </pre>
 *
 * {@link #decode} returns the inner kind ({@link #IPV4}, {@link #IPV6}, {@link #ARP}, all
 * {@code >= 0}) or a drop, {@code -1 - counter.ordinal()}, turned back into its
 * {@link Counter} by {@link #dropReason}. Checks, in order:
 * <ol>
 *   <li>at least 8 + 14 bytes and the I flag set, else {@link Counter#DROP_MALFORMED}
 *       (the reserved bits are ignored, RFC 7348 §5);</li>
 *   <li>the VNI is ours, else {@link Counter#DROP_WRONG_VNI};</li>
 *   <li>the inner destination MAC is ours or broadcast, else {@link Counter#DROP_NOT_OUR_MAC};</li>
 *   <li>the EtherType is IPv4, IPv6 or ARP, else {@link Counter#DROP_UNSUPPORTED_ETHERTYPE};</li>
 *   <li>the payload is a whole packet of that type, else {@link Counter#DROP_MALFORMED}:
 *       IPv4 with version 4, IHL &ge; 5 and IHL×4 &le; total length &le; bytes present;
 *       IPv6 with version 6 and 40 + payload length &le; bytes present; ARP of 28+ bytes.</li>
 * </ol>
 * On success the reader index is at the inner packet and the writer index right after it
 * (Ethernet padding dropped). On a drop neither index moves. The caller keeps ownership.
 */
public final class VxlanDecoder {
    public static final int IPV4 = 0;
    public static final int IPV6 = 1;
    public static final int ARP = 2;

    /** The shortest frame looked at: a VXLAN header and an inner Ethernet header. */
    public static final int MIN_LENGTH = VxlanHeader.LENGTH + Ethernet.HEADER_LENGTH;

    private static final Counter[] COUNTERS = Counter.values();
    private static final int MALFORMED = drop(Counter.DROP_MALFORMED);

    private final int vni;
    private final long localMac;
    private long innerSourceMac = MacAddress.NONE;

    /**
     * @param vni      the VNI we accept, 0..{@value VxlanHeader#MAX_VNI}
     * @param localMac our VTEP MAC: inner frames must be sent to it (or to broadcast)
     */
    public VxlanDecoder(int vni, long localMac) {
        if (vni < 0 || vni > VxlanHeader.MAX_VNI) {
            throw new IllegalArgumentException("VNI out of range: " + vni + " (expected: 0-" + VxlanHeader.MAX_VNI + ")");
        }
        if ((localMac & ~MacAddress.BROADCAST) != 0 || MacAddress.isMulticast(localMac)) {
            throw new IllegalArgumentException("VTEP MAC must be a 48-bit unicast address, not 0x"
                + Long.toHexString(localMac));
        }
        this.vni = vni;
        this.localMac = localMac;
    }

    /**
     * Decodes the frame between {@code datagram}'s reader and writer index.
     *
     * @return {@link #IPV4}, {@link #IPV6} or {@link #ARP}, or a negative drop code
     */
    public int decode(ByteBuf datagram) {
        int start = datagram.readerIndex();
        int length = datagram.readableBytes();
        if (length < MIN_LENGTH || !VxlanHeader.hasValidVni(datagram, start)) {
            return MALFORMED;
        }
        if (VxlanHeader.vni(datagram, start) != vni) {
            return drop(Counter.DROP_WRONG_VNI);
        }
        int frame = start + VxlanHeader.LENGTH;
        long dstMac = Ethernet.dst(datagram, frame);
        if (dstMac != localMac && dstMac != MacAddress.BROADCAST) {
            return drop(Counter.DROP_NOT_OUR_MAC);
        }
        int payload = frame + Ethernet.HEADER_LENGTH;
        int available = length - MIN_LENGTH;
        int packetLength;
        int kind;
        switch (Ethernet.etherType(datagram, frame)) {
            case Ethernet.TYPE_IPV4 -> {
                packetLength = ipv4Length(datagram, payload, available);
                kind = IPV4;
            }
            case Ethernet.TYPE_IPV6 -> {
                packetLength = ipv6Length(datagram, payload, available);
                kind = IPV6;
            }
            case Ethernet.TYPE_ARP -> {
                packetLength = available >= Arp.LENGTH ? Arp.LENGTH : -1;
                kind = ARP;
            }
            default -> {
                return drop(Counter.DROP_UNSUPPORTED_ETHERTYPE);
            }
        }
        if (packetLength < 0) {
            return MALFORMED;
        }
        innerSourceMac = Ethernet.src(datagram, frame);
        datagram.setIndex(payload, payload + packetLength);
        return kind;
    }

    /** The source MAC of the last frame {@link #decode} accepted; {@link MacAddress#NONE} before any. */
    public long innerSourceMac() {
        return innerSourceMac;
    }

    /** True when a {@link #decode} result is a drop. */
    public static boolean isDrop(int result) {
        return result < 0;
    }

    /** The counter of a drop result; {@code null} for a success ({@code result >= 0}). */
    public static Counter dropReason(int result) {
        return result < 0 ? COUNTERS[-1 - result] : null;
    }

    private static int drop(Counter reason) {
        return -1 - reason.ordinal();
    }

    /** Total length of a well-formed IPv4 packet in {@code available} bytes, or -1. */
    private static int ipv4Length(ByteBuf buf, int index, int available) {
        if (available < Ipv4.MIN_HEADER || Ipv4.version(buf, index) != Ipv4.VERSION) {
            return -1;
        }
        int headerLength = Ipv4.headerLength(buf, index);
        int totalLength = Ipv4.totalLength(buf, index);
        if (headerLength < Ipv4.MIN_HEADER || totalLength < headerLength || totalLength > available) {
            return -1;
        }
        return totalLength;
    }

    /** Length of a well-formed IPv6 packet in {@code available} bytes, or -1. */
    private static int ipv6Length(ByteBuf buf, int index, int available) {
        if (available < Ipv6.HEADER_LENGTH || Ipv6.version(buf, index) != Ipv6.VERSION) {
            return -1;
        }
        int packetLength = Ipv6.HEADER_LENGTH + Ipv6.payloadLength(buf, index);
        return packetLength <= available ? packetLength : -1;
    }
}
