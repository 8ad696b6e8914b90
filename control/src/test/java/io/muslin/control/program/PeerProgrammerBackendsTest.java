package io.muslin.control.program;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.muslin.control.lease.Lease;
import io.muslin.control.program.PeerProgrammer.Backend;
import io.muslin.control.program.PeerProgrammer.Result;
import io.muslin.dataplane.packet.Ipv4Address;
import io.muslin.dataplane.packet.Ipv4Prefix;
import io.muslin.dataplane.packet.MacAddress;
import io.muslin.dataplane.table.Route;
import io.muslin.dataplane.table.Tables;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.slf4j.event.Level;

/** IP-in-IP, host-gw and DirectRouting: which peers go direct, and what is installed where, in which order. */
class PeerProgrammerBackendsTest {
    private static final Ipv4Prefix NETWORK = Ipv4Prefix.parse("10.244.0.0/16");
    private static final Ipv4Prefix OWN = Ipv4Prefix.parse("10.244.1.0/24");
    private static final Ipv4Prefix S2 = Ipv4Prefix.parse("10.244.2.0/24");
    private static final Ipv4Prefix S3 = Ipv4Prefix.parse("10.244.3.0/24");
    /** On our underlay subnet. */
    private static final int P2 = ip("192.168.50.2");
    /** Behind a router. */
    private static final int P3 = ip("192.168.60.3");
    private static final long M2 = MacAddress.parse("6e:75:73:00:00:02");

    private final Tables tables = new Tables();
    private final RecordingLogger log = new RecordingLogger();
    private final FakeKernel kernel = new FakeKernel();

    private static int ip(String s) {
        return Ipv4Address.parse(s);
    }

    private PeerProgrammer programmer(Backend backend) {
        return new PeerProgrammer(tables, NETWORK, OWN, backend, kernel, log);
    }

    private Route route(String address) {
        return tables.snapshot().lookupRoute(ip(address));
    }

    @Test
    void ipipRoutesTheSubnetToThePeersPublicIp() {
        PeerProgrammer p = programmer(new Backend(Lease.IPIP, Lease.NO_VNI, false));
        assertEquals(Result.ADDED, p.add(Lease.of(Lease.IPIP, S2, P2)));
        assertEquals(new Route(S2, P2, Route.ENCAP), route("10.244.2.9"));
        assertTrue(tables.snapshot().neighbors().isEmpty(), "IP-in-IP needs no ARP entry");
        assertTrue(tables.snapshot().fdbEntries().isEmpty(), "IP-in-IP needs no FDB entry");
        assertTrue(kernel.routes.isEmpty(), "no DirectRouting: no kernel route");

        assertTrue(p.remove(S2));
        assertNull(route("10.244.2.9"));
    }

    @Test
    void hostGwInstallsAKernelRoutePerOnLinkPeerAndRemovesIt() {
        PeerProgrammer p = programmer(new Backend(Lease.HOST_GW, Lease.NO_VNI, false));
        assertEquals(Result.ADDED, p.add(Lease.of(Lease.HOST_GW, S2, P2)));
        assertEquals(Set.of("10.244.2.0/24 via 192.168.50.2"), kernel.routes);
        assertEquals(new Route(S2, P2, Route.DIRECT), route("10.244.2.1"));
        assertTrue(p.isDirect(S2));
        assertEquals(Result.UNCHANGED, p.add(Lease.of(Lease.HOST_GW, S2, P2)));

        assertTrue(p.remove(S2));
        assertTrue(kernel.routes.isEmpty());
        assertNull(route("10.244.2.1"));
        assertFalse(p.remove(S2));
    }

    @Test
    void hostGwRefusesAPeerThatIsNotOnLinkWithOneClearError() {
        PeerProgrammer p = programmer(new Backend(Lease.HOST_GW, Lease.NO_VNI, false));
        assertEquals(Result.REFUSED, p.add(Lease.of(Lease.HOST_GW, S3, P3)));
        assertEquals(Result.REFUSED, p.add(Lease.of(Lease.HOST_GW, S3, P3)));
        assertTrue(kernel.routes.isEmpty());
        assertNull(route("10.244.3.1"));
        assertTrue(p.peers().isEmpty());
        assertEquals(List.of("refusing host-gw peer 10.244.3.0/24: its PublicIP 192.168.60.3 is not on-link (the "
            + "kernel routes it via 192.168.50.254 dev eth0); host-gw needs every node on one layer-2 network "
            + "(use vxlan or ipip with \"DirectRouting\": true across subnets)"), log.at(Level.ERROR));
    }

    @Test
    void directRoutingGoesDirectOnLinkAndEncapsulatesAcrossSubnets() {
        PeerProgrammer p = programmer(new Backend(Lease.VXLAN, 1, true));
        p.add(Lease.vxlan(S2, P2, 1, M2));
        p.add(Lease.vxlan(S3, P3, 1, MacAddress.parse("6e:75:73:00:00:03")));

        assertEquals(Set.of("10.244.2.0/24 via 192.168.50.2"), kernel.routes);
        assertEquals(new Route(S2, P2, Route.DIRECT), route("10.244.2.1"));
        assertEquals(new Route(S3, S3.address()), route("10.244.3.1"));
        assertEquals(1, tables.snapshot().neighbors().size(), "only the encapsulated peer has an ARP entry");
        assertEquals(1, tables.snapshot().fdbEntries().size(), "only the encapsulated peer has an FDB entry");
    }

