package io.muslin.dataplane.path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.muslin.dataplane.Encapsulation;
import io.muslin.dataplane.packet.Icmp;
import io.muslin.dataplane.packet.Icmp6;
import io.muslin.dataplane.packet.Ipv6;
import io.muslin.dataplane.table.Family;
import io.muslin.dataplane.packet.Ipv6Text;
import io.netty.buffer.ByteBufUtil;
import io.muslin.dataplane.packet.Ipv4;
import io.muslin.dataplane.packet.Ipv4Address;
import io.muslin.dataplane.packet.Packets;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Too big with DF: dropped and the sender told; without DF: sent; ICMP rate-limited; MSS clamped. */
class MtuGuardTest {
    private static final int PEER = Ipv4Address.parse("192.168.60.3");
    private static final int POD1 = Ipv4Address.parse("10.244.1.2");
    private static final int POD3 = Ipv4Address.parse("10.244.3.2");

    private final Counters counters = new Counters();
    private final PathMtu pathMtu = new PathMtu(1500, Long.MAX_VALUE);
    private final RecordingReplies replies = new RecordingReplies();

    @AfterEach
    void release() {
        replies.buffer.release();
    }

    private MtuGuard guard(int mssClamp) {
        return new MtuGuard(pathMtu, 50, mssClamp, replies, counters);
    }

    private static byte[] udp(int payload, boolean df) {
        byte[] p = Packets.ipv4Udp(0, POD1, POD3, 40000, 5201, payload);
        if (!df) {
            Packets.putShort(p, 6, 0);
            Packets.putShort(p, 10, 0);
            Packets.putShort(p, 10, Packets.referenceChecksum(p, 0, 20));
        }
        return p;
    }

    private boolean admit(MtuGuard guard, byte[] packet) {
        ByteBuf buf = Packets.buffer(0, packet);
        try {
            return guard.admit(buf, 0, packet.length, PEER);
        } finally {
            buf.release();
        }
    }

    @Test
    void tellsTheSenderTheLimitWhenDfIsSet() {
        pathMtu.learn(PEER, 1400, System.nanoTime());
        MtuGuard guard = guard(MtuGuard.NO_MSS_CLAMP);
        assertEquals(1350, guard.innerLimit(PEER));
        assertTrue(admit(guard, udp(1350 - 28, true)), "exactly the limit fits");
        byte[] big = udp(1351 - 28, true);
        assertFalse(admit(guard, big));

        assertEquals(1, replies.sent.size());
        byte[] icmp = replies.sent.get(0);
        ByteBuf r = Unpooled.wrappedBuffer(icmp);
        assertEquals(POD3, Ipv4.src(r, 0), "from the destination: behind the tunnel, not a local address");
        assertEquals(POD1, Ipv4.dst(r, 0), "to the sender");
        assertEquals(Ipv4.PROTO_ICMP, Ipv4.protocol(r, 0));
        assertEquals(0, Ipv4.checksum(r, 0, 20), "IP header checksum");
        assertEquals(Icmp.TYPE_DEST_UNREACHABLE, Icmp.type(r, 20));
        assertEquals(Icmp.CODE_FRAG_NEEDED, Icmp.code(r, 20));
        assertEquals(1350, Icmp.nextHopMtu(r, 20));
        assertEquals(0, Ipv4.checksum(r, 20, icmp.length - 20), "ICMP checksum");
        assertEquals(20 + 8 + 28, icmp.length, "quotes the IP header and 8 bytes");
        assertEquals(java.util.HexFormat.of().formatHex(big, 0, 28), java.util.HexFormat.of().formatHex(icmp, 28, 56));
        assertEquals(1, counters.get(Counter.DROP_PATH_MTU));
        assertEquals(1, counters.get(Counter.ICMP_FRAG_NEEDED_SENT));
    }

    @Test
    void sendsWithoutDfAnyway() {
        pathMtu.learn(PEER, 1400, System.nanoTime());
        assertTrue(admit(guard(MtuGuard.NO_MSS_CLAMP), udp(1400, false)));
        assertTrue(replies.sent.isEmpty());
        assertEquals(0, counters.get(Counter.DROP_PATH_MTU));
    }

    @Test
    void segmentsOfASuperPacketMustFit() {
        pathMtu.learn(PEER, 1400, System.nanoTime());
        MtuGuard guard = guard(MtuGuard.NO_MSS_CLAMP);
        byte[] superPacket = udp(4000, true);
        ByteBuf buf = Packets.buffer(0, superPacket);
        try {
            assertTrue(guard.admitSegments(buf, 0, superPacket.length, 1350, PEER));
            assertFalse(guard.admitSegments(buf, 0, superPacket.length, 1448, PEER));
        } finally {
            buf.release();
        }
        assertEquals(1, replies.sent.size());
        assertEquals(1350, Icmp.nextHopMtu(Unpooled.wrappedBuffer(replies.sent.get(0)), 20));
    }

