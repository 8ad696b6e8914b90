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
}
