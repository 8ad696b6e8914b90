package io.muslin.dataplane.packet;

import io.netty.buffer.ByteBuf;

/**
 * The IPv4 header (RFC 791 §3.1) and the Internet checksum (RFC 1071).
 *
 * <pre>
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |Version|  IHL  |Type of Service|          Total Length         |  0
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |         Identification        |Flags|      Fragment Offset    |  4
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |  Time to Live |    Protocol   |         Header Checksum       |  8
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                       Source Address                          | 12
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                    Destination Address                        | 16
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                    Options (IHL > 5)          |    Padding    | 20
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * Flags: bit 0 reserved, bit 1 DF (0x4000), bit 2 MF (0x2000)
 * </pre>
 *
 * The readers take the absolute index of the header, move no index and do not check that
 * the header is complete: callers validate lengths first (as {@code VxlanDecoder} does).
 */
public final class Ipv4 {
    /** Offsets from the start of the header. */
    public static final int VERSION_IHL = 0;
    public static final int TOS = 1;
    public static final int TOTAL_LENGTH = 2;
    public static final int ID = 4;
    public static final int FLAGS_FRAG = 6;
    public static final int TTL = 8;
    public static final int PROTOCOL = 9;
    public static final int CHECKSUM = 10;
    public static final int SRC = 12;
    public static final int DST = 16;

    /** Header length without options (IHL 5). */
    public static final int MIN_HEADER = 20;
    public static final int VERSION = 4;

    /** Bits of the 16-bit flags/fragment-offset field. */
    public static final int FLAG_DF = 0x4000;
    public static final int FLAG_MF = 0x2000;
    public static final int FRAGMENT_OFFSET_MASK = 0x1FFF;

    /** Protocol numbers (IANA "Assigned Internet Protocol Numbers"). */
    public static final int PROTO_ICMP = 1;
    public static final int PROTO_IPIP = 4;
    public static final int PROTO_TCP = 6;
    public static final int PROTO_UDP = 17;

    private Ipv4() {
    }

    /** The version nibble (4 for IPv4); the same field as {@link Ipv6#version}. */
    public static int version(ByteBuf buf, int index) {
        return buf.getUnsignedByte(index + VERSION_IHL) >>> 4;
    }

    /** IHL × 4: the header length in bytes, options included. */
    public static int headerLength(ByteBuf buf, int index) {
        return (buf.getUnsignedByte(index + VERSION_IHL) & 0x0F) << 2;
    }

    public static int tos(ByteBuf buf, int index) {
        return buf.getUnsignedByte(index + TOS);
    }

    /** Header plus data, in bytes. */
    public static int totalLength(ByteBuf buf, int index) {
        return buf.getUnsignedShort(index + TOTAL_LENGTH);
    }

    public static boolean dontFragment(ByteBuf buf, int index) {
        return (buf.getUnsignedShort(index + FLAGS_FRAG) & FLAG_DF) != 0;
    }

    /** True for any fragment: MF set (not the last) or a non-zero offset (not the first). */
    public static boolean isFragment(ByteBuf buf, int index) {
        return (buf.getUnsignedShort(index + FLAGS_FRAG) & (FLAG_MF | FRAGMENT_OFFSET_MASK)) != 0;
    }

    public static int ttl(ByteBuf buf, int index) {
        return buf.getUnsignedByte(index + TTL);
    }

    public static int protocol(ByteBuf buf, int index) {
        return buf.getUnsignedByte(index + PROTOCOL);
    }

    public static int src(ByteBuf buf, int index) {
        return buf.getInt(index + SRC);
    }

    public static int dst(ByteBuf buf, int index) {
        return buf.getInt(index + DST);
    }

    /**
     * The Internet checksum (RFC 1071) of {@code length} bytes at {@code index}: the one's
     * complement of the one's-complement sum of the 16-bit words, an odd last byte padded
     * with zero. Over a header whose checksum field is correct the result is 0.
     */
    public static int checksum(ByteBuf buf, int index, int length) {
        return ~fold(wordSum(buf, index, length)) & 0xFFFF;
    }

    /**
     * The unfolded one's-complement sum of {@code length} bytes at {@code index}, an odd last
     * byte padded with zero: RFC 1071 §2(B) lets the sum be taken over 32-bit words and folded
     * afterwards. No index moves.
     */
    public static long wordSum(ByteBuf buf, int index, int length) {
        long sum = 0;
        int end = index + length;
        int i = index;
        for (; i + 4 <= end; i += 4) {
            sum += buf.getUnsignedInt(i);
        }
        if (i + 2 <= end) {
            sum += buf.getUnsignedShort(i);
            i += 2;
        }
        if (i < end) {
            sum += buf.getUnsignedByte(i) << 8;
        }
        return sum;
    }

    /**
     * Writes a 20-byte header (IHL 5, ID 0, fragment offset 0) with a correct checksum at
     * {@code index}. {@code totalLength} is the header plus its payload.
     */
    public static void writeHeader(ByteBuf buf, int index, int tos, int totalLength, boolean df, int ttl,
                                   int protocol, int src, int dst) {
        if (totalLength < MIN_HEADER || totalLength > 0xFFFF) {
            throw new IllegalArgumentException(
                "IPv4 total length out of range: " + totalLength + " (expected: " + MIN_HEADER + "-65535)");
        }
        int word0 = (VERSION << 28) | (5 << 24) | ((tos & 0xFF) << 16) | totalLength;
        int word1 = df ? FLAG_DF : 0;
        int word2 = ((ttl & 0xFF) << 24) | ((protocol & 0xFF) << 16);
        long sum = (word0 >>> 16) + (word0 & 0xFFFF) + word1 + (word2 >>> 16)
            + (src >>> 16) + (src & 0xFFFF) + (dst >>> 16) + (dst & 0xFFFF);
        buf.setInt(index + VERSION_IHL, word0);
        buf.setInt(index + ID, word1);
        buf.setInt(index + TTL, word2 | (~fold(sum) & 0xFFFF));
        buf.setInt(index + SRC, src);
        buf.setInt(index + DST, dst);
    }

    /** Folds the carries of a one's-complement sum into 16 bits. */
    public static int fold(long sum) {
        while ((sum >>> 16) != 0) {
            sum = (sum & 0xFFFF) + (sum >>> 16);
        }
        return (int) sum;
    }
}
