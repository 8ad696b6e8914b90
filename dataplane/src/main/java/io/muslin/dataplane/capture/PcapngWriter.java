package io.muslin.dataplane.capture;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * Writes pcapng blocks (draft-ietf-opsawg-pcapng-03, "PCAP Next Generation (pcapng) Capture
 * File Format") into a growing buffer, in the machine's byte order (readers tell it from the
 * section header's byte-order magic). Three block types, enough for a capture with several
 * interfaces and a comment per packet:
 *
 * <pre>
 *  Section Header Block (§4.1)            Interface Description Block (§4.2)
 *  +-------------------------------+      +-------------------------------+
 *  | Block Type = 0x0A0D0D0A       |      | Block Type = 0x00000001       |
 *  | Block Total Length            |      | Block Total Length            |
 *  | Byte-Order Magic = 0x1A2B3C4D |      | LinkType (16) | Reserved (16) |
 *  | Major = 1 (16)| Minor = 0 (16)|      | SnapLen                       |
 *  | Section Length = -1 (64)      |      | options: if_name, if_description,
 *  | options: shb_userappl         |      |          if_tsresol = 9 (ns)  |
 *  | Block Total Length            |      | Block Total Length            |
 *  +-------------------------------+      +-------------------------------+
 *
 *  Enhanced Packet Block (§4.3)           Option (§3.5)
 *  +-------------------------------+      +-------------------------------+
 *  | Block Type = 0x00000006       |      | Code (16)     | Length (16)   |
 *  | Block Total Length            |      | Value, padded to 32 bits      |
 *  | Interface ID                  |      +-------------------------------+
 *  | Timestamp (High) | (Low)      |      ... ending with opt_endofopt (0, 0)
 *  | Captured Packet Length        |
 *  | Original Packet Length        |
 *  | Packet Data, padded to 32 bits|
 *  | options: opt_comment          |
 *  | Block Total Length            |
 *  +-------------------------------+
 * </pre>
 *
 * <p>Why our own: pcap4j writes classic pcap only (libpcap's {@code pcap_dump}, which has no
 * interfaces or comments), and no maintained Java library writes pcapng.
 *
 * <p>Not thread-safe: one writer thread owns an instance. {@link #drain} hands out what was
 * written since the last drain; a file is complete at every block boundary.
 */
public final class PcapngWriter {
    // Block types (§4, §11.1).
    public static final int SECTION_HEADER = 0x0A0D0D0A;
    public static final int INTERFACE_DESCRIPTION = 0x00000001;
    public static final int ENHANCED_PACKET = 0x00000006;
    public static final int BYTE_ORDER_MAGIC = 0x1A2B3C4D;
    // Option codes (§3.5, §4.1, §4.2).
    public static final int OPT_ENDOFOPT = 0;
    public static final int OPT_COMMENT = 1;
    public static final int SHB_USERAPPL = 4;
    public static final int IF_NAME = 2;
    public static final int IF_DESCRIPTION = 3;
    public static final int IF_TSRESOL = 9;
    /** if_tsresol value: 10^-9 s, so timestamps are nanoseconds. */
    public static final int TSRESOL_NANOS = 9;
    /** LINKTYPE_RAW: raw IPv4 or IPv6, the version nibble says which (tcpdump.org link types). */
    public static final int LINKTYPE_RAW = 101;

    private ByteBuffer out = ByteBuffer.allocate(1 << 16).order(ByteOrder.nativeOrder());
    private int interfaces;

    /** A Section Header Block of unknown section length, naming the application. */
    public void sectionHeader(String application) {
        byte[] app = utf8(application);
        int length = 28 + optionLength(app.length) + 4;
        ensure(length);
        int start = out.position();
        out.putInt(SECTION_HEADER).putInt(length).putInt(BYTE_ORDER_MAGIC)
            .putShort((short) 1).putShort((short) 0).putLong(-1L);
        option(SHB_USERAPPL, app);
        out.putShort((short) OPT_ENDOFOPT).putShort((short) 0);
        out.putInt(length);
        assert out.position() - start == length;
        interfaces = 0;
    }

    /**
     * An Interface Description Block with nanosecond timestamps.
     *
     * @return its interface ID (0, 1, ... in the order written in this section)
     */
    public int interfaceDescription(int linkType, int snapLength, String name, String description) {
        byte[] n = utf8(name);
        byte[] d = utf8(description);
        int length = 16 + optionLength(n.length) + optionLength(d.length) + optionLength(1) + 4 + 4;
        ensure(length);
        out.putInt(INTERFACE_DESCRIPTION).putInt(length).putShort((short) linkType).putShort((short) 0)
            .putInt(snapLength);
        option(IF_NAME, n);
        option(IF_DESCRIPTION, d);
        option(IF_TSRESOL, new byte[] {TSRESOL_NANOS});
        out.putShort((short) OPT_ENDOFOPT).putShort((short) 0);
        out.putInt(length);
        return interfaces++;
    }

    /**
     * An Enhanced Packet Block: {@code captured} bytes of {@code data} from {@code offset} (the
     * first bytes of a packet that was {@code original} bytes long), with an {@code opt_comment}
     * unless {@code comment} is null.
     */
    public void enhancedPacket(int interfaceId, long timestampNanos, byte[] data, int offset, int captured,
                               int original, String comment) {
        byte[] c = comment == null ? null : utf8(comment);
        int length = 28 + pad(captured) + (c == null ? 0 : optionLength(c.length) + 4) + 4;
        ensure(length);
        out.putInt(ENHANCED_PACKET).putInt(length).putInt(interfaceId)
            .putInt((int) (timestampNanos >>> 32)).putInt((int) timestampNanos)
            .putInt(captured).putInt(original);
        out.put(data, offset, captured);
        zeros(pad(captured) - captured);
        if (c != null) {
            option(OPT_COMMENT, c);
            out.putShort((short) OPT_ENDOFOPT).putShort((short) 0);
        }
        out.putInt(length);
    }

    /** Bytes written and not yet drained. */
    public int pending() {
        return out.position();
    }

    /** What was written since the last drain, as a buffer to read from (valid until the next write). */
    public ByteBuffer drain() {
        ByteBuffer view = out.duplicate().flip();
        out.clear();
        return view;
    }

    private void option(int code, byte[] value) {
        out.putShort((short) code).putShort((short) value.length).put(value);
        zeros(pad(value.length) - value.length);
    }

    private void zeros(int n) {
        for (int i = 0; i < n; i++) {
            out.put((byte) 0);
        }
    }

    private void ensure(int length) {
        if (out.remaining() < length) {
            ByteBuffer bigger = ByteBuffer.allocate(Math.max(out.capacity() * 2, out.position() + length))
                .order(ByteOrder.nativeOrder());
            bigger.put(out.flip());
            out = bigger;
        }
    }

    private static int optionLength(int valueLength) {
        return 4 + pad(valueLength);
    }

    private static int pad(int n) {
        return (n + 3) & ~3;
    }

    private static byte[] utf8(String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        if (b.length > 0xFFFF) {
            throw new IllegalArgumentException("pcapng option longer than 65535 bytes: " + b.length);
        }
        return b;
    }
}
