package io.muslin.dataplane.vxlan;

import io.netty.buffer.ByteBuf;

/**
 * The VXLAN header, RFC 7348 §5.
 *
 * <pre>
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |R|R|R|R|I|R|R|R|            Reserved                           |  0
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                VXLAN Network Identifier (VNI) |   Reserved    |  4
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * </pre>
 *
 * "The I flag MUST be set to 1 for a valid VXLAN Network ID (VNI). The other 7 bits
 * (designated "R") are reserved fields and MUST be set to zero on transmission and ignored
 * on receipt." The 24-bit VNI follows in network order. All methods take an absolute index
 * and move no index.
 */
public final class VxlanHeader {
    public static final int LENGTH = 8;
    public static final int FLAGS_OFFSET = 0;
    public static final int VNI_OFFSET = 4;
    /** The I flag: the VNI is valid. */
    public static final int FLAG_I = 0x08;
    public static final int MAX_VNI = 0xFFFFFF;

    /** UDP port of the Linux vxlan driver's default and of flannel. */
    public static final int DEFAULT_PORT = 8472;
    /** UDP port assigned by IANA (RFC 7348 §5). */
    public static final int IANA_PORT = 4789;

    private VxlanHeader() {
    }

    /** Writes the 8-byte header: flags {@code 0x08}, reserved bytes zero, {@code vni}. */
    public static void write(ByteBuf buf, int index, int vni) {
        if ((vni & ~MAX_VNI) != 0) {
            throw new IllegalArgumentException("VNI out of range: " + vni + " (expected: 0-" + MAX_VNI + ")");
        }
        buf.setInt(index + FLAGS_OFFSET, FLAG_I << 24);
        buf.setInt(index + VNI_OFFSET, vni << 8);
    }

    /** True when the I flag is set; the reserved bits are ignored. */
    public static boolean hasValidVni(ByteBuf buf, int index) {
        return (buf.getByte(index + FLAGS_OFFSET) & FLAG_I) != 0;
    }

    /** The 24-bit VNI. */
    public static int vni(ByteBuf buf, int index) {
        return buf.getUnsignedMedium(index + VNI_OFFSET);
    }
}
