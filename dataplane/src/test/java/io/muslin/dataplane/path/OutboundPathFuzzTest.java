package io.muslin.dataplane.path;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.muslin.dataplane.FuzzBuffers;
import io.muslin.dataplane.offload.MssClamp;
import io.muslin.dataplane.offload.MssClampTestSupport;
import io.muslin.dataplane.packet.Icmp;
import io.muslin.dataplane.packet.Ipv4;
import io.muslin.dataplane.packet.Ipv4Address;
import io.muslin.dataplane.packet.Ipv4Prefix;
import io.muslin.dataplane.packet.MacAddress;
import io.muslin.dataplane.packet.Packets;
import io.muslin.dataplane.table.Route;
import io.muslin.dataplane.table.Tables;
import io.muslin.dataplane.vxlan.VxlanDecoder;
import io.muslin.dataplane.vxlan.VxlanEncapsulator;
import io.muslin.dataplane.vxlan.VxlanHeader;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Fuzz target: {@link OutboundPath#process} with path-MTU checks and MSS clamping on, for any
 * packet a pod sends into the TUN device.
 *
 * <p>What must hold: no exception; a drop counts a drop reason (and, for one too big with DF,
 * the ICMP it sent or was not let send); every ICMP written back is a whole "fragmentation
 * needed" with the limit, to the sender, with right IPv4 and ICMP checksums, quoting the start
 * of the packet; a packet sent is a VXLAN frame to the peer, outer checksum and lengths right,
 * within the path MTU when DF is set, which the peer's decoder opens to the pod's packet (its
 * MSS clamped as {@link MssClamp} does, and nothing else changed); buffers borrowed, released once.
 */
class OutboundPathFuzzTest {
    private static final int US = Ipv4Address.parse("192.168.50.1");
    private static final int PEER = Ipv4Address.parse("192.168.60.3");
    private static final long OUR_MAC = MacAddress.parse("02:aa:00:00:00:01");
    private static final long PEER_MAC = MacAddress.parse("02:cc:00:00:00:03");
    private static final int VNI = 1;
    private static final int PATH_MTU = 1400;
    private static final int LIMIT = PATH_MTU - VxlanEncapsulator.OVERHEAD;
    private static final int REPLY_OFFSET = 10;
    private static final Set<Counter> ALLOWED = EnumSet.of(Counter.DROP_MALFORMED, Counter.DROP_UNSUPPORTED_FAMILY,
        Counter.DROP_TOO_BIG, Counter.DROP_NO_ROUTE, Counter.DROP_DIRECT_ROUTE, Counter.DROP_PATH_MTU,
        Counter.ICMP_FRAG_NEEDED_SENT, Counter.ICMP_RATE_LIMITED, Counter.MSS_CLAMPED);

    private final Tables tables = new Tables();
    private final Counters counters = new Counters();
    private final CounterChange change = new CounterChange(counters);
    private final PathMtu pathMtu = new PathMtu(1500, Long.MAX_VALUE);
    private final Replies replies = new Replies();
    private final OutboundPath path = OutboundPath.vxlan(new VxlanEncapsulator(US, OUR_MAC, VNI, VxlanHeader.DEFAULT_PORT),
        counters, new MtuGuard(pathMtu, VxlanEncapsulator.OVERHEAD, MtuGuard.AUTO_MSS, replies, counters));
    private final VxlanDecoder peerDecoder = new VxlanDecoder(VNI, PEER_MAC);

    OutboundPathFuzzTest() {
        int nextHop = Ipv4Address.parse("10.244.3.0");
        tables.update(b -> b.putRoute(Ipv4Prefix.parse("10.244.3.0/24"), nextHop, Route.ENCAP)
            .putArp(nextHop, PEER_MAC).putFdb(PEER_MAC, PEER)
            .putRoute(Ipv4Prefix.parse("10.244.2.0/24"), Ipv4Address.parse("192.168.50.2"), Route.DIRECT));
        pathMtu.learn(PEER, PATH_MTU, System.nanoTime());
    }

    @AfterEach
    void releaseReplyBuffer() {
        replies.buffer.release();
    }

    static Stream<byte[]> seeds() {
        byte[] syn = MssClampTestSupport.syn(1460);
        Packets.putInt(syn, 16, Ipv4Address.parse("10.244.3.9"));
        Packets.putShort(syn, 10, 0);
        Packets.putShort(syn, 10, Packets.referenceChecksum(syn, 0, 20));
        int pod = Ipv4Address.parse("10.244.1.2");
        return Stream.of(syn,
            Packets.ipv4Udp(0, pod, Ipv4Address.parse("10.244.3.9"), 1, 2, 100),
            Packets.ipv4Udp(0, pod, Ipv4Address.parse("10.244.3.9"), 1, 2, LIMIT),
            Packets.ipv4Udp(0, pod, Ipv4Address.parse("10.244.2.9"), 1, 2, 10));
    }

    @MethodSource("seeds")
    @FuzzTest
    void process(byte[] input) {
        ByteBuf packet = FuzzBuffers.direct(OutboundPath.HEADROOM, input, 0);
        replies.sent.clear();
        try {
            change.mark();
            int underlay = OutboundPathTest.v4(path.process(packet, tables.snapshot()));
            Map<Counter, Long> counted = change.since();
            assertTrue(ALLOWED.containsAll(counted.keySet()), "counted " + counted);
            for (byte[] icmp : replies.sent) {
                checkIcmp(icmp, input);
            }
            if (underlay == 0) {
                assertTrue(counted.keySet().stream().anyMatch(c -> c.label().startsWith("drop")), "a drop counts: " + counted);
                return;
            }
            assertEquals(PEER, underlay);
            assertEquals(List.of(), replies.sent, "no ICMP for a packet sent");
            checkFrame(packet, input, counted.containsKey(Counter.MSS_CLAMPED));
        } finally {
            assertTrue(packet.release(), "the path borrows the packet");
        }
        FuzzBuffers.assertAllReleased();
    }

    private void checkFrame(ByteBuf frame, byte[] input, boolean clamped) {
        byte[] bytes = FuzzBuffers.readable(frame);
        assertEquals(VxlanEncapsulator.OVERHEAD + input.length, bytes.length);
        assertEquals(0, Packets.referenceChecksum(bytes, 0, Ipv4.MIN_HEADER), "outer IPv4 checksum");
        int outer = frame.readerIndex();
        assertEquals(bytes.length, Ipv4.totalLength(frame, outer));
        assertEquals(PEER, Ipv4.dst(frame, outer));
        assertEquals(bytes.length - Ipv4.MIN_HEADER, frame.getUnsignedShort(outer + Ipv4.MIN_HEADER + 4), "UDP length");
        boolean df = Ipv4.dontFragment(frame, outer);
        assertEquals(input.length >= 8 && (input[6] & 0x40) != 0, df, "outer DF is the inner DF");
        if (df) {
            assertTrue(bytes.length <= PATH_MTU, "a DF packet over the path MTU was sent");
        }
        ByteBuf udpPayload = frame.duplicate().skipBytes(Ipv4.MIN_HEADER + 8);
        int kind = peerDecoder.decode(udpPayload);
        byte[] expected = input.clone();
        if (clamped) {
            ByteBuf copy = FuzzBuffers.direct(expected);
            try {
                assertTrue(MssClamp.clamp(copy, 0, expected.length, LIMIT - 40));
                expected = FuzzBuffers.readable(copy);
            } finally {
                copy.release();
            }
        }
        if (kind == VxlanDecoder.IPV4) {
            // The peer reads the inner packet as long as its total length says.
            byte[] inner = FuzzBuffers.readable(udpPayload);
            assertArrayEquals(Arrays.copyOf(expected, inner.length), inner, "the inner packet the peer reads");
        } else {
            // The pod's packet was not a whole IPv4 packet: the peer drops it, as it should.
            assertEquals(Counter.DROP_MALFORMED, VxlanDecoder.dropReason(kind));
        }
        byte[] sentInner = Arrays.copyOfRange(bytes, VxlanEncapsulator.OVERHEAD, bytes.length);
        assertArrayEquals(expected, sentInner, "the inner packet, but for the MSS clamp");
    }

    private static void checkIcmp(byte[] icmp, byte[] offending) {
        assertTrue(icmp.length >= Ipv4.MIN_HEADER + Icmp.HEADER, "ICMP of " + icmp.length + " bytes");
        assertEquals(0, Packets.referenceChecksum(icmp, 0, Ipv4.MIN_HEADER), "ICMP's IPv4 checksum");
        assertEquals(icmp.length, u16(icmp, Ipv4.TOTAL_LENGTH));
        assertEquals(Ipv4.PROTO_ICMP, icmp[Ipv4.PROTOCOL]);
        assertEquals(0, Packets.referenceChecksum(icmp, Ipv4.MIN_HEADER, icmp.length - Ipv4.MIN_HEADER), "ICMP checksum");
        assertEquals(Icmp.TYPE_DEST_UNREACHABLE, icmp[Ipv4.MIN_HEADER]);
        assertEquals(Icmp.CODE_FRAG_NEEDED, icmp[Ipv4.MIN_HEADER + 1]);
        assertEquals(LIMIT, u16(icmp, Ipv4.MIN_HEADER + 6), "next-hop MTU");
        assertArrayEquals(Arrays.copyOfRange(offending, 12, 16), Arrays.copyOfRange(icmp, 16, 20), "to the sender");
        int quoted = icmp.length - Ipv4.MIN_HEADER - Icmp.HEADER;
        assertArrayEquals(Arrays.copyOf(offending, quoted), Arrays.copyOfRange(icmp, Ipv4.MIN_HEADER + Icmp.HEADER,
            icmp.length), "quotes the packet's start");
    }

    private static int u16(byte[] b, int i) {
        return ((b[i] & 0xFF) << 8) | (b[i + 1] & 0xFF);
    }

    /** ICMP errors the guard writes back, copied out. */
    private static final class Replies implements TunReplies {
        /** Lives as long as the target (not drawn from the counted allocator). */
        final ByteBuf buffer = Unpooled.directBuffer(REPLY_OFFSET + 1280, REPLY_OFFSET + 1280);
        final List<byte[]> sent = new ArrayList<>();

        @Override
        public ByteBuf buffer() {
            return buffer;
        }

        @Override
        public int offset() {
            return REPLY_OFFSET;
        }

        @Override
        public boolean send(int length) {
            byte[] b = new byte[length];
            buffer.getBytes(REPLY_OFFSET, b);
            sent.add(b);
            return true;
        }
    }
}
