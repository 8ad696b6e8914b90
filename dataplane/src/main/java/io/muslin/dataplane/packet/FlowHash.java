package io.muslin.dataplane.packet;

import io.netty.buffer.ByteBuf;

/**
 * A hash of an inner packet's flow, and the outer UDP source port made from it.
 *
 * <p>RFC 7348 §5 asks for the outer UDP source port to be "calculated using a hash of fields
 * from the inner packet" so that ECMP and RSS in the underlay spread flows while keeping each
 * flow on one path. The kernel's vxlan driver does this with {@code udp_flow_src_port()} over
 * the flow dissector's keys; this class hashes the same fields:
 * <ul>
 *   <li>IPv4: source, destination, protocol, and for an unfragmented TCP or UDP packet whose
 *       ports are present, the 4 bytes of source and destination port;</li>
 *   <li>IPv6: source, destination, next header, and the ports when the next header is TCP or
 *       UDP (extension headers are not walked).</li>
 * </ul>
 * The words are mixed as in MurmurHash3 (x86_32). {@link #hash} reads only inside
 * {@code [ipIndex, writerIndex)} and never throws: a packet too short for a field simply
 * leaves that field out.
 */
public final class FlowHash {
    /** Linux's default {@code net.ipv4.ip_local_port_range}: the range the kernel's vxlan uses. */
    public static final int SOURCE_PORT_MIN = 32768;
    public static final int SOURCE_PORT_MAX = 60999;
    private static final long SOURCE_PORT_COUNT = SOURCE_PORT_MAX - SOURCE_PORT_MIN + 1;

    private static final int SEED = 0x6D75736C; // "musl"
    private static final int PORTS_LENGTH = 4;

    private FlowHash() {
    }

    /** The flow hash of the IPv4 or IPv6 packet at {@code ipIndex}; 0 when it is neither. */
    public static int hash(ByteBuf buf, int ipIndex) {
        int limit = buf.writerIndex();
        if (ipIndex < 0 || ipIndex >= limit) {
            return 0;
        }
        return switch (buf.getUnsignedByte(ipIndex) >>> 4) {
            case Ipv4.VERSION -> hashIpv4(buf, ipIndex, limit);
            case Ipv6.VERSION -> hashIpv6(buf, ipIndex, limit);
            default -> 0;
        };
    }

    /**
     * Maps a hash onto {@link #SOURCE_PORT_MIN}..{@link #SOURCE_PORT_MAX} inclusive by
     * multiply-shift, as {@code udp_flow_src_port()} does (the kernel's upper bound is
     * exclusive, so it never picks 60999; this does).
     */
    public static int sourcePort(int hash) {
        return SOURCE_PORT_MIN + (int) (((hash & 0xFFFF_FFFFL) * SOURCE_PORT_COUNT) >>> 32);
    }

    private static int hashIpv4(ByteBuf buf, int index, int limit) {
        if (index + Ipv4.MIN_HEADER > limit) {
            return 0;
        }
        int protocol = Ipv4.protocol(buf, index);
        int h = SEED;
        h = mix(h, Ipv4.src(buf, index));
        h = mix(h, Ipv4.dst(buf, index));
        h = mix(h, protocol);
        int headerLength = Ipv4.headerLength(buf, index);
        if (hasPorts(protocol) && headerLength >= Ipv4.MIN_HEADER && !Ipv4.isFragment(buf, index)
            && index + headerLength + PORTS_LENGTH <= limit) {
            h = mix(h, buf.getInt(index + headerLength));
        }
        return fmix32(h);
    }

    private static int hashIpv6(ByteBuf buf, int index, int limit) {
        if (index + Ipv6.HEADER_LENGTH > limit) {
            return 0;
        }
        int nextHeader = Ipv6.nextHeader(buf, index);
        int h = SEED;
        for (int offset = Ipv6.SRC; offset < Ipv6.HEADER_LENGTH; offset += 4) {
            h = mix(h, buf.getInt(index + offset)); // source then destination, 8 words
        }
        h = mix(h, nextHeader);
        if (hasPorts(nextHeader) && index + Ipv6.HEADER_LENGTH + PORTS_LENGTH <= limit) {
            h = mix(h, buf.getInt(index + Ipv6.HEADER_LENGTH));
        }
        return fmix32(h);
    }

    private static boolean hasPorts(int protocol) {
        return protocol == Ipv4.PROTO_TCP || protocol == Ipv4.PROTO_UDP;
    }

    /** MurmurHash3 x86_32 body step for one 32-bit word. */
    private static int mix(int h, int k) {
        k *= 0xCC9E2D51;
        k = Integer.rotateLeft(k, 15);
        k *= 0x1B873593;
        h ^= k;
        h = Integer.rotateLeft(h, 13);
        return h * 5 + 0xE6546B64;
    }

    /** MurmurHash3 finalizer: every input bit affects every output bit. */
    private static int fmix32(int h) {
        h ^= h >>> 16;
        h *= 0x85EBCA6B;
        h ^= h >>> 13;
        h *= 0xC2B2AE35;
        h ^= h >>> 16;
        return h;
    }
}
