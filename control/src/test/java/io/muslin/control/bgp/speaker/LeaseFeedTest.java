package io.muslin.control.bgp.speaker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.muslin.control.lease.Lease;
import io.muslin.control.program.KernelRoutes;
import io.muslin.control.program.PeerProgrammer;
import io.muslin.dataplane.packet.Ipv4Address;
import io.muslin.dataplane.packet.Ipv4Prefix;
import io.muslin.dataplane.packet.MacAddress;
import io.muslin.dataplane.table.Route;
import io.muslin.dataplane.table.Tables;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Routes become leases and go through the programmer as the backend says, Calico's
 * ipipMode/vxlanMode by another name: host-gw is {@code Never}, vxlan/ipip with DirectRouting
 * {@code CrossSubnet}, without it {@code Always}. The node is 192.168.50.1; 192.168.50.x is
 * on-link, 192.168.60.x behind a router.
 */
class LeaseFeedTest {
    static final Ipv4Prefix NETWORK = Ipv4Prefix.parse("10.244.0.0/16");
    static final Ipv4Prefix OWN = Ipv4Prefix.parse("10.244.1.0/24");
    static final long MAC = MacAddress.parse("6e:75:73:00:00:02");

    /** The kernel of a node on 192.168.50.0/24: that subnet is on-link, the rest behind .254. */
    static final class Kernel implements KernelRoutes {
        final List<String> routes = new ArrayList<>();

        @Override
        public Reach reach(int address) {
            return (address >>> 8) == (Ipv4Address.parse("192.168.50.0") >>> 8) ? new Reach(true, "dev eth0")
                : new Reach(false, "via 192.168.50.254 dev eth0");
        }

        @Override
        public void add(Ipv4Prefix subnet, int gateway) {
            routes.add(subnet + " via " + Ipv4Address.format(gateway));
        }

        @Override
        public void remove(Ipv4Prefix subnet, int gateway) {
            routes.remove(subnet + " via " + Ipv4Address.format(gateway));
        }
    }

    @ParameterizedTest(name = "{0} DirectRouting={1}, next hop {2}, MAC {3}: {4}")
    @CsvSource({
        // Always: tunnelled, whatever the next hop
        "vxlan,   false, 192.168.50.2, true,  tunnel",
        "vxlan,   false, 192.168.60.2, true,  tunnel",
        "ipip,    false, 192.168.60.2, false, tunnel",
        // CrossSubnet: native when on-link, tunnelled otherwise
        "vxlan,   true,  192.168.50.2, true,  direct",
        "vxlan,   true,  192.168.60.2, true,  tunnel",
        "ipip,    true,  192.168.50.2, false, direct",
        "ipip,    true,  192.168.60.2, false, tunnel",
        // a route with no MAC (BIRD's for a node that routes natively): only directly
        "vxlan,   true,  192.168.50.4, false, direct",
        "vxlan,   true,  192.168.60.4, false, refused",
        "vxlan,   false, 192.168.50.4, false, refused",
        // Never: a kernel route via the next hop, which must be on-link
        "host-gw, false, 192.168.50.2, false, direct",
        "host-gw, false, 192.168.60.2, false, refused",
    })
    void routesAreProgrammedAsTheBackendSays(String backend, boolean directRouting, String nextHop, boolean withMac,
                                             String expected) throws Exception {
        Tables tables = new Tables();
        Kernel kernel = new Kernel();
        int vni = backend.equals(Lease.VXLAN) ? 1 : Lease.NO_VNI;
        PeerProgrammer programmer = new PeerProgrammer(tables, NETWORK, OWN,
            new PeerProgrammer.Backend(backend, vni, directRouting), kernel);
        List<PeerProgrammer.Result> results = new ArrayList<>();
        try (LeaseFeed feed = new LeaseFeed(programmer, backend, vni, (l, r) -> results.add(r))) {
            int nh = Ipv4Address.parse(nextHop);
            Ipv4Prefix block = Ipv4Prefix.parse("10.244.2.0/24");
            feed.changed(new BgpRoute(block, nh, withMac ? MAC : MacAddress.NONE, 100, 0, nh, false));
            feed.awaitIdle();
            Route r = tables.snapshot().lookupRoute(Ipv4Address.parse("10.244.2.7"));
            switch (expected) {
                case "direct" -> {
                    assertEquals(List.of("10.244.2.0/24 via " + nextHop), kernel.routes);
                    assertTrue(r.direct());
                }
                case "tunnel" -> {
                    assertEquals(List.of(), kernel.routes);
                    assertTrue(!r.direct());
                    if (backend.equals(Lease.VXLAN)) {
                        assertEquals(List.of(block.address(), MAC).toString(),
                            List.of((int) tables.snapshot().neighbors().getFirst()[0],
                                tables.snapshot().neighbors().getFirst()[1]).toString(), "ARP: block address -> MAC");
                        assertEquals(nh, tables.snapshot().fdbEntries().getFirst().underlay(), "FDB: MAC -> next hop");
                    }
                }
                default -> {
                    assertEquals(List.of(PeerProgrammer.Result.REFUSED), results);
                    assertNull(r);
                    assertEquals(1, feed.refused());
                }
            }
            feed.withdrawn(block);
            feed.awaitIdle();
            assertNull(tables.snapshot().lookupRoute(Ipv4Address.parse("10.244.2.7")));
            assertEquals(List.of(), kernel.routes);
        }
    }
}
