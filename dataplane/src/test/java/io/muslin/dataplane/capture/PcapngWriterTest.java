package io.muslin.dataplane.capture;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/**
 * Block layouts pinned to draft-ietf-opsawg-pcapng-03: every field at its offset, every option
 * padded to 32 bits, the total length at both ends. Blocks are written in the machine's order;
 * the expected bytes here are little-endian (x86, arm64).
 */
class PcapngWriterTest {
    private static final HexFormat HEX = HexFormat.of();

    @Test
    void sectionHeaderBlockMatchesSection4_1() {
        PcapngWriter w = new PcapngWriter();
        w.sectionHeader("muslin");
        byte[] b = bytes(w);
        // type, length 44, magic, major 1 minor 0, section length -1, shb_userappl(4) len 6 "muslin" + 2 pad,
        // opt_endofopt, length again.
        assertEquals("0a0d0d0a" + "2c000000" + "4d3c2b1a" + "0100" + "0000" + "ffffffffffffffff"
            + "0400" + "0600" + HEX.formatHex("muslin".getBytes(StandardCharsets.UTF_8)) + "0000"
            + "00000000" + "2c000000", HEX.formatHex(b));
    }

    @Test
    void interfaceDescriptionBlockMatchesSection4_2() {
        PcapngWriter w = new PcapngWriter();
        assertEquals(0, w.interfaceDescription(PcapngWriter.LINKTYPE_RAW, 65535, "m0:tun-in", "ab"));
        byte[] b = bytes(w);
        assertEquals("01000000" + "38000000" + "6500" + "0000" + "ffff0000"
            + "0200" + "0900" + HEX.formatHex("m0:tun-in".getBytes(StandardCharsets.UTF_8)) + "000000"
            + "0300" + "0200" + "61620000"
            + "0900" + "0100" + "09000000"
            + "00000000" + "38000000", HEX.formatHex(b));
        assertEquals(1, w.interfaceDescription(PcapngWriter.LINKTYPE_RAW, 100, "m0:drop", ""));
    }

    @Test
    void enhancedPacketBlockMatchesSection4_3() {
        PcapngWriter w = new PcapngWriter();
        byte[] data = {0x45, 0, 0, 5, 9};
        w.enhancedPacket(2, 0x0000_0001_0000_0002L, data, 0, 5, 60, "hi");
        byte[] b = bytes(w);
        assertEquals("06000000" + "34000000" + "02000000" + "01000000" + "02000000" + "05000000" + "3c000000"
            + "4500000509000000" + "0100" + "0200" + "68690000" + "00000000" + "34000000", HEX.formatHex(b));
    }

    @ParameterizedTest(name = "{0} bytes of data -> block of {1}")
    @CsvSource({"0, 32", "1, 36", "3, 36", "4, 36", "5, 40", "1500, 1532"})
    void packetDataIsPaddedTo32Bits(int captured, int blockLength) {
        PcapngWriter w = new PcapngWriter();
        w.enhancedPacket(0, 0, new byte[captured], 0, captured, captured, null);
        ByteBuffer b = ByteBuffer.wrap(bytes(w)).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(blockLength, b.remaining());
        assertEquals(blockLength, b.getInt(4));
        assertEquals(blockLength, b.getInt(blockLength - 4));
    }

    @Test
    void drainHandsOutWhatWasWrittenOnce() {
        PcapngWriter w = new PcapngWriter();
        w.sectionHeader("x");
        assertEquals(40, w.pending());
        assertEquals(40, w.drain().remaining());
        assertEquals(0, w.pending());
        byte[] big = new byte[200_000];
        w.enhancedPacket(0, 0, big, 0, 65535, 200_000, "grows");
        byte[] out = bytes(w);
        assertEquals(28 + 65536 + 12 + 4 + 4, out.length);
        assertArrayEquals(new byte[] {6, 0, 0, 0}, java.util.Arrays.copyOf(out, 4));
    }

    static byte[] bytes(PcapngWriter w) {
        ByteBuffer b = w.drain();
        byte[] out = new byte[b.remaining()];
        b.get(out);
        return out;
    }
}
