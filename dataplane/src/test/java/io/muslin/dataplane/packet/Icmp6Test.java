package io.muslin.dataplane.packet;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.muslin.dataplane.packet.Ipv6Text;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** ICMPv6 Packet Too Big as RFC 4443 §3.2 lays it out, and telling one about our own VXLAN datagrams from others. */
class Icmp6Test {
    private static final String POD1 = "fd00:10:244:1::2";
    private static final String POD3 = "fd00:10:244:3::2";

    private static byte[] tooBig(byte[] offending, int mtu) {
        ByteBuf out = Unpooled.buffer(1400);
        ByteBuf in = Unpooled.wrappedBuffer(offending);
        int n = Icmp6.writePacketTooBig(out, 0, Ipv6Text.hi(POD3), Ipv6Text.lo(POD3), mtu, in, 0, offending.length);
        byte[] b = ByteBufUtil.getBytes(out, 0, n);
        out.release();
        return b;
    }

    @Test
    void quotesTheWholePacketWhenItFits() {
        byte[] offending = Packets.ipv6Udp(POD1, POD3, 40000, 5201, 100);
        byte[] b = tooBig(offending, 1380);
        assertEquals(40 + 8 + offending.length, b.length);
        assertEquals("60000000", hex(b, 0, 4), "version 6, traffic class 0, flow label 0");
        assertEquals(8 + offending.length, ((b[4] & 0xFF) << 8) | (b[5] & 0xFF), "payload length");
        assertEquals(58, b[6], "next header ICMPv6");
        assertEquals(hex(Packets.ipv6Address(POD3)), hex(b, 8, 16), "from the packet's destination");
        assertEquals(hex(Packets.ipv6Address(POD1)), hex(b, 24, 16), "to its sender");
        assertEquals("0200", hex(b, 40, 2), "type 2, code 0");
        assertEquals("00000564", hex(b, 44, 4), "MTU 1380, 32 bits");
        assertEquals(hex(offending), hex(b, 48, offending.length));
        assertEquals(0, Packets.ipv6UpperChecksum(b, 0), "checksum over the pseudo-header and message");
    }

    @Test
    void neverExceedsTheMinimumMtu() {
        byte[] offending = Packets.ipv6Udp(POD1, POD3, 40000, 5201, 1400);
        byte[] b = tooBig(offending, 1380);
        assertEquals(1280, b.length, "RFC 4443 §3.2: as much as fits in the minimum IPv6 MTU");
        assertEquals(1240, ((b[4] & 0xFF) << 8) | (b[5] & 0xFF));
        assertEquals(hex(offending, 0, 1232), hex(b, 48, 1232));
        assertEquals(0, Packets.ipv6UpperChecksum(b, 0));
    }

    /** A PTB as a router sends it about a VXLAN datagram of ours, as a raw ICMPv6 socket hands it over. */
    private static ByteBuf fromRouter(String source, int nextHeader, int dstPort, int type, int code, int quotedBytes) {
        byte[] udp = new byte[8 + 8 + 14];
        Packets.putShort(udp, 0, 41000);
        Packets.putShort(udp, 2, dstPort);
        byte[] outer = Packets.ipv6(0, source, "fd00:50::3", nextHeader, udp);
        byte[] msg = new byte[8 + Math.min(quotedBytes, outer.length)];
        msg[0] = (byte) type;
        msg[1] = (byte) code;
        Packets.putInt(msg, 4, 1400);
        System.arraycopy(outer, 0, msg, 8, msg.length - 8);
        return Unpooled.wrappedBuffer(msg);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({
        "ours,                  fd00:50::1, 17, 8472, 2, 0, 100, 8",
        "another host's packet, fd00:50::9, 17, 8472, 2, 0, 100, -1",
        "not UDP,               fd00:50::1, 6,  8472, 2, 0, 100, -1",
        "another port,          fd00:50::1, 17, 4789, 2, 0, 100, -1",
        "not Packet Too Big,    fd00:50::1, 17, 8472, 1, 4, 100, -1",
        "code not 0,            fd00:50::1, 17, 8472, 2, 1, 100, -1",
        "ports not quoted,      fd00:50::1, 17, 8472, 2, 0, 42,  -1",
    })
    void findsTheQuotedPacketOnlyWhenItIsOurs(String what, String source, int nextHeader, int port, int type, int code,
                                              int quoted, int expected) {
        ByteBuf m = fromRouter(source, nextHeader, port, type, code, quoted);
        long hi = Ipv6Text.hi("fd00:50::1");
        long lo = Ipv6Text.lo("fd00:50::1");
        int at = Icmp6.quotedVxlanPacket(m, 0, m.readableBytes(), hi, lo, 8472);
        assertEquals(expected, at, what);
        if (at >= 0) {
            assertEquals(Ipv6Text.hi("fd00:50::3"), Ipv6.dstHi(m, at));
            assertEquals(Ipv6Text.lo("fd00:50::3"), Ipv6.dstLo(m, at));
            assertEquals(1400, Icmp6.mtu(m, 0));
        }
    }

    @Test
    void truncatedMessagesAreNotRead() {
        ByteBuf whole = fromRouter("fd00:50::1", 17, 8472, 2, 0, 100);
        for (int n = 0; n < whole.readableBytes(); n++) {
            int at = Icmp6.quotedVxlanPacket(whole, 0, n, Ipv6Text.hi("fd00:50::1"), Ipv6Text.lo("fd00:50::1"), 8472);
            assertEquals(n >= 8 + 40 + 4 ? 8 : -1, at, n + " bytes");
        }
    }

    private static String hex(byte[] b) {
        return ByteBufUtil.hexDump(b);
    }

    private static String hex(byte[] b, int from, int length) {
        return ByteBufUtil.hexDump(b, from, length);
    }
}
