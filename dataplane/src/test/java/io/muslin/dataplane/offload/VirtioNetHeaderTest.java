package io.muslin.dataplane.offload;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.muslin.dataplane.packet.Packets;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The layout of struct virtio_net_hdr (linux/virtio_net.h; virtio 1.x §5.1.6), little-endian. */
class VirtioNetHeaderTest {

    @ParameterizedTest(name = "{0}")
    @CsvSource({
        // what,                           flags, gso, hdrLen, gsoSize, csumStart, csumOffset, bytes
        "plain packet,                     0,     0,   0,      0,       0,         0,          00 00 0000 0000 0000 0000",
        "NEEDS_CSUM TCP over IPv4,         1,     0,   0,      0,       20,        16,         01 00 0000 0000 1400 1000",
        "TCPV4 super-packet MSS 1398,      1,     1,   52,     1398,    20,        16,         01 01 3400 7605 1400 1000",
        "TCPV6 super-packet MSS 1378,      1,     4,   72,     1378,    40,        16,         01 04 4800 6205 2800 1000",
        "TCPV4 with ECN,                   1,     129, 52,     1448,    20,        16,         01 81 3400 a805 1400 1000",
        "UDP NEEDS_CSUM,                   1,     0,   0,      0,       20,        6,          01 00 0000 0000 1400 0600",
    })
    void layout(String what, int flags, int gsoType, int hdrLen, int gsoSize, int csumStart, int csumOffset, String hex) {
        ByteBuf buf = Unpooled.directBuffer(VirtioNetHeader.LENGTH + 4).writeZero(VirtioNetHeader.LENGTH + 4);
        try {
            VirtioNetHeader.write(buf, 2, flags, gsoType, hdrLen, gsoSize, csumStart, csumOffset);
            assertEquals(Packets.squash(hex), Packets.hex(buf, 2, VirtioNetHeader.LENGTH), what);
            assertEquals(flags, VirtioNetHeader.flags(buf, 2));
            assertEquals(gsoType & ~VirtioNetHeader.GSO_ECN, VirtioNetHeader.gsoType(buf, 2));
            assertEquals(hdrLen, VirtioNetHeader.hdrLen(buf, 2));
            assertEquals(gsoSize, VirtioNetHeader.gsoSize(buf, 2));
            assertEquals(csumStart, VirtioNetHeader.csumStart(buf, 2));
            assertEquals(csumOffset, VirtioNetHeader.csumOffset(buf, 2));
            assertEquals("00000000", Packets.hex(buf, 0, 2) + Packets.hex(buf, 12, 2), "neighbours untouched");
        } finally {
            assertTrue(buf.release());
        }
    }

    @Test
    void writeNoneClearsAllTenBytes() {
        ByteBuf buf = Unpooled.directBuffer(12).writeBytes(Packets.bytes("ffff ffff ffff ffff ffff ffff"));
        try {
            VirtioNetHeader.writeNone(buf, 1);
            assertEquals("ff" + "00".repeat(10) + "ff", Packets.hex(buf));
        } finally {
            assertTrue(buf.release());
        }
    }

    @Test
    void constantsMatchLinux() {
        assertEquals(10, VirtioNetHeader.LENGTH);
        assertEquals(1, VirtioNetHeader.FLAG_NEEDS_CSUM);
        assertEquals(2, VirtioNetHeader.FLAG_DATA_VALID);
        assertEquals(1, VirtioNetHeader.GSO_TCPV4);
        assertEquals(3, VirtioNetHeader.GSO_UDP);
        assertEquals(4, VirtioNetHeader.GSO_TCPV6);
        assertEquals(5, VirtioNetHeader.GSO_UDP_L4);
        assertEquals(0x80, VirtioNetHeader.GSO_ECN);
        assertEquals(io.muslin.tun.TunDevice.VNET_HEADER_LENGTH, VirtioNetHeader.LENGTH);
    }
}
