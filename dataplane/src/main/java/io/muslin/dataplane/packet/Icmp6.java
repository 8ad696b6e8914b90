package io.muslin.dataplane.packet;

import io.netty.buffer.ByteBuf;

/**
 * ICMPv6 Packet Too Big (RFC 4443 §3.2): written to tell a local sender its IPv6 packet does not
 * fit the tunnel, and read when a router on an IPv6 underlay tells us (RFC 8201, path MTU
 * discovery for IPv6: routers never fragment, so this message is the only way a sender learns).
 *
 * <pre>
 *  IPv6 (40), next header 58 | type 2 | code 0 | checksum | MTU (32) | as much of the invoking packet
 *                                                                      as fits in 1280 bytes in all
 * </pre>
 *
 * The checksum covers the IPv6 pseudo-header (RFC 8200 §8.1: source, destination, upper-layer
 * length, next header 58) and the whole ICMPv6 message. Readers take the absolute index of the
 * ICMPv6 header and move no index.
 */
public final class Icmp6 {
    public static final int HEADER = 8;
    public static final int TYPE_PACKET_TOO_BIG = 2;
    /** Types below 128 are error messages, 128 and up informational (RFC 4443 §2.1). */
    public static final int FIRST_INFORMATIONAL = 128;
    /** RFC 4443 §3.2: the invoking packet is quoted so that the whole message fits the minimum MTU. */
    public static final int MAX_MESSAGE = Ipv6.MIN_MTU;
    private static final int HOP_LIMIT = 64;
    private static final int MTU_OFFSET = 4;

    private Icmp6() {
    }

    /** Bytes {@link #writePacketTooBig} writes for an offending packet of {@code offendingLength} bytes. */
    public static int packetTooBigLength(int offendingLength) {
        return Math.min(MAX_MESSAGE, Ipv6.HEADER_LENGTH + HEADER + offendingLength);
    }

    /**
     * Writes a whole IPv6 packet, Packet Too Big with {@code mtu}, from ({@code fromHi},
     * {@code fromLo}) to the source of the offending IPv6 packet at
     * {@code offending[at..at+length)}, into {@code dst} at {@code index}; it quotes as much of the
     * offending packet as fits in {@value #MAX_MESSAGE} bytes. Returns the packet's length
     * ({@link #packetTooBigLength}). Borrows both buffers.
     */
    public static int writePacketTooBig(ByteBuf dst, int index, long fromHi, long fromLo, int mtu, ByteBuf offending,
                                        int at, int length) {
        int total = packetTooBigLength(length);
        int message = total - Ipv6.HEADER_LENGTH;
        int quoted = message - HEADER;
        Ipv6.writeHeader(dst, index, 0, 0, message, Ipv6.NEXT_ICMPV6, HOP_LIMIT, fromHi, fromLo,
            Ipv6.srcHi(offending, at), Ipv6.srcLo(offending, at));
        int icmp = index + Ipv6.HEADER_LENGTH;
        dst.setInt(icmp, TYPE_PACKET_TOO_BIG << 24); // code 0, checksum 0 for now
        dst.setInt(icmp + MTU_OFFSET, mtu);
        dst.setBytes(icmp + HEADER, offending, at, quoted);
        dst.setShort(icmp + 2, checksum(dst, index, icmp, message));
        return total;
    }

    /**
     * The ICMPv6 checksum of the {@code length}-byte message at {@code icmp} inside the IPv6
     * packet at {@code ip} (whose addresses make the pseudo-header); over a message whose checksum
     * field is right the result is 0.
     */
    public static int checksum(ByteBuf buf, int ip, int icmp, int length) {
        long sum = Ipv4.wordSum(buf, ip + Ipv6.SRC, 32) + length + Ipv6.NEXT_ICMPV6 + Ipv4.wordSum(buf, icmp, length);
        return ~Ipv4.fold(sum) & 0xFFFF;
    }

    /** True for an ICMPv6 error message type (below 128), about which no error is ever sent (RFC 4443 §2.4 e.1). */
    public static boolean isError(int type) {
        return type < FIRST_INFORMATIONAL;
    }

    /**
     * Where a Packet Too Big message says a VXLAN datagram of ours did not fit: the index of the
     * quoted packet's IPv6 header (its destination is the peer), or -1 when the message is not
     * one (type 2 code 0, with a quoted IPv6 header whole), or the quoted packet was not ours
     * (source ({@code localHi}, {@code localLo}), next header UDP, destination port
     * {@code port}, whose first 4 UDP bytes must be quoted). {@code buf[icmp..icmp+length)} is
     * the ICMPv6 message as a raw ICMPv6 socket delivers it (no IPv6 header in front, unlike
     * IPv4's raw sockets). Reads only inside those bounds; never throws.
     */
    public static int quotedVxlanPacket(ByteBuf buf, int icmp, int length, long localHi, long localLo, int port) {
        int quoted = icmp + HEADER;
        int end = icmp + length;
        if (length < HEADER + Ipv6.HEADER_LENGTH + 4 || type(buf, icmp) != TYPE_PACKET_TOO_BIG || code(buf, icmp) != 0
            || Ipv6.version(buf, quoted) != Ipv6.VERSION || Ipv6.nextHeader(buf, quoted) != Ipv6.NEXT_UDP
            || Ipv6.srcHi(buf, quoted) != localHi || Ipv6.srcLo(buf, quoted) != localLo) {
            return -1;
        }
        int udp = quoted + Ipv6.HEADER_LENGTH;
        if (udp + 4 > end || buf.getUnsignedShort(udp + 2) != port) {
            return -1;
        }
        return quoted;
    }

    public static int type(ByteBuf buf, int icmp) {
        return buf.getUnsignedByte(icmp);
    }

    public static int code(ByteBuf buf, int icmp) {
        return buf.getUnsignedByte(icmp + 1);
    }

    /** The MTU of a Packet Too Big message (32 bits; values past an int's range read as Integer.MAX_VALUE). */
    public static int mtu(ByteBuf buf, int icmp) {
        long mtu = buf.getUnsignedInt(icmp + MTU_OFFSET);
        return (int) Math.min(mtu, Integer.MAX_VALUE);
    }
}
