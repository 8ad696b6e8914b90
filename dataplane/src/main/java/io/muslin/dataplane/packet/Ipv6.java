package io.muslin.dataplane.packet;

import io.netty.buffer.ByteBuf;

/**
 * The IPv6 fixed header (RFC 8200 §3). Extension headers are not walked here.
 *
 * <pre>
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |Version| Traffic Class |           Flow Label                  |  0
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |         Payload Length        |  Next Header  |   Hop Limit   |  4
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                      Source Address (128)                     |  8
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                   Destination Address (128)                   | 24
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * </pre>
 *
 * The readers take the absolute index of the header and move no index.
 */
public final class Ipv6 {
    public static final int HEADER_LENGTH = 40;
    public static final int VERSION = 6;

    /** Offsets from the start of the header. */
    public static final int PAYLOAD_LENGTH_OFFSET = 4;
    public static final int NEXT_HEADER = 6;
    public static final int HOP_LIMIT = 7;
    public static final int SRC = 8;
    public static final int DST = 24;

    /** Next-header values (IANA "Assigned Internet Protocol Numbers"; the same space as IPv4's protocol). */
    public static final int NEXT_TCP = 6;
    public static final int NEXT_UDP = 17;
    public static final int NEXT_FRAGMENT = 44;
    public static final int NEXT_ICMPV6 = 58;
    /** The minimum link MTU every IPv6 link must carry (RFC 8200 §5). */
    public static final int MIN_MTU = 1280;

    private Ipv6() {
    }

    /** The version nibble (6 for IPv6). */
    public static int version(ByteBuf buf, int index) {
        return buf.getUnsignedByte(index) >>> 4;
    }

    /** The 8-bit traffic class (DSCP and ECN, as IPv4's TOS byte). */
    public static int trafficClass(ByteBuf buf, int index) {
        return (buf.getUnsignedShort(index) >>> 4) & 0xFF;
    }

    /** Bytes after the fixed 40-byte header, extension headers included. */
    public static int payloadLength(ByteBuf buf, int index) {
        return buf.getUnsignedShort(index + PAYLOAD_LENGTH_OFFSET);
    }

    public static int nextHeader(ByteBuf buf, int index) {
        return buf.getUnsignedByte(index + NEXT_HEADER);
    }

    /** Source address bits 0-63 (network order: the first 8 bytes). */
    public static long srcHi(ByteBuf buf, int index) {
        return buf.getLong(index + SRC);
    }

    /** Source address bits 64-127. */
    public static long srcLo(ByteBuf buf, int index) {
        return buf.getLong(index + SRC + 8);
    }

    public static long dstHi(ByteBuf buf, int index) {
        return buf.getLong(index + DST);
    }

    public static long dstLo(ByteBuf buf, int index) {
        return buf.getLong(index + DST + 8);
    }

    /** True for a multicast address (ff00::/8, RFC 4291 §2.7), given its high word. */
    public static boolean isMulticast(long hi) {
        return (hi >>> 56) == 0xFF;
    }

    /**
     * Writes the 40-byte fixed header at {@code index}: version 6, {@code trafficClass},
     * {@code flowLabel} (20 bits), {@code payloadLength} (bytes after this header), and the
     * addresses as two words each. No checksum: IPv6 has none (RFC 8200 §3).
     */
    public static void writeHeader(ByteBuf buf, int index, int trafficClass, int flowLabel, int payloadLength,
                                   int nextHeader, int hopLimit, long srcHi, long srcLo, long dstHi, long dstLo) {
        if (payloadLength < 0 || payloadLength > 0xFFFF) {
            throw new IllegalArgumentException(
                "IPv6 payload length out of range: " + payloadLength + " (expected: 0-65535)");
        }
        buf.setInt(index, (VERSION << 28) | ((trafficClass & 0xFF) << 20) | (flowLabel & 0xF_FFFF));
        buf.setInt(index + PAYLOAD_LENGTH_OFFSET, (payloadLength << 16) | ((nextHeader & 0xFF) << 8) | (hopLimit & 0xFF));
        buf.setLong(index + SRC, srcHi);
        buf.setLong(index + SRC + 8, srcLo);
        buf.setLong(index + DST, dstHi);
        buf.setLong(index + DST + 8, dstLo);
    }
}
