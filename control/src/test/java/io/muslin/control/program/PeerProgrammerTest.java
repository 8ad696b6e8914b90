package io.muslin.control.program;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.muslin.control.lease.Lease;
import io.muslin.control.program.PeerProgrammer.Result;
import io.muslin.dataplane.packet.Ipv4Address;
import io.muslin.dataplane.packet.Ipv4Prefix;
import io.muslin.dataplane.packet.MacAddress;
import io.muslin.dataplane.table.FdbEntry;
import io.muslin.dataplane.table.Route;
import io.muslin.dataplane.table.Tables;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.slf4j.event.Level;

class PeerProgrammerTest {
    private static final Ipv4Prefix NETWORK = Ipv4Prefix.parse("10.244.0.0/16");
    private static final Ipv4Prefix OWN = Ipv4Prefix.parse("10.244.1.0/24");
    private static final Ipv4Prefix S2 = Ipv4Prefix.parse("10.244.2.0/24");
    private static final Ipv4Prefix S3 = Ipv4Prefix.parse("10.244.3.0/24");
    private static final int N2 = ip("10.244.2.0");
    private static final int N3 = ip("10.244.3.0");
    private static final int P2 = ip("192.168.50.2");
    private static final int P3 = ip("192.168.50.3");
    private static final long M2 = MacAddress.parse("6e:75:73:00:00:02");
    private static final long M3 = MacAddress.parse("6e:75:73:00:00:03");

    private final Tables tables = new Tables();
    private final RecordingLogger log = new RecordingLogger();
    private final PeerProgrammer programmer = new PeerProgrammer(tables, NETWORK, OWN, PeerProgrammer.Backend.vxlan(1), KernelRoutes.NONE, log);

    private static int ip(String s) {
        return Ipv4Address.parse(s);
    }

    private Tables.Snapshot snap() {
        return tables.snapshot();
    }

    @Test
    void programsArpFdbAndRouteLikeFlannel() {
        assertEquals(Result.ADDED, programmer.add(Lease.vxlan(S2, P2, 1, M2)));

        // route S via N, ARP N -> M, FDB M -> P: the lookup chain of the outbound path.
        Route route = snap().lookupRoute(ip("10.244.2.77"));
        assertEquals(new Route(S2, N2), route);
        assertEquals(M2, snap().lookupArp(route.nextHop()));
        assertEquals(new FdbEntry(M2, P2), snap().lookupFdb(M2));
        assertNull(snap().lookupRoute(ip("10.244.3.1")));
        assertEquals(List.of(Lease.vxlan(S2, P2, 1, M2)), programmer.peers());
    }

    @Test
    void aPeersPublicIpIsAKnownSenderWhileOneOfItsLeasesIsProgrammed() {
        Ipv4Prefix s4 = Ipv4Prefix.parse("10.244.4.0/24");
        int p4 = ip("192.168.50.4");
        assertFalse(snap().isPeer(P2));
        programmer.add(Lease.vxlan(S2, P2, 1, M2));
        programmer.add(Lease.vxlan(S3, P2, 1, M2)); // a second subnet at the same address
        assertTrue(snap().isPeer(P2));
        programmer.remove(S2);
        assertTrue(snap().isPeer(P2), "S3 is still there");
        programmer.add(Lease.vxlan(S3, p4, 1, M2)); // S3 moves to another address
        assertFalse(snap().isPeer(P2));
        assertTrue(snap().isPeer(p4));
        programmer.add(Lease.vxlan(s4, P3, 1, M3));
        programmer.removeAll();
        assertFalse(snap().isPeer(p4));
        assertFalse(snap().isPeer(P3));
        assertEquals(0, snap().peerTable().size());
    }

    @Test
    void allThreeEntriesArePublishedInOneSnapshot() {
        Tables.Snapshot before = snap();
        programmer.add(Lease.vxlan(S2, P2, 1, M2));
        Tables.Snapshot after = snap();
        // The old snapshot shows none of the entries, the new one all three.
        assertNull(before.lookupRoute(N2));
        assertEquals(MacAddress.NONE, before.lookupArp(N2));
        assertNull(before.lookupFdb(M2));
        assertEquals(1, after.routes().size());
        assertEquals(1, after.neighbors().size());
        assertEquals(1, after.fdbEntries().size());
    }

    @Test
    void addIsIdempotent() {
        programmer.add(Lease.vxlan(S2, P2, 1, M2));
        Tables.Snapshot first = snap();
        assertEquals(Result.UNCHANGED, programmer.add(Lease.vxlan(S2, P2, 1, M2)));
        assertSame(first, snap(), "an unchanged lease publishes nothing");
        assertEquals(1, programmer.peers().size());
    }

    @Test
    void changedMacReplacesEntriesAndLeavesNoStaleFdb() {
        programmer.add(Lease.vxlan(S2, P2, 1, M2));
        long newMac = MacAddress.parse("6e:75:73:00:00:22");

        assertEquals(Result.REPLACED, programmer.add(Lease.vxlan(S2, P2, 1, newMac)));

        assertEquals(newMac, snap().lookupArp(N2));
        assertEquals(new FdbEntry(newMac, P2), snap().lookupFdb(newMac));
        assertNull(snap().lookupFdb(M2), "old MAC's FDB entry must go (Calico #7281)");
        assertEquals(List.of(new FdbEntry(newMac, P2)), snap().fdbEntries());
        assertEquals(List.of(new Route(S2, N2)), snap().routes());
    }

