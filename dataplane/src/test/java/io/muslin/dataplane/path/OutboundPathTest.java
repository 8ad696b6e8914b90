package io.muslin.dataplane.path;

import static io.muslin.dataplane.packet.Packets.hex;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.muslin.dataplane.ipip.IpipEncapsulator;
import io.muslin.dataplane.packet.Ipv4;
import io.muslin.dataplane.packet.Ipv4Address;
import io.muslin.dataplane.packet.Ipv4Prefix;
import io.muslin.dataplane.packet.MacAddress;
import io.muslin.dataplane.packet.Packets;
import io.muslin.dataplane.packet.Ipv6;
import io.muslin.dataplane.table.Family;
import io.muslin.dataplane.packet.Ipv6Text;
import io.muslin.dataplane.table.Route;
import io.muslin.dataplane.table.Route6;
import io.muslin.dataplane.table.Tables;
import io.muslin.dataplane.table.Underlay;
import io.muslin.dataplane.vxlan.VxlanEncapsulator;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.Test;

/** The outbound lookup chain per encapsulation, and a drop counter for every way it can fail. */
class OutboundPathTest {
    private static final int LOCAL = Ipv4Address.parse("192.168.50.1");
    private static final int PEER2 = Ipv4Address.parse("192.168.50.2");
    private static final int PEER3 = Ipv4Address.parse("192.168.60.3");
    private static final Ipv4Prefix S2 = Ipv4Prefix.parse("10.244.2.0/24");
    private static final Ipv4Prefix S3 = Ipv4Prefix.parse("10.244.3.0/24");
    private static final long MAC1 = MacAddress.parse("6e:75:73:00:00:01");
    private static final long MAC3 = MacAddress.parse("6e:75:73:00:00:03");
    private static final int POD1 = Ipv4Address.parse("10.244.1.2");

    private final Tables tables = new Tables();
    private final Counters counters = new Counters();
    private final OutboundPath ipip = OutboundPath.ipip(new IpipEncapsulator(LOCAL), counters, null);
    private final OutboundPath vxlan = OutboundPath.vxlan(new VxlanEncapsulator(LOCAL, MAC1, 1, 8472), counters, null);

    /** The IPv4 address a path resolved, or 0 when it dropped the packet. */
    static int v4(Underlay u) {
        return u == null ? 0 : u.ipv4();
    }

    private static ByteBuf packetTo(String dst) {
        return Packets.buffer(OutboundPath.HEADROOM, Packets.ipv4Udp(0, POD1, Ipv4Address.parse(dst), 1, 2, 100));
    }

    private int send(OutboundPath path, String dst) {
        ByteBuf p = packetTo(dst);
        try {
            return v4(path.process(p, tables.snapshot()));
        } finally {
            p.release();
        }
    }

    @Test
    void ipipSendsToTheRoutesNextHopWithoutArpOrFdb() {
        tables.update(b -> b.putRoute(S3, PEER3, Route.ENCAP));
        ByteBuf p = packetTo("10.244.3.2");
        try {
            assertEquals(PEER3, v4(ipip.process(p, tables.snapshot())));
            assertEquals(OutboundPath.HEADROOM - IpipEncapsulator.OVERHEAD, p.readerIndex());
            assertEquals(Ipv4.PROTO_IPIP, Ipv4.protocol(p, p.readerIndex()));
            assertEquals(PEER3, Ipv4.dst(p, p.readerIndex()));
            assertEquals(Ipv4Address.parse("10.244.3.2"), Ipv4.dst(p, p.readerIndex() + 20));
        } finally {
            p.release();
        }
        assertEquals(20, ipip.overhead());
    }

    @Test
    void vxlanFollowsRouteArpAndFdb() {
        int vtep3 = S3.address();
        tables.update(b -> b.putRoute(S3, vtep3).putArp(vtep3, MAC3).putFdb(MAC3, PEER3));
        ByteBuf p = packetTo("10.244.3.2");
        try {
            assertEquals(PEER3, v4(vxlan.process(p, tables.snapshot())));
            assertEquals(OutboundPath.HEADROOM - VxlanEncapsulator.OVERHEAD, p.readerIndex());
            assertEquals(Ipv4.PROTO_UDP, Ipv4.protocol(p, p.readerIndex()));
            assertEquals(MacAddress.format(MAC3).replace(":", ""), hex(p, p.readerIndex() + 36, 6), "inner destination MAC");
        } finally {
            p.release();
        }
        assertEquals(50, vxlan.overhead());
    }

