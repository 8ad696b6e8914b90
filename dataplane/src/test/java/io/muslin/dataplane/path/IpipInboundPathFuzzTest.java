package io.muslin.dataplane.path;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.muslin.dataplane.FuzzBuffers;
import io.muslin.dataplane.ipip.IpipEncapsulator;
import io.muslin.dataplane.packet.Ipv4;
import io.muslin.dataplane.packet.Ipv4Address;
import io.muslin.dataplane.packet.Ipv4Prefix;
import io.muslin.dataplane.packet.Packets;
import io.muslin.dataplane.table.NextHop;
import io.muslin.dataplane.table.Route;
import io.muslin.dataplane.table.Tables;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Fuzz target: {@link IpipInboundPath#process}, what the raw protocol-4 socket hands us (outer
 * IPv4 header included).
 *
 * <p>What must hold: no exception; a drop counts one reason once and moves no index; a
 * delivered packet is a whole inner IPv4 packet inside the outer one, from a subnet whose peer
 * is the outer source; that packet encapsulated again by {@link IpipEncapsulator} from the
 * same peer is delivered again, byte for byte; the buffer is borrowed and released once.
 */
class IpipInboundPathFuzzTest {
    private static final int US = Ipv4Address.parse("192.168.50.1");
    private static final int PEER2 = Ipv4Address.parse("192.168.50.2");
    private static final int PEER3 = Ipv4Address.parse("192.168.60.3");
    private static final int HEADROOM = 20;

    private final Tables tables = new Tables();
    private final Counters counters = new Counters();
    private final CounterChange change = new CounterChange(counters);
    private final IpipInboundPath path = new IpipInboundPath(tables, SourceCheck.Mode.STRICT, () -> 1480, counters);

    IpipInboundPathFuzzTest() {
        tables.update(b -> b.putRoute(Ipv4Prefix.parse("10.244.2.0/24"), PEER2, Route.DIRECT)
            .putRoute(Ipv4Prefix.parse("10.244.3.0/24"), PEER3, Route.ENCAP).putPeer(PEER2).putPeer(PEER3));
    }

    static Stream<byte[]> seeds() {
        return Stream.of(
            received(PEER3, Packets.ipv4Udp(0, Ipv4Address.parse("10.244.3.2"), Ipv4Address.parse("10.244.1.2"), 1, 2, 10)),
            received(PEER2, Packets.ipv4Udp(0, Ipv4Address.parse("10.244.2.2"), Ipv4Address.parse("10.244.1.2"), 1, 2, 0)),
            ipv6Inside(PEER3, Packets.ipv6Udp(0, 1, 2, 1, 2, 4)));
    }

    /** {@code inner} as the raw socket returns it when {@code from} sent it to us. */
    private static byte[] received(int from, byte[] inner) {
        ByteBuf buf = encapsulated(from, inner);
        try {
            return FuzzBuffers.readable(buf);
        } finally {
            buf.release();
        }
    }

    /** An IPv6 packet behind an outer IPv4 header of protocol 4 (which carries IPv4 only). */
    private static byte[] ipv6Inside(int from, byte[] inner) {
        ByteBuf buf = FuzzBuffers.direct(IpipEncapsulator.OVERHEAD, inner, 0);
        try {
            Ipv4.writeHeader(buf, 0, 0, IpipEncapsulator.OVERHEAD + inner.length, true, 64, Ipv4.PROTO_IPIP, from, US);
            buf.readerIndex(0);
            return FuzzBuffers.readable(buf);
        } finally {
            buf.release();
        }
    }

    private static ByteBuf encapsulated(int from, byte[] inner) {
        ByteBuf buf = FuzzBuffers.direct(IpipEncapsulator.OVERHEAD, inner, 0);
        boolean done = false;
        try {
            new IpipEncapsulator(from).encapsulate(buf, US);
            done = true;
            return buf;
        } finally {
            if (!done) {
                buf.release();
            }
        }
    }

    @MethodSource("seeds")
    @FuzzTest
    void process(byte[] input) {
        ByteBuf packet = FuzzBuffers.direct(HEADROOM, input, 3);
        byte[] inner = null;
        int outerSource = 0;
        try {
            change.mark();
            int result = path.process(packet, 0, Unpooled.EMPTY_BUFFER);
            Map<Counter, Long> counted = change.since();
            if (result == InboundPath.DROP) {
                assertEquals(1, counted.size(), "one drop reason: " + counted);
                Counter reason = counted.keySet().iterator().next();
                assertTrue(reason.label().startsWith("drop"), "drop reason " + reason);
                assertEquals(1L, counted.get(reason));
                assertEquals(HEADROOM, packet.readerIndex(), "a drop moves no index");
                assertEquals(HEADROOM + input.length, packet.writerIndex(), "a drop moves no index");
                return;
            }
            assertEquals(InboundPath.DELIVER, result);
            // A delivery counts nothing here but an unfinished inner checksum it completed.
            assertTrue(counted.isEmpty() || counted.equals(Map.of(Counter.RX_CHECKSUMS_COMPLETED, 1L)),
                "a delivery counts at most a completed checksum: " + counted);
            assertTrue(InnerChecksum.check(packet, packet.readerIndex()) != InnerChecksum.BAD,
                "a delivered inner checksum verifies");
            outerSource = Ipv4.src(packet, HEADROOM);
            int at = packet.readerIndex();
            assertEquals(HEADROOM + Ipv4.headerLength(packet, HEADROOM), at, "the inner packet follows the outer header");
            assertTrue(packet.writerIndex() <= HEADROOM + Ipv4.totalLength(packet, HEADROOM), "inside the outer packet");
            assertEquals(Ipv4.VERSION, Ipv4.version(packet, at));
            assertEquals(Ipv4.totalLength(packet, at), packet.readableBytes());
            NextHop owner = tables.snapshot().lookupNextHop(Ipv4.src(packet, at));
            assertNotNull(owner, "inner source in a peer's subnet");
            assertEquals(outerSource, owner.address(), "sent by the peer that owns the inner source");
            inner = FuzzBuffers.readable(packet);
        } finally {
            assertTrue(packet.release(), "the path borrows the packet");
        }
        ByteBuf again = encapsulated(outerSource, inner);
        try {
            assertEquals(InboundPath.DELIVER, path.process(again, 0, Unpooled.EMPTY_BUFFER), "re-encapsulated");
            assertArrayEquals(inner, FuzzBuffers.readable(again));
        } finally {
            again.release();
        }
        FuzzBuffers.assertAllReleased();
    }
}
