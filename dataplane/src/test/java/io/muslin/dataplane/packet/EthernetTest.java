package io.muslin.dataplane.packet;

import static io.muslin.dataplane.packet.Packets.buffer;
import static io.muslin.dataplane.packet.Packets.hex;
import static io.muslin.dataplane.packet.Packets.squash;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class EthernetTest {

    /** Ethernet II: destination MAC, source MAC, EtherType, first octet first. */
    @ParameterizedTest(name = "{0} <- {1} type {2}")
    @CsvSource({
        "02:bb:00:00:00:02, 02:aa:00:00:00:01, 0x0800, 02bb00000002 02aa00000001 0800",
        "ff:ff:ff:ff:ff:ff, 02:aa:00:00:00:01, 0x0806, ffffffffffff 02aa00000001 0806",
        "33:33:00:00:00:01, c6:d2:32:6f:8f:44, 0x86DD, 333300000001 c6d2326f8f44 86dd",
        "00:00:00:00:00:00, 80:01:02:03:04:fe, 0xFFFF, 000000000000 8001020304fe ffff",
    })
    void writesAndReadsTheHeader(String dst, String src, String type, String expected) {
        long dstMac = MacAddress.parse(dst);
        long srcMac = MacAddress.parse(src);
        int etherType = Integer.decode(type);
        ByteBuf buf = Unpooled.directBuffer(Ethernet.HEADER_LENGTH).writeZero(Ethernet.HEADER_LENGTH);

        Ethernet.write(buf, 0, dstMac, srcMac, etherType);

        assertEquals(squash(expected), hex(buf));
        assertEquals(dstMac, Ethernet.dst(buf, 0));
        assertEquals(srcMac, Ethernet.src(buf, 0));
        assertEquals(etherType, Ethernet.etherType(buf, 0));
        assertEquals(0, buf.readerIndex());
        assertEquals(Ethernet.HEADER_LENGTH, buf.writerIndex());
        assertTrue(buf.release());
    }

    @Test
    void macsAtAnyOffsetKeepTheirByteOrder() {
        ByteBuf buf = buffer("00 01 02 03 04 05 06 07 08 09");
        assertEquals(0x010203040506L, Ethernet.getMac(buf, 1));
        Ethernet.setMac(buf, 3, 0xa1a2a3a4a5a6L);
        assertEquals("000102a1a2a3a4a5a609", hex(buf));
        assertTrue(buf.release());
    }

    @Test
    void layoutConstants() {
        assertEquals(0, Ethernet.DST_OFFSET);
        assertEquals(6, Ethernet.SRC_OFFSET);
        assertEquals(12, Ethernet.TYPE_OFFSET);
        assertEquals(14, Ethernet.HEADER_LENGTH);
        assertEquals(0x0800, Ethernet.TYPE_IPV4);
        assertEquals(0x0806, Ethernet.TYPE_ARP);
        assertEquals(0x86DD, Ethernet.TYPE_IPV6);
    }
}
