package io.muslin.dataplane.packet;

import io.netty.buffer.ByteBuf;

/**
 * ICMPv4 "fragmentation needed" (type 3, code 4, RFC 792 and RFC 1191 §4): written to tell a
 * sender its packet does not fit, and read when the underlay tells us.
 *
 * <pre>
 *  IPv4 (20) | type 3 | code 4 | checksum | unused (16) | next-hop MTU (16) | original IP header + 8 bytes
 * </pre>
 */
public final class Icmp {
    public static final int HEADER = 8;
    public static final int TYPE_DEST_UNREACHABLE = 3;
    public static final int CODE_FRAG_NEEDED = 4;
    /** Bytes of the original datagram after its IP header that an ICMP error quotes (RFC 792). */
    public static final int QUOTED_DATA = 8;
    /** IP precedence "internetwork control", which Linux sets on the ICMP errors it sends. */
    static final int TOS_INTERNETWORK_CONTROL = 0xC0;
    private static final int TTL = 64;

    private Icmp() {
    }

    /** Bytes {@link #writeFragNeeded} writes for an offending packet with an IP header of {@code ihl} bytes. */
    public static int fragNeededLength(int ihl, int offendingLength) {
        return Ipv4.MIN_HEADER + HEADER + Math.min(offendingLength, ihl + QUOTED_DATA);
    }

    /**
     * Writes a whole IPv4 packet, "fragmentation needed and DF set" with next-hop MTU
     * {@code mtu}, from {@code from} to the source of the offending IPv4 packet at
     * {@code offending[at..at+length)}, into {@code dst} at {@code index}. Quotes the offending
     * header and its first 8 data bytes. Returns the packet's length
     * ({@link #fragNeededLength}). Borrows both buffers.
     */
    public static int writeFragNeeded(ByteBuf dst, int index, int from, int mtu, ByteBuf offending, int at, int length) {
        int ihl = Ipv4.headerLength(offending, at);
        int quoted = Math.min(length, ihl + QUOTED_DATA);
        int total = Ipv4.MIN_HEADER + HEADER + quoted;
        Ipv4.writeHeader(dst, index, TOS_INTERNETWORK_CONTROL, total, false, TTL, Ipv4.PROTO_ICMP, from,
            Ipv4.src(offending, at));
        int icmp = index + Ipv4.MIN_HEADER;
        dst.setInt(icmp, TYPE_DEST_UNREACHABLE << 24 | CODE_FRAG_NEEDED << 16); // checksum 0 for now
        dst.setInt(icmp + 4, mtu & 0xFFFF);
        dst.setBytes(icmp + HEADER, offending, at, quoted);
        dst.setShort(icmp + 2, Ipv4.checksum(dst, icmp, HEADER + quoted));
        return total;
    }

    /** True for query types (echo, timestamp, ...; RFC 1122 §3.2.2): anything else is an error message. */
    public static boolean isQuery(int type) {
        return type == 0 || type == 8 || type == 13 || type == 14 || type == 15 || type == 16 || type == 17 || type == 18;
    }

    public static int type(ByteBuf buf, int icmp) {
        return buf.getUnsignedByte(icmp);
    }

    public static int code(ByteBuf buf, int icmp) {
        return buf.getUnsignedByte(icmp + 1);
    }

    /** The next-hop MTU of a "fragmentation needed" message (0 from routers older than RFC 1191). */
    public static int nextHopMtu(ByteBuf buf, int icmp) {
        return buf.getUnsignedShort(icmp + 6);
    }
}