    @Test
    void icmpIsRateLimitedLikeTheKernel() {
        long[] now = {System.nanoTime()};
        pathMtu.learn(PEER, 1400, now[0]);
        MtuGuard guard = new MtuGuard(pathMtu, 50, MtuGuard.NO_MSS_CLAMP, replies, counters, () -> now[0]);
        for (int i = 0; i < 200; i++) {
            admit(guard, udp(1400, true));
        }
        assertEquals(200, counters.get(Counter.DROP_PATH_MTU));
        assertEquals(MtuGuard.ICMP_BURST, counters.get(Counter.ICMP_FRAG_NEEDED_SENT), "a burst at one instant");
        assertEquals(200 - MtuGuard.ICMP_BURST, counters.get(Counter.ICMP_RATE_LIMITED));
        now[0] += 10_000_000L; // 10 ms later: ten more
        for (int i = 0; i < 20; i++) {
            admit(guard, udp(1400, true));
        }
        assertEquals(MtuGuard.ICMP_BURST + 10, counters.get(Counter.ICMP_FRAG_NEEDED_SENT), "then one a millisecond");
    }

    @Test
    void tokenBucketRefills() {
        MtuGuard guard = guard(MtuGuard.NO_MSS_CLAMP);
        long t = 1_000_000_000_000L;
        int taken = 0;
        while (guard.takeToken(t)) {
            taken++;
        }
        assertEquals(MtuGuard.ICMP_BURST, taken);
        assertFalse(guard.takeToken(t + 999_999));
        assertTrue(guard.takeToken(t + 1_000_000), "one token a millisecond");
    }

    @Test
    void neverAnswersAnIcmpErrorOrALaterFragment() {
        pathMtu.learn(PEER, 1400, System.nanoTime());
        MtuGuard guard = guard(MtuGuard.NO_MSS_CLAMP);
        byte[] icmpError = udp(1400, true);
        icmpError[9] = 1;
        icmpError[20] = 3;
        byte[] laterFragment = udp(1400, true);
        Packets.putShort(laterFragment, 6, 0x4000 | 100);
        assertFalse(admit(guard, icmpError));
        assertFalse(admit(guard, laterFragment));
        assertTrue(replies.sent.isEmpty());
    }

    @Test
    void clampsTheMssToThePeersLimit() {
        pathMtu.learn(PEER, 1400, System.nanoTime());
        byte[] syn = io.muslin.dataplane.offload.MssClampTestSupport.syn(1460);
        assertTrue(admit(guard(MtuGuard.AUTO_MSS), syn));
        assertEquals(1, counters.get(Counter.MSS_CLAMPED));
        ByteBuf buf = Packets.buffer(0, syn);
        try {
            guard(MtuGuard.AUTO_MSS).clampInbound(buf, 0, syn.length, PEER);
            assertEquals(1310, buf.getUnsignedShort(42), "1400 - 50 - 40");
            guard(1200).clampInbound(buf, 0, syn.length, PEER);
            assertEquals(1200, buf.getUnsignedShort(42));
        } finally {
            buf.release();
        }
    }

    // --- IPv6: over an IPv6 underlay (70 bytes), answered with Packet Too Big ---

    private static final String PEER6 = "fd00:50::3";
    private static final long PEER6_HI = Ipv6Text.hi(PEER6);
    private static final long PEER6_LO = Ipv6Text.lo(PEER6);
    private static final String POD1_6 = "fd00:10:244:1::2";
    private static final String POD3_6 = "fd00:10:244:3::2";

    private final PathMtu pathMtu6 = new PathMtu(Family.IPV6, 1500, Long.MAX_VALUE);

    private MtuGuard guard6(int mssClamp) {
        return new MtuGuard(pathMtu6, Encapsulation.VXLAN.bytes(6), mssClamp, replies, counters);
    }

    private boolean admit6(MtuGuard guard, byte[] packet) {
        ByteBuf buf = Packets.buffer(0, packet);
        try {
            return guard.admit(buf, 0, packet.length, PEER6_HI, PEER6_LO);
        } finally {
            buf.release();
        }
    }

