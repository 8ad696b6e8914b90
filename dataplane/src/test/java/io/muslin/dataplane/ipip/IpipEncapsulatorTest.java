package io.muslin.dataplane.ipip;

import static io.muslin.dataplane.packet.Packets.hex;
import static io.muslin.dataplane.packet.Packets.squash;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.muslin.dataplane.packet.Ipv4Address;
import io.muslin.dataplane.packet.Packets;
import io.netty.buffer.ByteBuf;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** RFC 2003 §3.1 outer header: protocol 4, TOS and DF from the inner packet, TTL 64, valid checksum. */
class IpipEncapsulatorTest {
    private static final int LOCAL = Ipv4Address.parse("192.168.50.1");
    private static final int REMOTE = Ipv4Address.parse("192.168.60.3");
    private static final int POD1 = Ipv4Address.parse("10.244.1.2");
    private static final int POD3 = Ipv4Address.parse("10.244.3.2");

    private final IpipEncapsulator encapsulator = new IpipEncapsulator(LOCAL);

    private static byte[] inner(int tos, boolean df) {
        byte[] p = Packets.ipv4Udp(tos, POD1, POD3, 40000, 5201, 9);
        if (!df) {
            Packets.putShort(p, 6, 0);
            Packets.putShort(p, 10, 0);
            Packets.putShort(p, 10, Packets.referenceChecksum(p, 0, 20));
        }
        return p;
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', textBlock = """
        # inner TOS | inner DF | outer header (version/IHL, TOS, length, ID, flags, TTL, proto 4, checksum, src, dst)
        0x00        | true     | 45 00 0039 0000 4000 40 04 checksum c0a83201 c0a83c03
        0xb8        | true     | 45 b8 0039 0000 4000 40 04 checksum c0a83201 c0a83c03
        0x03        | false    | 45 03 0039 0000 0000 40 04 checksum c0a83201 c0a83c03
        """)
    void writesTheOuterHeaderInFrontOfTheUnchangedInnerPacket(int tos, boolean df, String header) {
        byte[] inner = inner(tos, df);
        ByteBuf buf = Packets.buffer(IpipEncapsulator.OVERHEAD + 30, inner);
        try {
            encapsulator.encapsulate(buf, REMOTE);

            assertEquals(30, buf.readerIndex());
            assertEquals(20 + inner.length, buf.readableBytes());
            byte[] outer = new byte[20];
            buf.getBytes(30, outer);
            assertEquals(0, Packets.referenceChecksum(outer, 0, 20), "outer header checksum");
            String expected = squash(header).replace("checksum", hex(buf, 30 + 10, 2));
            assertEquals(expected, hex(buf, 30, 20));
            byte[] after = new byte[inner.length];
            buf.getBytes(50, after);
            assertEquals(Arrays.toString(inner), Arrays.toString(after), "inner packet unchanged");
        } finally {
            buf.release();
        }
    }

    @Test
    void refusesWhatItCannotCarry() {
        ByteBuf noRoom = Packets.buffer(19, inner(0, true));
        ByteBuf ipv6 = Packets.buffer(20, Packets.ipv6Udp(0, 1, 2, 1, 2, 10));
        ByteBuf tooShort = Packets.buffer(20, new byte[] {0x45, 0, 0, 19});
        try {
            assertEquals("IP-in-IP headroom too short: 19 bytes (expected: 20+)",
                assertThrows(IllegalArgumentException.class, () -> encapsulator.encapsulate(noRoom, REMOTE)).getMessage());
            assertEquals("IP-in-IP carries IPv4 only, not version 6",
                assertThrows(IllegalArgumentException.class, () -> encapsulator.encapsulate(ipv6, REMOTE)).getMessage());
            assertEquals("inner packet length out of range: 4 (expected: 20-65515)",
                assertThrows(IllegalArgumentException.class, () -> encapsulator.encapsulate(tooShort, REMOTE)).getMessage());
        } finally {
            noRoom.release();
            ipv6.release();
            tooShort.release();
        }
    }
}
