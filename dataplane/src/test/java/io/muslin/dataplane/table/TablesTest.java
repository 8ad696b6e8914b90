package io.muslin.dataplane.table;

import io.muslin.dataplane.packet.Ipv6Text;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.muslin.dataplane.packet.Ipv4Address;
import io.muslin.dataplane.packet.Ipv4Prefix;
import io.muslin.dataplane.packet.MacAddress;
import java.util.List;
import org.junit.jupiter.api.Test;

class TablesTest {
    private static final Ipv4Prefix S2 = Ipv4Prefix.parse("10.244.2.0/24");
    private static final int N2 = Ipv4Address.parse("10.244.2.0");
    private static final int P2 = Ipv4Address.parse("192.168.50.2");
    private static final long M2 = MacAddress.parse("6e:75:73:00:00:02");
    private static final long M2B = MacAddress.parse("6e:75:73:00:00:22");

    private final Tables tables = new Tables();

    private void addPeer(long mac) {
        tables.update(b -> b.putArp(N2, mac).putFdb(mac, P2).putRoute(S2, N2));
    }

    private void removePeer(long mac) {
        tables.update(b -> b.removeRoute(S2).removeArp(N2).removeFdb(mac));
    }

    @Test
    void aPeerResolvesThroughAllThreeTables() {
        addPeer(M2);
        Tables.Snapshot s = tables.snapshot();
        NextHop via = s.lookupNextHop(Ipv4Address.parse("10.244.2.77"));
        assertEquals(N2, via.address());
        assertEquals(Route.ENCAP, via.flags());
        assertEquals(new Route(S2, N2), s.lookupRoute(Ipv4Address.parse("10.244.2.77")));
        assertEquals(M2, s.lookupArp(via.address()));
        assertEquals(new FdbEntry(M2, P2), s.lookupFdb(M2));
        assertNull(s.lookupRoute(Ipv4Address.parse("10.244.3.1")));
        assertNull(s.lookupNextHop(Ipv4Address.parse("10.244.3.1")));
        assertEquals(MacAddress.NONE, s.lookupArp(Ipv4Address.parse("10.244.3.0")));
    }

    /** As flannel programs flannel-v6.1: fd00:10:244:2:: lladdr M, FDB M → PublicIPv6, route /64 via fd00:10:244:2::. */
    @Test
    void anIpv6PeerResolvesThroughRouteNeighborAndFdb() {
        long n2 = Ipv6Text.hi("fd00:10:244:2::");
        long p2Hi = Ipv6Text.hi("fd00:50::2");
        long p2Lo = Ipv6Text.lo("fd00:50::2");
        tables.update(b -> b.putNeighbor6(n2, 0, M2B).putFdb6(M2B, p2Hi, p2Lo)
            .putRoute6(Route6.parse("fd00:10:244:2::/64", "fd00:10:244:2::", Route.ENCAP))
            .putPeer(Family.IPV6, p2Hi, p2Lo));
        Tables.Snapshot s = tables.snapshot();
        long dstHi = Ipv6Text.hi("fd00:10:244:2::77");
        long dstLo = Ipv6Text.lo("fd00:10:244:2::77");
        NextHop via = s.lookupNextHop(Family.IPV6, dstHi, dstLo);
        assertEquals(Family.IPV6, via.family());
        assertEquals(n2, via.hi());
        assertEquals(M2B, s.lookupNeighbor(via));
        FdbEntry vtep = s.lookupFdb(M2B);
        assertTrue(vtep.is(Family.IPV6, p2Hi, p2Lo));
        assertEquals("6e:75:73:00:00:22 dst fd00:50::2", vtep.toString());
        assertTrue(s.isPeer(Family.IPV6, p2Hi, p2Lo));
        assertFalse(s.isPeer(Family.IPV4, p2Hi, 0), "families do not mix");
        assertNull(s.lookupNextHop(Family.IPV6, Ipv6Text.hi("fd00:10:244:3::1"), 1));
        assertNull(s.lookupNextHop(Family.IPV4, Family.ipv4Key(Ipv4Address.parse("10.244.2.1")), 0), "no IPv4 route");
        assertEquals(List.of(new NdEntry(n2, 0, M2B)), s.neighbors6());

        tables.update(b -> b.removeNeighbor6(n2, 0).removePeer(Family.IPV6, p2Hi, p2Lo));
        assertEquals(MacAddress.NONE, tables.snapshot().lookupNeighbor(via));
        assertFalse(tables.snapshot().isPeer(Family.IPV6, p2Hi, p2Lo));
    }

    /** Two addresses whose words fold to one bucket key stay apart: the bucket compares whole addresses. */
    @Test
    void addressMapKeepsCollidingAddressesApart() {
        long aHi = 0xfd00_0010_0244_0001L;
        long aLo = 7;
        long bLo = 9;
        long bHi = AddressMap.fold(aHi, aLo) ^ Long.rotateLeft(bLo * 0x9E37_79B9_7F4A_7C15L, 31);
        assertEquals(AddressMap.fold(aHi, aLo), AddressMap.fold(bHi, bLo), "a real collision");
        AddressMap<NdEntry> m = AddressMap.<NdEntry>empty().put(new NdEntry(aHi, aLo, 1)).put(new NdEntry(bHi, bLo, 2));
        assertEquals(2, m.size());
        assertEquals(1, m.get(aHi, aLo).mac());
        assertEquals(2, m.get(bHi, bLo).mac());
        assertNull(m.get(aHi, bLo));
        m = m.put(new NdEntry(bHi, bLo, 3));
        assertEquals(2, m.size(), "replaced, not added");
        assertEquals(3, m.get(bHi, bLo).mac());
        m = m.remove(aHi, aLo);
        assertNull(m.get(aHi, aLo));
        assertEquals(3, m.get(bHi, bLo).mac());
        assertSame(m, m.remove(aHi, aLo), "removing what is gone changes nothing");
        assertEquals(0, m.remove(bHi, bLo).size());
    }

