package io.muslin.dataplane.vxlan;

import static io.muslin.dataplane.packet.Packets.buffer;
import static io.muslin.dataplane.packet.Packets.hex;
import static io.muslin.dataplane.packet.Packets.squash;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class VxlanHeaderTest {

    /** RFC 7348 §5: flags 0x08 (I), 24 reserved bits, 24-bit VNI in network order, 8 reserved bits. */
    @ParameterizedTest(name = "RFC 7348 §5: VNI {0} -> {1}")
    @CsvSource({
        "0,        08 000000 000000 00",
        "1,        08 000000 000001 00",
        "0xFF,     08 000000 0000ff 00",
        "0x100,    08 000000 000100 00",
        "0x123456, 08 000000 123456 00",
        "0xFFFFFF, 08 000000 ffffff 00",
    })
    void writesTheRfcLayout(String vni, String expected) {
        ByteBuf buf = Unpooled.directBuffer(VxlanHeader.LENGTH).writeZero(VxlanHeader.LENGTH);
        VxlanHeader.write(buf, 0, Integer.decode(vni));
        assertEquals(squash(expected), hex(buf));
        assertTrue(buf.release());
    }

    @ParameterizedTest(name = "RFC 7348 §5: {1} -> VNI {0}")
    @CsvSource({
        "1,        08 000000 000001 00",
        "0x123456, 08 000000 123456 00",
        "0xFFFFFF, 08 000000 ffffff 00",
        // "reserved fields ... MUST be ignored on receipt"
        "1,        ff ffffff 000001 ff",
        "0x123456, 0c 010203 123456 99",
    })
    void readsTheVniAndIgnoresReservedBits(String vni, String header) {
        ByteBuf buf = buffer(header);
        assertTrue(VxlanHeader.hasValidVni(buf, 0));
        assertEquals((int) Integer.decode(vni), VxlanHeader.vni(buf, 0));
        assertTrue(buf.release());
    }

    @ParameterizedTest(name = "I flag clear: {0}")
    @ValueSource(strings = {"00 000000 000001 00", "f7 ffffff 000001 00", "80 000000 000001 00"})
    void iFlagClearIsNotAValidVni(String header) {
        ByteBuf buf = buffer(header);
        assertFalse(VxlanHeader.hasValidVni(buf, 0));
        assertTrue(buf.release());
    }

    @Test
    void writesAtAnAbsoluteIndexWithoutMovingIndicesOrNeighbours() {
        ByteBuf buf = Unpooled.directBuffer(16);
        for (int i = 0; i < 16; i++) {
            buf.writeByte(0xAA);
        }
        buf.readerIndex(2);
        VxlanHeader.write(buf, 3, 0x123456);
        assertEquals(2, buf.readerIndex());
        assertEquals(16, buf.writerIndex());
        assertEquals("aaaaaa" + "0800000012345600" + "aaaaaaaaaa", hex(buf, 0, 16));
        assertEquals(0x123456, VxlanHeader.vni(buf, 3));
        assertTrue(buf.release());
    }

    @ParameterizedTest(name = "VNI {0} rejected")
    @ValueSource(ints = {-1, 0x1000000, Integer.MIN_VALUE, Integer.MAX_VALUE})
    void rejectsVniOutside24Bits(int vni) {
        ByteBuf buf = Unpooled.directBuffer(VxlanHeader.LENGTH).writeZero(VxlanHeader.LENGTH);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> VxlanHeader.write(buf, 0, vni));
        assertEquals("VNI out of range: " + vni + " (expected: 0-16777215)", e.getMessage());
        assertEquals("0000000000000000", hex(buf));
        assertTrue(buf.release());
    }

    @Test
    void portsAndLayoutConstants() {
        assertEquals(8472, VxlanHeader.DEFAULT_PORT, "Linux default, flannel");
        assertEquals(4789, VxlanHeader.IANA_PORT, "RFC 7348 §5");
        assertEquals(8, VxlanHeader.LENGTH);
        assertEquals(0, VxlanHeader.FLAGS_OFFSET);
        assertEquals(4, VxlanHeader.VNI_OFFSET);
        assertEquals(0x08, VxlanHeader.FLAG_I);
        assertEquals((1 << 24) - 1, VxlanHeader.MAX_VNI);
    }
}
