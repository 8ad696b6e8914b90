package io.muslin.node.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;

/**
 * Calico's way against the real thing: three muslin nodes with {@code "Control": {"Type": "bgp"}}
 * peer with one BIRD route reflector (Debian's bird2, in its own namespace at 192.168.50.250),
 * vxlan with DirectRouting (Calico's CrossSubnet). Nodes 1 and 2 share 192.168.50.0/24, node 3
 * is behind a router on 192.168.60.0/24, node 4 runs plain kernel routing and BIRD announces
 * its block. Node 1 also peers with 192.168.50.251, where {@link BgpProbe} sends the malformed
 * messages. Hold time 3 s (BIRD's and muslin's), so a node that vanishes goes in seconds.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 6, unit = TimeUnit.MINUTES)
class BgpIT {
    private static final String PROBE_IP = "192.168.50.251";
    private static final long TRANSFER_BYTES = 50L << 20;
    private static final String[] FIELDS = {"frame.number", "ip.src", "ip.dst", "ip.proto", "udp.dstport"};

    private static Lab lab;

    @BeforeAll
    static void up() {
        Lab.assumeLabCapable();
        Lab.assumeTools("bird", "birdc", "ping", "ss", Lab.NETCAT, "tcpdump", "tshark");
        lab = Lab.create();
        lab.up(4, "--mode", "bare", "--control", "bgp", "--reflector", "--bgp-hold-time", "3", "--routing-nodes", "4",
            "--remote-nodes", "3", "--backend", "vxlan", "--direct-routing");
        // node 1 also peers with the probe's address
        Path n1 = lab.config(1);
        Lab.write(n1, Lab.read(n1).replace("\"Peers\": [{\"Address\": \"192.168.50.250\", \"AS\": 64512}]",
            "\"Peers\": [{\"Address\": \"192.168.50.250\", \"AS\": 64512}, {\"Address\": \"" + PROBE_IP + "\"}]"));
        for (int i = 1; i <= 3; i++) {
            lab.startDaemon(i);
        }
    }

    @AfterAll
    static void down() {
        if (lab != null) {
            lab.close();
        }
    }

    private static String routes(int node) {
        return lab.peerRoutes(node);
    }

    private static String bgp(int node) {
        Lab.Result r = lab.muslin(node, "bgp");
        assertEquals(0, r.exitCode(), r::output);
        return r.stdout();
    }

    private static void awaitRoute(int node, String block, boolean present) {
        assertTrue(Lab.waitFor(150, () -> routes(node).contains(block + " ") == present),
            () -> "node " + node + (present ? " never learned " : " still has ") + block + ":\n" + routes(node)
                + bgp(node) + lab.diagnostics());
    }

    /** Every node has the others' blocks: 1 and 2 all three, 3 those of 1 and 2 (4 is not on-link, has no VTEP). */
    private static void awaitFullTables() {
        for (String block : new String[] {"10.244.2.0/24", "10.244.3.0/24", "10.244.4.0/24"}) {
            awaitRoute(1, block, true);
        }
        for (String block : new String[] {"10.244.1.0/24", "10.244.3.0/24", "10.244.4.0/24"}) {
            awaitRoute(2, block, true);
        }
        for (String block : new String[] {"10.244.1.0/24", "10.244.2.0/24"}) {
            awaitRoute(3, block, true);
        }
    }

    @Test
    @Order(1)
    void everyNodeLearnsTheOthersBlocksThroughTheReflectorAndPodsReachEachOther() {
        awaitFullTables();
        assertEquals("""
            10.244.2.0/24 via 192.168.50.2 direct
            10.244.3.0/24 via 10.244.3.0 dev muslin0 onlink
            10.244.4.0/24 via 192.168.50.4 direct
            """, routes(1), "on-link natively (CrossSubnet), node 3 through VXLAN");
        assertTrue(lab.muslin(1, "neigh").stdout().contains("10.244.3.0 dev muslin0 lladdr " + Lab.vtepMac(3)),
            "node 3's VTEP MAC came with its route (Router's MAC extended community)");
        assertEquals("""
            10.244.1.0/24 via 10.244.1.0 dev muslin0 onlink
            10.244.2.0/24 via 10.244.2.0 dev muslin0 onlink
            """, routes(3));
        assertTrue(bgp(3).contains("routesNotProgrammed 1"), "node 4's block: no MAC and not on-link for node 3");
        assertTrue(bgp(1).startsWith("192.168.50.250 as 64512 state Established since "), bgp(1));
        assertTrue(bgp(1).contains(" received 3 sent 1 last-error -\n"), bgp(1));

        // BIRD has the three blocks with each node's address as next hop, and the Router's MAC with them
        String birdRoutes = lab.birdc("show", "route", "all").stdout();
        for (int i = 1; i <= 3; i++) {
            assertTrue(birdRoutes.matches("(?s).*10\\.244\\." + i + "\\.0/24 .*?BGP\\.next_hop: "
                + lab.pubIp(i).replace(".", "\\.") + "\n.*"), () -> birdRoutes);
        }
        assertTrue(birdRoutes.contains("BGP.ext_community: (generic, 0x6036e75, 0x73000001)"), birdRoutes);

        lab.assertAllPodsReachEachOther(3);
        lab.assertPing(1, 4);
        lab.assertPing(2, 4);
        lab.assertPing(4, 1);
    }

    @Test
    @Order(2)
    void fiftyMegabytesArriveIntactNativelyAndThroughTheTunnel() {
        Path data = lab.randomFile("data-50m.bin", TRANSFER_BYTES);
        lab.assertTransfersIntactBothWays(data, 1, 2, 5001, Duration.ofMinutes(2));
        lab.assertTransfersIntactBothWays(data, 1, 3, 5003, Duration.ofMinutes(2));
    }

    @Test
    @Order(3)
    void crossSubnetGoesNativelyOnLinkAndThroughVxlanAcrossTheRouter() {
        Path pcap = lab.capture(1, "bgp-cross-subnet", "icmp or udp port " + Lab.VXLAN_PORT, () -> {
            for (int to : new int[] {2, 3, 4}) {
                lab.execOk(lab.podNs(1), Duration.ofSeconds(30), "ping", "-n", "-c", "3", "-i", "0.2", "-W", "2",
                    Lab.podIp(to));
            }
        }, file -> lab.count(file, "icmp.type == 0") >= 9);
        int plain = 0;
        int tunnelled = 0;
        for (String[] f : lab.decode(pcap, List.of("udp.port==" + Lab.VXLAN_PORT + ",vxlan"), "icmp", FIELDS)) {
            String where = "frame " + String.join(" | ", f);
            String[] src = f[1].split(",");
            String[] dst = f[2].split(",");
            String inner = src[src.length - 1] + " " + dst[dst.length - 1];
            if (inner.contains(Lab.podIp(3))) {
                tunnelled++;
                assertEquals(2, src.length, () -> "pod 1 <-> pod 3 is encapsulated, " + where);
                assertTrue(List.of(lab.pubIp(1), lab.pubIp(3)).contains(src[0]), () -> "outer addresses, " + where);
                assertEquals(Integer.toString(Lab.VXLAN_PORT), f[4], () -> "VXLAN, " + where);
            } else {
                plain++;
                assertEquals(1, src.length, () -> "pod 1 <-> pods 2 and 4 are not encapsulated, " + where);
            }
        }
        assertTrue(plain >= 12, "echo requests and replies to pods 2 and 4: " + plain);
        assertTrue(tunnelled >= 6, "echo requests and replies to pod 3: " + tunnelled);
    }

    private static String probe(String kase) {
        Lab.Result r = lab.exec(lab.reflectorNs(), Duration.ofSeconds(60), Lab.javaBinary(), "-cp",
            Lab.classpathWithMuslin(), BgpProbe.class.getName(), PROBE_IP, lab.pubIp(1), "179", kase);
        assertEquals(0, r.exitCode(), () -> "BgpProbe " + kase + ":\n" + r.output());
        return r.stdout().strip();
    }

    @Test
    @Order(4)
    void malformedMessagesGetTheirNotificationAndForwardingGoesOn() {
        // pod 2 pings pod 3 all along: node 1's troubles are not theirs
        Lab.Spawned ping = lab.spawn("ping-2-3", null, Lab.inNs(lab.podNs(2), "ping", "-n", "-c", "60", "-i", "0.2",
            Lab.podIp(3)));

        assertEquals("NOTIFICATION 1/1", probe("marker"), "Message Header Error / Connection Not Synchronized");
        assertEquals("NOTIFICATION 1/2 0012", probe("length"), "Bad Message Length, with the length field");
        assertEquals("NOTIFICATION 3/2 40630100", probe("attribute"),
            "UPDATE Message Error / Unrecognized Well-known Attribute, with the attribute");
        // the probe's route came before its bad UPDATE: kept for its graceful restart time (5 s), then gone
        String during = routes(1);
        assertTrue(during.contains("10.244.9.0/24 via " + PROBE_IP + " direct"), during);
        assertTrue(bgp(1).contains(PROBE_IP + " as 64512 state "), bgp(1));
        awaitRoute(1, "10.244.9.0/24", false);
        assertEquals("NOTIFICATION 3/10", probe("nlri"), "UPDATE Message Error / Invalid Network Field");

        String status = bgp(1);
        assertTrue(status.contains("sent NOTIFICATION UPDATE Message Error / Invalid Network Field (3/10)"), status);
        assertTrue(status.contains("notificationsSent 4\n"), status);
        assertTrue(status.contains("staleRoutesRemoved 1\n"), status);
        assertTrue(status.startsWith("192.168.50.250 as 64512 state Established"), "the reflector's session stayed up:\n"
            + status);
        assertTrue(status.contains("sessionsEstablished 3\n"), "the reflector's, and the probe's twice:\n" + status);

        assertEquals(0, ping.await(Duration.ofSeconds(60)), ping::output);
        assertTrue(Lab.read(ping.stdout()).contains(" 0% packet loss"), ping::output);
        lab.assertPing(1, 2);
        lab.assertPing(1, 3);
    }

    @Test
    @Order(5)
    void sigtermWithdrawsAtOnceAndAVanishedNodeGoesWhenItsHoldTimeExpires() {
        // SIGTERM: node 2 withdraws its block (and sends Cease) before it exits
        lab.stopDaemon(2);
        awaitRoute(1, "10.244.2.0/24", false);
        awaitRoute(3, "10.244.2.0/24", false);
        assertFalse(lab.birdc("show", "route").stdout().contains("10.244.2.0/24"));
        assertTrue(lab.birdc("show", "protocols", "all", "node2").stdout().contains("Administrative shutdown"),
            () -> lab.birdc("show", "protocols", "all", "node2").stdout());
        lab.startDaemon(2);
        awaitFullTables();

        // SIGKILL with node 2's link cut first, so no FIN reaches BIRD: its hold timer (3 s) ends the session
        lab.execOk(lab.ulNs(), Duration.ofSeconds(10), "ip", "link", "set", "n2", "down");
        long pid = Long.parseLong(Lab.read(lab.nodeDir(2).resolve("muslin.pid")).strip());
        ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
        awaitRoute(1, "10.244.2.0/24", false);
        awaitRoute(3, "10.244.2.0/24", false);
        String node2 = lab.birdc("show", "protocols", "all", "node2").stdout();
        assertTrue(node2.contains("Hold timer expired"), node2);
        lab.execOk(lab.ulNs(), Duration.ofSeconds(10), "ip", "link", "set", "n2", "up");
        lab.assertPing(1, 3);
        lab.assertPing(3, 1);
    }
}