    @Test
    void aBatchIsPublishedWholeAndAnEmptyOneNotAtAll() {
        Tables.Snapshot before = tables.snapshot();
        addPeer(M2);
        Tables.Snapshot after = tables.snapshot();
        assertNull(before.lookupRoute(N2));
        assertEquals(MacAddress.NONE, before.lookupArp(N2));
        assertNull(before.lookupFdb(M2));
        assertEquals(1, after.routes().size());
        assertEquals(1, after.neighbors().size());
        assertEquals(1, after.fdbEntries().size());

        addPeer(M2);
        assertSame(after, tables.snapshot(), "re-adding the same entries publishes nothing");
        tables.update(b -> b.removeRoute(Ipv4Prefix.parse("10.9.0.0/16")).removeFdb(M2B).removeArp(1));
        assertSame(after, tables.snapshot(), "removing absent entries publishes nothing");
    }

    @Test
    void aBatchThatThrowsPublishesNothing() {
        addPeer(M2);
        Tables.Snapshot s = tables.snapshot();
        assertThrows(IllegalStateException.class, () -> tables.update(b -> {
            b.removeRoute(S2).putRoute(Ipv4Prefix.parse("10.244.9.0/24"), 9);
            throw new IllegalStateException("half way");
        }));
        assertSame(s, tables.snapshot());

        // The writer starts again from what was published: the failed batch left nothing behind.
        tables.update(b -> b.putRoute(Ipv4Prefix.parse("10.244.3.0/24"), N2));
        Tables.Snapshot after = tables.snapshot();
        assertEquals(List.of(new Route(S2, N2), new Route(Ipv4Prefix.parse("10.244.3.0/24"), N2)), after.routes());
        assertNull(after.lookupNextHop(Ipv4Address.parse("10.244.9.1")));
        assertSame(after.lookupNextHop(Ipv4Address.parse("10.244.2.1")),
            after.lookupNextHop(Ipv4Address.parse("10.244.3.1")), "one NextHop for both routes");
    }

    /** Calico #7281: a node deleted and re-added (here with a new VTEP MAC) leaves nothing stale. */
    @Test
    void deletingAndReaddingAPeerLeavesNoStaleEntry() {
        addPeer(M2);
        removePeer(M2);
        removePeer(M2); // idempotent
        Tables.Snapshot gone = tables.snapshot();
        assertTrue(gone.routes().isEmpty() && gone.neighbors().isEmpty() && gone.fdbEntries().isEmpty());

        addPeer(M2B);
        Tables.Snapshot s = tables.snapshot();
        assertNull(s.lookupFdb(M2));
        assertEquals(M2B, s.lookupArp(N2));
        assertEquals(List.of(new FdbEntry(M2B, P2)), s.fdbEntries());
        assertEquals(List.of(new Route(S2, N2)), s.routes());
        assertEquals(1, s.routeTable().size());
    }

    @Test
    void flagsIpv6RoutesAndIpv6Underlays() {
        long hi = Ipv6Text.hi("fd00:0:0:2::");
        Route6 r6 = new Route6(hi, 0, 64, Ipv6Text.hi("fd00:0:0:2::"), 0, Route.ENCAP);
        tables.update(b -> b
            .putRoute(Ipv4Prefix.parse("192.168.60.0/24"), Ipv4Address.parse("192.168.60.1"), Route.DIRECT)
            .putRoute6(r6)
            .putFdb6(M2, Ipv6Text.hi("2001:db8::2"), Ipv6Text.lo("2001:db8::2")));
        Tables.Snapshot s = tables.snapshot();
        assertTrue(s.lookupRoute(Ipv4Address.parse("192.168.60.9")).direct());
        assertEquals("192.168.60.0/24 via 192.168.60.1 direct", s.routes().get(0).toString());
        assertEquals(r6, s.lookupRoute6(hi, 77));
        assertEquals(Ipv6Text.hi("fd00:0:0:2::"), s.lookupNextHop6(hi, 77).hi());
        assertNull(s.lookupRoute6(Ipv6Text.hi("fd00:0:0:3::"), 0));
        FdbEntry fdb = s.lookupFdb(M2);
        assertEquals(Family.IPV6, fdb.family());
        assertEquals("6e:75:73:00:00:02 dst 2001:db8::2", fdb.toString());
        assertEquals(List.of(r6), s.routes6());

        tables.update(b -> b.removeRoute6(hi, 0, 64));
        assertNull(tables.snapshot().lookupRoute6(hi, 77));
    }

    @Test
    void listingsAreSorted() {
        tables.update(b -> b
            .putRoute(Ipv4Prefix.parse("10.244.3.0/24"), 3)
            .putRoute(Ipv4Prefix.parse("10.244.0.0/16"), 1)
            .putRoute(Ipv4Prefix.parse("10.244.2.0/24"), 2)
            .putArp(Ipv4Address.parse("10.244.3.0"), 3).putArp(Ipv4Address.parse("10.244.2.0"), 2)
            .putFdb(9, 1).putFdb(4, 1));
        Tables.Snapshot s = tables.snapshot();
        assertEquals(List.of("10.244.0.0/16", "10.244.2.0/24", "10.244.3.0/24"),
            s.routes().stream().map(r -> r.prefix().toString()).toList());
        assertEquals(Ipv4Address.parse("10.244.2.0") & 0xFFFF_FFFFL, s.neighbors().get(0)[0]);
        assertEquals(4, s.fdbEntries().get(0).mac());
    }
}
