package io.muslin.dataplane.packet;

import io.netty.buffer.ByteBuf;

/**
 * The Ethernet II header (IEEE 802.3 clause 3.2.6 with an EtherType; no 802.1Q tag), as it
 * appears inside a VXLAN frame. MACs are {@code long}s as in {@link MacAddress}.
 *
 * <pre>
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                  Destination MAC (bytes 0..3)                 |  0
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |  Destination MAC (bytes 4..5) |   Source MAC (bytes 0..1)     |  4
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                    Source MAC (bytes 2..5)                    |  8
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |           EtherType           |   payload ...                   12
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * </pre>
 *
 * All methods take an absolute index and move neither reader nor writer index.
 */
public final class Ethernet {
    public static final int HEADER_LENGTH = 14;
    public static final int DST_OFFSET = 0;
    public static final int SRC_OFFSET = 6;
    public static final int TYPE_OFFSET = 12;

    public static final int TYPE_IPV4 = 0x0800;
    public static final int TYPE_ARP = 0x0806;
    public static final int TYPE_IPV6 = 0x86DD;

    private Ethernet() {
    }

    /** Writes the 14-byte header at {@code index}. */
    public static void write(ByteBuf buf, int index, long dstMac, long srcMac, int etherType) {
        setMac(buf, index + DST_OFFSET, dstMac);
        setMac(buf, index + SRC_OFFSET, srcMac);
        buf.setShort(index + TYPE_OFFSET, etherType);
    }

    public static long dst(ByteBuf buf, int index) {
        return getMac(buf, index + DST_OFFSET);
    }

    public static long src(ByteBuf buf, int index) {
        return getMac(buf, index + SRC_OFFSET);
    }

    public static int etherType(ByteBuf buf, int index) {
        return buf.getUnsignedShort(index + TYPE_OFFSET);
    }

    /** Reads the 6 bytes at {@code index} as a MAC (first octet in bits 47..40). */
    public static long getMac(ByteBuf buf, int index) {
        return ((long) buf.getUnsignedShort(index) << 32) | buf.getUnsignedInt(index + 2);
    }

    /** Writes the low 48 bits of {@code mac} as 6 bytes at {@code index}. */
    public static void setMac(ByteBuf buf, int index, long mac) {
        buf.setShort(index, (int) (mac >>> 32));
        buf.setInt(index + 2, (int) mac);
    }
}