    @Test
    void changedPublicIpRepointsFdb() {
        programmer.add(Lease.vxlan(S2, P2, 1, M2));
        int moved = ip("192.168.60.2");
        assertEquals(Result.REPLACED, programmer.add(Lease.vxlan(S2, moved, 1, M2)));
        assertEquals(new FdbEntry(M2, moved), snap().lookupFdb(M2));
        assertEquals(1, snap().fdbEntries().size());
    }

    @Test
    void sharedMacKeepsItsFdbEntryWhileAnotherPeerUsesIt() {
        // A restarted node keeps its MAC but may come back with a new subnet while the old lease
        // has not expired yet: two subnets, one MAC, one public IP.
        programmer.add(Lease.vxlan(S2, P2, 1, M2));
        programmer.add(Lease.vxlan(S3, P2, 1, M2));
        assertTrue(programmer.remove(S2));

        assertEquals(new FdbEntry(M2, P2), snap().lookupFdb(M2));
        assertEquals(M2, snap().lookupArp(N3));
        assertNull(snap().lookupRoute(N2));
        assertEquals(MacAddress.NONE, snap().lookupArp(N2));

        assertTrue(programmer.remove(S3));
        assertNull(snap().lookupFdb(M2));
    }

    @Test
    void replacingMacOfOnePeerKeepsTheSharedEntryOfAnother() {
        programmer.add(Lease.vxlan(S2, P2, 1, M2));
        programmer.add(Lease.vxlan(S3, P2, 1, M2));
        programmer.add(Lease.vxlan(S3, P3, 1, M3));
        assertEquals(new FdbEntry(M2, P2), snap().lookupFdb(M2));
        assertEquals(new FdbEntry(M3, P3), snap().lookupFdb(M3));
    }

    @Test
    void removeDeletesAllThreeAndIsIdempotent() {
        programmer.add(Lease.vxlan(S2, P2, 1, M2));
        programmer.add(Lease.vxlan(S3, P3, 1, M3));

        assertTrue(programmer.remove(S2));
        assertFalse(programmer.remove(S2));
        assertFalse(programmer.remove(Ipv4Prefix.parse("10.244.9.0/24")));

        assertNull(snap().lookupRoute(ip("10.244.2.5")));
        assertEquals(MacAddress.NONE, snap().lookupArp(N2));
        assertNull(snap().lookupFdb(M2));
        assertEquals(new Route(S3, N3), snap().lookupRoute(ip("10.244.3.5")));
        assertEquals(List.of(Lease.vxlan(S3, P3, 1, M3)), programmer.peers());
    }

    @Test
    void ignoresOwnSubnet() {
        assertEquals(Result.IGNORED, programmer.add(Lease.vxlan(OWN, ip("192.168.50.1"), 1, M2)));
        assertTrue(snap().routes().isEmpty());
        assertTrue(programmer.peers().isEmpty());
    }

    @Test
    void ignoresOtherBackendWithOneWarningPerSubnet() {
        Lease hostGw = new Lease(S2, P2, "host-gw", Lease.NO_VNI, MacAddress.NONE);
        assertEquals(Result.IGNORED, programmer.add(hostGw));
        assertEquals(Result.IGNORED, programmer.add(hostGw));
        assertEquals(Result.IGNORED, programmer.add(new Lease(S3, P3, "host-gw", Lease.NO_VNI, MacAddress.NONE)));

        assertTrue(snap().routes().isEmpty());
        assertTrue(snap().fdbEntries().isEmpty());
        assertEquals(List.of(
            "ignoring lease for 10.244.2.0/24 (192.168.50.2): backend \"host-gw\" is not \"vxlan\"",
            "ignoring lease for 10.244.3.0/24 (192.168.50.3): backend \"host-gw\" is not \"vxlan\""),
            log.at(Level.WARN));
    }

    @Test
    void ignoresOtherVniWithOneWarningPerSubnet() {
        assertEquals(Result.IGNORED, programmer.add(Lease.vxlan(S2, P2, 2, M2)));
        assertEquals(Result.IGNORED, programmer.add(Lease.vxlan(S2, P2, 2, M2)));
        assertTrue(snap().routes().isEmpty());
        assertEquals(List.of("ignoring lease for 10.244.2.0/24 (192.168.50.2): VNI 2 differs from ours (1)"),
            log.at(Level.WARN));
    }

    @Test
    void aPeerThatLeavesOurBackendIsRemoved() {
        programmer.add(Lease.vxlan(S2, P2, 1, M2));
        assertEquals(Result.IGNORED, programmer.add(new Lease(S2, P2, "host-gw", Lease.NO_VNI, MacAddress.NONE)));
        assertNull(snap().lookupRoute(N2));
        assertNull(snap().lookupFdb(M2));
        assertTrue(programmer.peers().isEmpty());
    }

    @Test
    void rejectsLeaseOutsideNetwork() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
            () -> programmer.add(Lease.vxlan(Ipv4Prefix.parse("10.245.2.0/24"), P2, 1, M2)));
        assertEquals("lease for 10.245.2.0/24 is outside the network 10.244.0.0/16", e.getMessage());
        assertTrue(snap().routes().isEmpty());
    }

    @Test
    void rejectsLeaseOverlappingOwnSubnet() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
            () -> programmer.add(Lease.vxlan(Ipv4Prefix.parse("10.244.0.0/23"), P2, 1, M2)));
        assertEquals("lease for 10.244.0.0/23 overlaps this node's subnet 10.244.1.0/24", e.getMessage());
    }

    @Test
    void peersAreSortedBySubnet() {
        programmer.add(Lease.vxlan(S3, P3, 1, M3));
        programmer.add(Lease.vxlan(S2, P2, 1, M2));
        assertEquals(List.of(S2, S3), programmer.peers().stream().map(Lease::subnet).toList());
    }
}