    /** RFC 8201: no fragments on the way, so every IPv6 packet over the limit gets Packet Too Big with MTU = path - 70. */
    @Test
    void tellsAnIpv6SenderTheLimitInPacketTooBig() {
        pathMtu6.learn(PEER6_HI, PEER6_LO, 1400, System.nanoTime());
        MtuGuard guard = guard6(MtuGuard.NO_MSS_CLAMP);
        assertEquals(1330, guard.innerLimit(PEER6_HI, PEER6_LO));
        assertTrue(admit6(guard, Packets.ipv6Udp(POD1_6, POD3_6, 40000, 5201, 1330 - 48)), "exactly the limit fits");
        byte[] big = Packets.ipv6Udp(POD1_6, POD3_6, 40000, 5201, 1331 - 48);
        assertFalse(admit6(guard, big));

        assertEquals(1, replies.sent.size());
        byte[] ptb = replies.sent.get(0);
        ByteBuf r = Unpooled.wrappedBuffer(ptb);
        assertEquals(Ipv6Text.hi(POD3_6), Ipv6.srcHi(r, 0), "from the destination: behind the tunnel");
        assertEquals(Ipv6Text.lo(POD3_6), Ipv6.srcLo(r, 0));
        assertEquals(Ipv6Text.lo(POD1_6), Ipv6.dstLo(r, 0), "to the sender");
        assertEquals(Ipv6.NEXT_ICMPV6, Ipv6.nextHeader(r, 0));
        assertEquals(Icmp6.TYPE_PACKET_TOO_BIG, Icmp6.type(r, 40));
        assertEquals(1330, Icmp6.mtu(r, 40), "narrow - 70");
        assertEquals(1280, ptb.length, "as much of the packet as fits in 1280 bytes");
        assertEquals(0, Packets.ipv6UpperChecksum(ptb, 0));
        assertEquals(1, counters.get(Counter.DROP_PATH_MTU));
        assertEquals(1, counters.get(Counter.ICMP6_PACKET_TOO_BIG_SENT));
        assertEquals(0, counters.get(Counter.ICMP_FRAG_NEEDED_SENT));
    }

    @Test
    void anIpv6PacketOverAnIpv4UnderlayIsAnsweredInIcmpv6() {
        pathMtu.learn(PEER, 1400, System.nanoTime());
        byte[] big = Packets.ipv6Udp(POD1_6, POD3_6, 40000, 5201, 1351 - 48);
        assertFalse(admit(guard(MtuGuard.NO_MSS_CLAMP), big), "the inner family decides the answer");
        assertEquals(1350, Icmp6.mtu(Unpooled.wrappedBuffer(replies.sent.get(0)), 40));
    }

    /** RFC 4443 §2.4 (e): not about an ICMPv6 error, not to the unspecified or a multicast source. */
    @Test
    void neverAnswersAnIcmpv6ErrorOrASourceThatIsNoNode() {
        pathMtu6.learn(PEER6_HI, PEER6_LO, 1400, System.nanoTime());
        MtuGuard guard = guard6(MtuGuard.NO_MSS_CLAMP);
        byte[] error = new byte[1400];
        error[0] = 1; // destination unreachable
        byte[] echo = new byte[1400];
        echo[0] = (byte) 128; // echo request: informational, answered
        assertFalse(admit6(guard, Packets.ipv6(0, POD1_6, POD3_6, 58, error)));
        assertFalse(admit6(guard, Packets.ipv6Udp("::", POD3_6, 1, 2, 1400)));
        assertFalse(admit6(guard, Packets.ipv6Udp("ff02::1", POD3_6, 1, 2, 1400)));
        assertTrue(replies.sent.isEmpty());
        assertFalse(admit6(guard, Packets.ipv6(0, POD1_6, POD3_6, 58, echo)));
        assertEquals(1, replies.sent.size());
        assertEquals(4, counters.get(Counter.DROP_PATH_MTU));
    }

    @Test
    void clampsAnIpv6SynToTheLimitLessSixtyBytes() {
        pathMtu6.learn(PEER6_HI, PEER6_LO, 1400, System.nanoTime());
        byte[] syn = Packets.ipv6Syn(POD1_6, POD3_6, 1440);
        assertTrue(admit6(guard6(MtuGuard.AUTO_MSS), syn));
        ByteBuf buf = Packets.buffer(0, syn);
        try {
            guard6(MtuGuard.AUTO_MSS).clampInbound(buf, 0, syn.length, PEER6_HI, PEER6_LO);
            assertEquals(1270, buf.getUnsignedShort(62), "1400 - 70 - 40 (IPv6) - 20 (TCP)");
            assertEquals(0, Packets.ipv6UpperChecksum(ByteBufUtil.getBytes(buf), 0), "TCP checksum updated");
        } finally {
            buf.release();
        }
        assertEquals(2, counters.get(Counter.MSS_CLAMPED));
    }

    /** Keeps copies of what would have been written to the TUN device. */
    private static final class RecordingReplies implements TunReplies {
        final ByteBuf buffer = Unpooled.directBuffer(10 + 1280);
        final List<byte[]> sent = new ArrayList<>();

        @Override
        public ByteBuf buffer() {
            return buffer;
        }

        @Override
        public int offset() {
            return 10;
        }

        @Override
        public boolean send(int length) {
            byte[] b = new byte[length];
            buffer.getBytes(10, b);
            sent.add(b);
            return true;
        }
    }
}
