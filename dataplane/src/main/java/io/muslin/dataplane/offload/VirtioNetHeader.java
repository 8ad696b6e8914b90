package io.muslin.dataplane.offload;

import io.netty.buffer.ByteBuf;

/**
 * The {@code struct virtio_net_hdr} that starts every read from and write to a TUN device
 * opened with {@code IFF_VNET_HDR} (linux/virtio_net.h; virtio 1.x §5.1.6, "Device
 * Operation"). Its fields are little-endian (virtio 1.x, and what the kernel uses for TUN on
 * little-endian hosts).
 *
 * <pre>
 *  0        1          2          4           6             8              10
 *  +--------+----------+----------+-----------+-------------+--------------+
 *  | flags  | gso_type | hdr_len  | gso_size  | csum_start  | csum_offset  |
 *  +--------+----------+----------+-----------+-------------+--------------+
 *   u8        u8         le16       le16        le16          le16
 *
 *  flags     NEEDS_CSUM (1): the transport checksum is not done; the field at
 *            csum_start + csum_offset holds the folded pseudo-header sum, and the
 *            checksum is the one's complement of the sum from csum_start to the end.
 *            DATA_VALID (2): the checksum was verified (receive side only).
 *  gso_type  NONE 0, TCPV4 1, UDP 3, TCPV6 4, UDP_L4 5; | ECN 0x80 (the flow uses ECN, CWR
 *            appears only on the first segment).
 *  hdr_len   bytes of IP + transport header before the payload of each segment.
 *  gso_size  payload bytes per segment (the MSS); the last may be shorter.
 * </pre>
 *
 * Reads take the absolute index of the header and move no index.
 */
public final class VirtioNetHeader {
    public static final int LENGTH = 10;

    /** Offsets from the start of the header. */
    public static final int FLAGS = 0;
    public static final int GSO_TYPE = 1;
    public static final int HDR_LEN = 2;
    public static final int GSO_SIZE = 4;
    public static final int CSUM_START = 6;
    public static final int CSUM_OFFSET = 8;

    /** {@code flags} bits. */
    public static final int FLAG_NEEDS_CSUM = 1;
    public static final int FLAG_DATA_VALID = 2;

    /** {@code gso_type} values. */
    public static final int GSO_NONE = 0;
    public static final int GSO_TCPV4 = 1;
    public static final int GSO_UDP = 3;
    public static final int GSO_TCPV6 = 4;
    public static final int GSO_UDP_L4 = 5;
    public static final int GSO_ECN = 0x80;

    private VirtioNetHeader() {
    }

    public static int flags(ByteBuf buf, int index) {
        return buf.getUnsignedByte(index + FLAGS);
    }

    /** The GSO type with the {@link #GSO_ECN} bit cleared. */
    public static int gsoType(ByteBuf buf, int index) {
        return buf.getUnsignedByte(index + GSO_TYPE) & ~GSO_ECN;
    }

    public static int hdrLen(ByteBuf buf, int index) {
        return buf.getUnsignedShortLE(index + HDR_LEN);
    }

    public static int gsoSize(ByteBuf buf, int index) {
        return buf.getUnsignedShortLE(index + GSO_SIZE);
    }

    public static int csumStart(ByteBuf buf, int index) {
        return buf.getUnsignedShortLE(index + CSUM_START);
    }

    public static int csumOffset(ByteBuf buf, int index) {
        return buf.getUnsignedShortLE(index + CSUM_OFFSET);
    }

    /** Writes a whole header at {@code index}. */
    public static void write(ByteBuf buf, int index, int flags, int gsoType, int hdrLen, int gsoSize,
                             int csumStart, int csumOffset) {
        buf.setByte(index + FLAGS, flags);
        buf.setByte(index + GSO_TYPE, gsoType);
        buf.setShortLE(index + HDR_LEN, hdrLen);
        buf.setShortLE(index + GSO_SIZE, gsoSize);
        buf.setShortLE(index + CSUM_START, csumStart);
        buf.setShortLE(index + CSUM_OFFSET, csumOffset);
    }

    /** Writes the all-zero header of a plain packet: no GSO, checksum complete. */
    public static void writeNone(ByteBuf buf, int index) {
        buf.setLong(index, 0L);
        buf.setShort(index + 8, 0);
    }
}