    @Test
    void ipipDirectRoutingIsCalicosCrossSubnet() {
        PeerProgrammer p = programmer(new Backend(Lease.IPIP, Lease.NO_VNI, true));
        p.add(Lease.of(Lease.IPIP, S2, P2));
        p.add(Lease.of(Lease.IPIP, S3, P3));
        assertEquals(Set.of("10.244.2.0/24 via 192.168.50.2"), kernel.routes);
        assertTrue(route("10.244.2.1").direct());
        assertEquals(new Route(S3, P3, Route.ENCAP), route("10.244.3.1"));
    }

    @Test
    void aChangedPublicIpIsDecidedAgainWithoutAGap() {
        PeerProgrammer p = programmer(new Backend(Lease.VXLAN, 1, true));
        p.add(Lease.vxlan(S2, P2, 1, M2));
        assertTrue(p.isDirect(S2));
        kernel.events.clear();

        // The node moves behind the router: tunnel entries first, then the kernel route goes.
        int moved = ip("192.168.60.2");
        assertEquals(Result.REPLACED, p.add(Lease.vxlan(S2, moved, 1, M2)));
        assertFalse(p.isDirect(S2));
        assertEquals(List.of("remove 10.244.2.0/24 via 192.168.50.2 while tables encap"), kernel.events);
        assertTrue(kernel.routes.isEmpty());
        assertEquals(M2, tables.snapshot().lookupArp(S2.address()));
        assertEquals(moved, tables.snapshot().lookupFdb(M2).underlay());

        // And back on-link: the kernel route first, then the tunnel entries go.
        kernel.events.clear();
        assertEquals(Result.REPLACED, p.add(Lease.vxlan(S2, P2, 1, M2)));
        assertEquals(List.of("add 10.244.2.0/24 via 192.168.50.2 while tables encap"), kernel.events);
        assertTrue(route("10.244.2.1").direct());
        assertEquals(MacAddress.NONE, tables.snapshot().lookupArp(S2.address()));
        assertNull(tables.snapshot().lookupFdb(M2), "no stale FDB entry");
    }

    @Test
    void leasesOfAnotherBackendAreIgnoredWithOneWarning() {
        PeerProgrammer p = programmer(new Backend(Lease.IPIP, Lease.NO_VNI, false));
        assertEquals(Result.IGNORED, p.add(Lease.vxlan(S2, P2, 1, M2)));
        assertEquals(Result.IGNORED, p.add(Lease.vxlan(S2, P2, 1, M2)));
        assertEquals(Result.IGNORED, p.add(Lease.of(Lease.HOST_GW, S3, P3)));
        assertTrue(tables.snapshot().routes().isEmpty());
        assertEquals(List.of(
            "ignoring lease for 10.244.2.0/24 (192.168.50.2): backend \"vxlan\" is not \"ipip\"",
            "ignoring lease for 10.244.3.0/24 (192.168.60.3): backend \"host-gw\" is not \"ipip\""),
            log.at(Level.WARN));
    }

    @Test
    void aKernelThatRefusesTheRouteLeavesNothingInstalled() {
        PeerProgrammer p = programmer(new Backend(Lease.HOST_GW, Lease.NO_VNI, false));
        kernel.failAdds = true;
        assertEquals(Result.REFUSED, p.add(Lease.of(Lease.HOST_GW, S2, P2)));
        assertNull(route("10.244.2.1"));
        assertTrue(p.peers().isEmpty());
        assertEquals(1, log.at(Level.ERROR).size());
    }

    @Test
    void removeAllTakesEveryKernelRouteAway() {
        PeerProgrammer p = programmer(new Backend(Lease.HOST_GW, Lease.NO_VNI, false));
        p.add(Lease.of(Lease.HOST_GW, S2, P2));
        p.add(Lease.of(Lease.HOST_GW, Ipv4Prefix.parse("10.244.4.0/24"), ip("192.168.50.4")));
        assertEquals(2, kernel.routes.size());
        p.removeAll();
        assertTrue(kernel.routes.isEmpty());
        assertTrue(tables.snapshot().routes().isEmpty());
        assertTrue(p.peers().isEmpty());
    }

    /**
     * The kernel of a node on 192.168.50.0/24 whose way to anything else is a router at .254.
     * Each call is recorded with what the tables held for the subnet at that moment, which shows
     * the order of kernel and table changes.
     */
    private final class FakeKernel implements KernelRoutes {
        final Set<String> routes = new HashSet<>();
        final List<String> events = new ArrayList<>();
        boolean failAdds;

        @Override
        public Reach reach(int address) {
            return (address >>> 8) == (P2 >>> 8) ? new Reach(true, "dev eth0")
                : new Reach(false, "via 192.168.50.254 dev eth0");
        }

        @Override
        public void add(Ipv4Prefix subnet, int gateway) throws IOException {
            if (failAdds) {
                throw new IOException("add route " + subnet + ": Network is unreachable");
            }
            record("add", subnet, gateway);
            routes.add(subnet + " via " + Ipv4Address.format(gateway));
        }

        @Override
        public void remove(Ipv4Prefix subnet, int gateway) {
            record("remove", subnet, gateway);
            routes.remove(subnet + " via " + Ipv4Address.format(gateway));
        }

        private void record(String what, Ipv4Prefix subnet, int gateway) {
            Route now = tables.snapshot().lookupRoute(subnet.address());
            events.add(what + " " + subnet + " via " + Ipv4Address.format(gateway) + " while tables "
                + (now == null ? "empty" : now.direct() ? "direct" : "encap"));
        }
    }
}
