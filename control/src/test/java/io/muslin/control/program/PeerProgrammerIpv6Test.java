package io.muslin.control.program;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.muslin.control.lease.Lease;
import io.muslin.dataplane.packet.Ipv4Address;
import io.muslin.dataplane.packet.Ipv4Prefix;
import io.muslin.dataplane.packet.Ipv6Address;
import io.muslin.dataplane.packet.Ipv6Prefix;
import io.muslin.dataplane.packet.MacAddress;
import io.muslin.dataplane.table.Family;
import io.muslin.dataplane.table.FdbEntry;
import io.muslin.dataplane.table.NextHop;
import io.muslin.dataplane.table.Tables;
import org.junit.jupiter.api.Test;

/** Dual-stack leases programmed as flannel programs flannel.1 and flannel-v6.1, and removed whole. */
class PeerProgrammerIpv6Test {
    private static final Ipv4Prefix NETWORK = Ipv4Prefix.parse("10.244.0.0/16");
    private static final Ipv6Prefix NETWORK6 = Ipv6Prefix.parse("fd00:10:244::/56");
    private static final Ipv4Prefix OWN = Ipv4Prefix.parse("10.244.1.0/24");
    private static final Ipv6Prefix OWN6 = Ipv6Prefix.parse("fd00:10:244:1::/64");
    private static final Ipv4Prefix S2 = Ipv4Prefix.parse("10.244.2.0/24");
    private static final Ipv6Prefix S2_6 = Ipv6Prefix.parse("fd00:10:244:2::/64");
    private static final int P2 = Ipv4Address.parse("192.168.50.2");
    private static final Ipv6Address P2_6 = Ipv6Address.parse("fd00:50::2");
    private static final long M2 = MacAddress.parse("6e:75:73:00:00:02");
    private static final long M2_6 = MacAddress.parse("6e:75:73:00:06:02");

    private final Tables tables = new Tables();
    private final PeerProgrammer programmer = new PeerProgrammer(tables, NETWORK, OWN, PeerProgrammer.Backend.vxlan(1),
        KernelRoutes.NONE, NETWORK6, OWN6);

    private static Lease dual(Ipv6Address publicIpv6, long mac6) {
        return Lease.vxlan(S2, P2, 1, M2).withIpv6(S2_6, publicIpv6, mac6);
    }

    @Test
    void programsBothFamiliesLikeFlannel() {
        assertEquals(PeerProgrammer.Result.ADDED, programmer.add(dual(P2_6, M2_6)));
        Tables.Snapshot s = tables.snapshot();
        NextHop via = s.lookupNextHop(Family.IPV6, S2_6.hi(), 0x77);
        assertEquals(S2_6.hi(), via.hi(), "route fd00:10:244:2::/64 via fd00:10:244:2::");
        assertEquals(0, via.lo());
        assertEquals(M2_6, s.lookupNeighbor(via), "neighbor fd00:10:244:2:: lladdr VtepMACv6");
        assertEquals(FdbEntry.ipv6(M2_6, P2_6.hi(), P2_6.lo()), s.lookupFdb(M2_6), "FDB VtepMACv6 -> PublicIPv6");
        assertTrue(s.isPeer(Family.IPV6, P2_6.hi(), P2_6.lo()));
        assertEquals(M2, s.lookupArp(S2.address()), "and the IPv4 half as before");
        assertEquals(new FdbEntry(M2, P2), s.lookupFdb(M2));
    }

    @Test
    void aChangedIpv6HalfReplacesTheOldEntries() {
        programmer.add(dual(P2_6, M2_6));
        Ipv6Address moved = Ipv6Address.parse("fd00:60::2");
        long newMac = MacAddress.parse("6e:75:73:00:06:22");
        assertEquals(PeerProgrammer.Result.REPLACED, programmer.add(dual(moved, newMac)));
        Tables.Snapshot s = tables.snapshot();
        assertNull(s.lookupFdb(M2_6), "no stale FDB entry for the old MAC");
        assertFalse(s.isPeer(Family.IPV6, P2_6.hi(), P2_6.lo()));
        assertTrue(s.isPeer(Family.IPV6, moved.hi(), moved.lo()));
        assertEquals(newMac, s.lookupNeighbor6(S2_6.hi(), 0));
        assertEquals(FdbEntry.ipv6(newMac, moved.hi(), moved.lo()), s.lookupFdb(newMac));
    }

    @Test
    void removalTakesBothFamiliesAndDroppingTheIpv6HalfTakesOnlyIt() {
        programmer.add(dual(P2_6, M2_6));
        assertEquals(PeerProgrammer.Result.REPLACED, programmer.add(Lease.vxlan(S2, P2, 1, M2)));
        Tables.Snapshot s = tables.snapshot();
        assertNull(s.lookupNextHop(Family.IPV6, S2_6.hi(), 1));
        assertNull(s.lookupFdb(M2_6));
        assertTrue(s.neighbors6().isEmpty());
        assertTrue(s.isPeer(Family.IPV4, Family.ipv4Key(P2), 0));

        programmer.add(dual(P2_6, M2_6));
        assertTrue(programmer.remove(S2));
        s = tables.snapshot();
        assertTrue(s.routes6().isEmpty());
        assertTrue(s.neighbors6().isEmpty());
        assertTrue(s.fdbEntries().isEmpty());
        assertFalse(s.isPeer(Family.IPV6, P2_6.hi(), P2_6.lo()));
        assertFalse(s.isPeer(Family.IPV4, Family.ipv4Key(P2), 0));
    }

    @Test
    void anIpv6SubnetOutsideTheNetworkOrOverlappingOursIsRefused() {
        IllegalArgumentException outside = assertThrows(IllegalArgumentException.class, () -> programmer.add(
            Lease.vxlan(S2, P2, 1, M2).withIpv6(Ipv6Prefix.parse("fd00:99::/64"), P2_6, M2_6)));
        assertEquals("lease for 10.244.2.0/24 has the IPv6 subnet fd00:99::/64, outside the IPv6 network fd00:10:244::/56",
            outside.getMessage());
        assertThrows(IllegalArgumentException.class, () -> programmer.add(
            Lease.vxlan(S2, P2, 1, M2).withIpv6(OWN6, P2_6, M2_6)));
        assertTrue(tables.snapshot().routes().isEmpty(), "nothing installed");
    }

    @Test
    void anIpv4OnlyNodeLeavesTheIpv6HalfAlone() {
        PeerProgrammer v4only = new PeerProgrammer(tables, NETWORK, OWN, PeerProgrammer.Backend.vxlan(1), KernelRoutes.NONE);
        assertEquals(PeerProgrammer.Result.ADDED, v4only.add(dual(P2_6, M2_6)));
        assertTrue(tables.snapshot().routes6().isEmpty());
        assertEquals(1, tables.snapshot().routes().size());
    }
}
