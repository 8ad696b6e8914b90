package io.muslin.dataplane.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.muslin.dataplane.packet.Icmp6;
import io.muslin.dataplane.packet.Ipv6;
import io.muslin.dataplane.packet.Ipv6Text;
import io.muslin.dataplane.packet.MacAddress;
import io.muslin.dataplane.packet.Packets;
import io.muslin.dataplane.path.Counter;
import io.muslin.dataplane.path.Counters;
import io.muslin.dataplane.path.PathMtu;
import io.muslin.dataplane.table.Family;
import io.muslin.dataplane.vxlan.VxlanEncapsulator;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.Test;

/** Only a Packet Too Big about a VXLAN datagram of ours teaches an IPv6 peer's path MTU. */
class Icmp6ListenerTest {
    private static final String US = "fd00:50::1";
    private static final String PEER = "fd00:60::3";
    private static final String ROUTER = "fd00:50::fe";

    private final Counters counters = new Counters();
    private final PathMtu pathMtu = new PathMtu(Family.IPV6, 1500, PathMtu.DEFAULT_EXPIRY_NANOS);
    private final Icmp6Listener listener = new Icmp6Listener(null, pathMtu::learn, counters, Ipv6Text.hi(US),
        Ipv6Text.lo(US), 8472, ByteBufAllocator.DEFAULT);

    /** A router's Packet Too Big (MTU {@code mtu}) about a VXLAN datagram from {@code source}, as a raw ICMPv6 socket hands it over. */
    private static ByteBuf packetTooBig(String source, int mtu) {
        byte[] inner = Packets.ipv6Udp("fd00:10:244:1::2", "fd00:10:244:3::2", 1, 2, 1300);
        ByteBuf outer = Packets.buffer(VxlanEncapsulator.OVERHEAD + 20, inner);
        ByteBuf ptb = Unpooled.directBuffer(Icmp6.MAX_MESSAGE);
        try {
            new VxlanEncapsulator(Family.IPV6, Ipv6Text.hi(source), Ipv6Text.lo(source), MacAddress.parse("6e:75:76:00:00:01"),
                1, 8472).encapsulate(outer, Ipv6Text.hi(PEER), Ipv6Text.lo(PEER), MacAddress.parse("6e:75:76:00:00:03"));
            int n = Icmp6.writePacketTooBig(ptb, 0, Ipv6Text.hi(ROUTER), Ipv6Text.lo(ROUTER), mtu, outer,
                outer.readerIndex(), outer.readableBytes());
            ptb.setIndex(Ipv6.HEADER_LENGTH, n); // the socket strips the IPv6 header
            return ptb;
        } finally {
            outer.release();
        }
    }

    @Test
    void learnsThePeersPathMtuFromPacketTooBigAboutOurDatagram() {
        ByteBuf m = packetTooBig(US, 1400);
        try {
            assertTrue(listener.learn(m, m.readerIndex(), m.readableBytes(), System.nanoTime()));
            assertEquals(1400, pathMtu.outerLimit(Ipv6Text.hi(PEER), Ipv6Text.lo(PEER)));
            assertEquals(1, counters.get(Counter.PMTU_LEARNED));
            assertTrue(listener.learn(m, m.readerIndex(), m.readableBytes(), System.nanoTime()), "the same news again");
            assertEquals(1, counters.get(Counter.PMTU_LEARNED), "counted only when it changed the estimate");
        } finally {
            assertTrue(m.release());
            listener.close();
        }
    }

    @Test
    void ignoresPacketTooBigAboutAnotherHostsDatagramAndNeverGoesBelow1280() {
        ByteBuf other = packetTooBig("fd00:50::9", 1400);
        ByteBuf tiny = packetTooBig(US, 600);
        try {
            assertFalse(listener.learn(other, other.readerIndex(), other.readableBytes(), System.nanoTime()));
            assertEquals(1500, pathMtu.outerLimit(Ipv6Text.hi(PEER), Ipv6Text.lo(PEER)));
            assertTrue(listener.learn(tiny, tiny.readerIndex(), tiny.readableBytes(), System.nanoTime()));
            assertEquals(Ipv6.MIN_MTU, pathMtu.outerLimit(Ipv6Text.hi(PEER), Ipv6Text.lo(PEER)), "RFC 8201 §4");
        } finally {
            assertTrue(other.release());
            assertTrue(tiny.release());
            listener.close();
        }
    }
}
