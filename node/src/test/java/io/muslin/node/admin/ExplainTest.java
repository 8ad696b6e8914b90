package io.muslin.node.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.muslin.dataplane.Encapsulation;
import io.muslin.dataplane.engine.DataplaneSettings;
import io.muslin.dataplane.packet.Ipv4Address;
import io.muslin.dataplane.packet.Ipv4Prefix;
import io.muslin.dataplane.packet.MacAddress;
import io.muslin.dataplane.path.SourceCheck;
import io.muslin.dataplane.table.Route;
import org.junit.jupiter.api.Test;

/** {@code explain}: each stage's answer, and the drop reason where a stage has none. */
class ExplainTest {
    private static final long MAC2 = MacAddress.parse("6e:75:73:00:00:02");

    private static FakeAdminView vxlan() {
        FakeAdminView v = new FakeAdminView();
        v.settings = new DataplaneSettings("muslin0", Encapsulation.VXLAN, Ipv4Prefix.parse("10.244.0.0/16"),
            Ipv4Prefix.parse("10.244.1.0/24"), Ipv4Address.parse("192.168.50.1"), MacAddress.parse("6e:75:73:00:00:01"),
            1, 8472, 1450, true, 0, 1500, 0, SourceCheck.Mode.STRICT, 1, 0);
        v.tables.update(b -> b.putRoute(Ipv4Prefix.parse("10.244.2.0/24"), Ipv4Address.parse("10.244.2.0"))
            .putArp(Ipv4Address.parse("10.244.2.0"), MAC2).putFdb(MAC2, Ipv4Address.parse("192.168.50.2"))
            .putRoute(Ipv4Prefix.parse("10.244.3.0/24"), Ipv4Address.parse("10.244.3.0"))
            .putRoute(Ipv4Prefix.parse("10.244.4.0/24"), Ipv4Address.parse("192.168.50.4"), Route.DIRECT));
        return v;
    }

    @Test
    void aForwardedPacketShowsEveryStage() {
        FakeAdminView v = vxlan();
        v.outerLimits.put(Ipv4Address.parse("192.168.50.2"), 1400);
        v.pathMtus = java.util.List.of(new io.muslin.dataplane.path.PathMtu.Entry(Ipv4Address.parse("192.168.50.2"),
            1400, 0));
        assertEquals("""
            route   10.244.2.0/24 via 10.244.2.0 dev muslin0 onlink
            neigh   10.244.2.0 lladdr 6e:75:73:00:00:02
            fdb     6e:75:73:00:00:02 dst 192.168.50.2
            peer    no programmed lease for this route
            encap   vxlan vni 1 port 8472: 50 bytes of outer headers
            mtu     path 1400 (learned from ICMP) - 50 = 1350 for inner packets; tunnel mtu 1450
            size    1300 fits
            verdict forward to 192.168.50.2
            """, AdminCommand.handle("explain 10.244.2.7 size 1300", v));
        assertEquals("size    1400 does not fit 1350: with DF dropped as dropPathMtu and answered with ICMP "
            + "fragmentation needed (mtu 1350); without DF the underlay fragments it\n"
            + "verdict drop dropPathMtu (with DF)\n",
            tail(AdminCommand.handle("explain 10.244.2.7 size 1400", v), 2));
    }

    @Test
    void eachMissingEntryGivesItsDropReason() {
        FakeAdminView v = vxlan();
        assertEquals("verdict drop dropNoRoute\n", tail(AdminCommand.handle("explain 10.244.9.1", v), 1));
        assertEquals("verdict drop dropNoNeighbor\n", tail(AdminCommand.handle("explain 10.244.3.1", v), 1));
        assertEquals("verdict drop dropDirectRoute (if it reaches muslin0, the kernel route is missing)\n",
            tail(AdminCommand.handle("explain 10.244.4.1", v), 1));
        assertEquals("verdict not muslin's\n", tail(AdminCommand.handle("explain 8.8.8.8", v), 1));
        assertEquals("verdict deliver to muslin0\n", tail(AdminCommand.handle("explain 10.244.1.5 from 10.244.2.7", v), 1));
    }

    @Test
    void badArgumentsAreOneErrorLine() {
        FakeAdminView v = vxlan();
        assertEquals("error: explain: size 5 is out of range (accepted: 20-65535)\n",
            AdminCommand.handle("explain 10.244.2.1 size 5", v));
        assertEquals("error: explain: unknown word \"via\" (accepted: from SRC, size N)\n",
            AdminCommand.handle("explain 10.244.2.1 via 1", v));
        assertEquals("error: routes takes no arguments (got \"x\")\n", AdminCommand.handle("routes x", v));
    }

    private static String tail(String text, int lines) {
        String[] l = text.split("\n");
        StringBuilder sb = new StringBuilder();
        for (int i = l.length - lines; i < l.length; i++) {
            sb.append(l[i]).append('\n');
        }
        return sb.toString();
    }
}