    @Test
    void everyFailureIsCountedByReason() {
        int vtep2 = S2.address();
        tables.update(b -> b.putRoute(S2, vtep2).putRoute(Ipv4Prefix.parse("10.244.4.0/24"), PEER2, Route.DIRECT)
            .putRoute(S3, S3.address()).putArp(S3.address(), MAC3));
        assertEquals(0, send(vxlan, "10.244.9.1"));
        assertEquals(1, counters.get(Counter.DROP_NO_ROUTE));
        assertEquals(0, send(vxlan, "10.244.2.1"));
        assertEquals(1, counters.get(Counter.DROP_NO_NEIGHBOR));
        assertEquals(0, send(vxlan, "10.244.3.1"));
        assertEquals(1, counters.get(Counter.DROP_UNKNOWN_VTEP));
        assertEquals(0, send(vxlan, "10.244.4.1"));
        assertEquals(0, send(ipip, "10.244.4.1"));
        assertEquals(2, counters.get(Counter.DROP_DIRECT_ROUTE), "a direct peer's packets belong to the kernel route");

        ByteBuf v6 = Packets.buffer(OutboundPath.HEADROOM, Packets.ipv6Udp(0, 1, 2, 1, 2, 10));
        ByteBuf runt = Packets.buffer(OutboundPath.HEADROOM, new byte[10]);
        try {
            assertEquals(0, v4(ipip.process(v6, tables.snapshot())));
            assertEquals(0, v4(ipip.process(runt, tables.snapshot())));
        } finally {
            v6.release();
            runt.release();
        }
        assertEquals(1, counters.get(Counter.DROP_UNSUPPORTED_FAMILY));
        assertEquals(1, counters.get(Counter.DROP_MALFORMED));
    }

    @Test
    void segmentHeaderTemplatesHaveTheSegmentsLength() {
        tables.update(b -> b.putRoute(S3, PEER3, Route.ENCAP));
        ByteBuf superPacket = packetTo("10.244.3.2");
        ByteBuf slab = Unpooled.directBuffer(64);
        try {
            Underlay underlay = ipip.resolve(superPacket, tables.snapshot());
            assertEquals(PEER3, underlay.ipv4());
            int reader = superPacket.readerIndex();
            assertTrue(ipip.writeOuterHeader(superPacket, 60, underlay, slab, 4));
            assertEquals(reader, superPacket.readerIndex(), "indices unchanged");
            assertEquals(Ipv4.PROTO_IPIP, Ipv4.protocol(slab, 4));
            assertEquals(80, Ipv4.totalLength(slab, 4), "outer length = 20 + segment");
            assertEquals(PEER3, Ipv4.dst(slab, 4));
        } finally {
            superPacket.release();
            slab.release();
        }
    }

    // --- dual stack: IPv4 pods over the IPv4 underlay, IPv6 pods over the IPv6 underlay ---

    private static final String PUBLIC6 = "fd00:50::1";
    private static final String PEER3_6 = "fd00:50::3";
    private static final long MAC3_6 = MacAddress.parse("6e:75:73:00:06:03");

    private final OutboundPath dual = new OutboundPath(
        OutboundPath.Lane.vxlan(new VxlanEncapsulator(LOCAL, MAC1, 1, 8472), null),
        OutboundPath.Lane.vxlan(new VxlanEncapsulator(Family.IPV6, Ipv6Text.hi(PUBLIC6), Ipv6Text.lo(PUBLIC6), MAC1, 1,
            8472), null), counters);

    /** Peer 3 as flannel programs it on flannel.1 and flannel-v6.1. */
    private void dualStackPeer3() {
        int vtep3 = S3.address();
        long vtep3v6 = Ipv6Text.hi("fd00:10:244:3::");
        tables.update(b -> b.putRoute(S3, vtep3).putArp(vtep3, MAC3).putFdb(MAC3, PEER3)
            .putRoute6(Route6.parse("fd00:10:244:3::/64", "fd00:10:244:3::", Route.ENCAP))
            .putNeighbor6(vtep3v6, 0, MAC3_6).putFdb6(MAC3_6, Ipv6Text.hi(PEER3_6), Ipv6Text.lo(PEER3_6)));
    }

    @Test
    void eachFamilyRidesItsOwnUnderlay() {
        dualStackPeer3();
        ByteBuf p4 = packetTo("10.244.3.2");
        ByteBuf p6 = Packets.buffer(OutboundPath.HEADROOM, Packets.ipv6Udp("fd00:10:244:1::2", "fd00:10:244:3::2", 1, 2, 100));
        try {
            Underlay to4 = dual.process(p4, tables.snapshot());
            assertTrue(to4.is(Family.IPV4, Family.ipv4Key(PEER3), 0));
            assertEquals(50, dual.overhead());
            assertEquals(OutboundPath.HEADROOM - 50, p4.readerIndex());
            assertEquals(4, Ipv4.version(p4, p4.readerIndex()));

            Underlay to6 = dual.process(p6, tables.snapshot());
            assertTrue(to6.is(Family.IPV6, Ipv6Text.hi(PEER3_6), Ipv6Text.lo(PEER3_6)), "to PublicIPv6: " + to6);
            assertEquals(70, dual.overhead());
            int outer = p6.readerIndex();
            assertEquals(OutboundPath.HEADROOM - 70, outer);
            assertEquals(6, Ipv6.version(p6, outer));
            assertEquals(Ipv6Text.lo(PEER3_6), Ipv6.dstLo(p6, outer));
            assertEquals(MacAddress.format(MAC3_6).replace(":", ""), hex(p6, outer + 56, 6), "the IPv6 VTEP's MAC");
            assertEquals("86dd", hex(p6, outer + 68, 2));
        } finally {
            p4.release();
            p6.release();
        }
    }

    @Test
    void anIpv6VtepMustLiveOnTheIpv6Underlay() {
        long vtep = Ipv6Text.hi("fd00:10:244:3::");
        tables.update(b -> b.putRoute6(Route6.parse("fd00:10:244:3::/64", "fd00:10:244:3::", Route.ENCAP))
            .putNeighbor6(vtep, 0, MAC3).putFdb(MAC3, PEER3));
        ByteBuf p6 = Packets.buffer(OutboundPath.HEADROOM, Packets.ipv6Udp("fd00:10:244:1::2", "fd00:10:244:3::2", 1, 2, 10));
        try {
            assertEquals(null, dual.process(p6, tables.snapshot()));
        } finally {
            p6.release();
        }
        assertEquals(1, counters.get(Counter.DROP_UNKNOWN_VTEP));
    }

    @Test
    void anIpv6OnlyPathRefusesIpv4() {
        dualStackPeer3();
        OutboundPath v6only = new OutboundPath(null, OutboundPath.Lane.vxlan(new VxlanEncapsulator(Family.IPV6,
            Ipv6Text.hi(PUBLIC6), Ipv6Text.lo(PUBLIC6), MAC1, 1, 8472), null), counters);
        assertEquals(0, send(v6only, "10.244.3.2"));
        assertEquals(1, counters.get(Counter.DROP_UNSUPPORTED_FAMILY));
        assertEquals(70, v6only.overhead());
    }

    @Test
    void ipv6RoutesMissingAndNeighborsMissingAreCounted() {
        tables.update(b -> b.putRoute6(Route6.parse("fd00:10:244:3::/64", "fd00:10:244:3::", Route.ENCAP)));
        for (String dst : new String[] {"fd00:10:244:9::1", "fd00:10:244:3::1"}) {
            ByteBuf p6 = Packets.buffer(OutboundPath.HEADROOM, Packets.ipv6Udp("fd00:10:244:1::2", dst, 1, 2, 10));
            try {
                assertEquals(null, dual.process(p6, tables.snapshot()));
            } finally {
                p6.release();
            }
        }
        assertEquals(1, counters.get(Counter.DROP_NO_ROUTE));
        assertEquals(1, counters.get(Counter.DROP_NO_NEIGHBOR));
    }
}
