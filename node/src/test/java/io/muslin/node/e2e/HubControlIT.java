package io.muslin.node.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
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
 * Three nodes with no static peers find each other through muslin's hub ({@code muslin hub},
 * run in node 1's namespace) over TLS with client certificates made by {@code muslin ca}.
 * Node 3 has no {@code Node.Subnet}: it is allocated one (SubnetMin = SubnetMax pins which, so
 * the lab's pods fit) and keeps it across a SIGKILL. With the hub down established peers keep
 * forwarding; the restarted hub has its leases from disk and the nodes resume.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class HubControlIT {
    private static final int TTL_SECONDS = 4;
    private static final int PORT = 8473;

    private static Lab lab;
    private static Lab.Spawned hub;
    private static Path pki;

    @BeforeAll
    static void up() {
        Lab.assumeLabCapable();
        Lab.assumeTools("ping", "ss");
        lab = Lab.create();
        lab.up(3, "--mode", "bare");
        pki = lab.dir.resolve("pki");
        muslinCli("ca", "init", "--dir", pki.toString());
        muslinCli("ca", "issue", "--dir", pki.toString(), "--name", "hub1", "--ip", lab.pubIp(1), "--hub");
        for (int i = 1; i <= 3; i++) {
            muslinCli("ca", "issue", "--dir", pki.toString(), "--name", "node" + i, "--ip", lab.pubIp(i));
        }
        Lab.write(lab.dir.resolve("hub.json"), """
            {"Listen": "%s:%d",
             "CAFile": "%s", "CertFile": "%s", "KeyFile": "%s",
             "Store": {"Type": "embedded", "Dir": "%s"},
             "NetworkConfig": {"Network": "10.244.0.0/16", "SubnetLen": 24, "Backend": {"Type": "vxlan"}},
             "Heartbeat": 2}
            """.formatted(lab.pubIp(1), PORT, pki.resolve("ca.crt"), pki.resolve("hub1.crt"), pki.resolve("hub1.key"),
            lab.dir.resolve("hub-store")));
        startHub();
        for (int i = 1; i <= 3; i++) {
            Lab.write(lab.config(i), config(i));
            lab.startDaemon(i);
        }
    }

    @AfterAll
    static void down() {
        if (lab != null) {
            lab.close(); // also ends the hub (spawned in the lab)
        }
    }

    private static void muslinCli(String... args) {
        List<String> cmd = new ArrayList<>(List.of(Lab.javaBinary(), "-jar", Lab.ROOT.resolve("node/target/muslin.jar").toString()));
        cmd.addAll(List.of(args));
        Lab.Result r = lab.run(Duration.ofSeconds(60), cmd);
        assertEquals(0, r.exitCode(), () -> String.join(" ", cmd) + " failed:\n" + r.output());
    }

    private static void startHub() {
        hub = lab.spawn("hub", null, Lab.inNs(lab.nodeNs(1), Lab.javaBinary(), Lab.DAEMON_JVM_OPTIONS, "-jar",
            Lab.ROOT.resolve("node/target/muslin.jar").toString(), "hub", "--config", lab.dir.resolve("hub.json").toString()));
        boolean ready = Lab.waitFor(200, () -> lab.exec(lab.nodeNs(1), Duration.ofSeconds(5), "ss", "-Hltn",
            "sport = :" + PORT).stdout().contains("LISTEN"));
        assertTrue(ready, () -> "the hub did not start:\n" + hub.output());
    }

    /** Node i: no Peers, Control hub with TLS; node 3 without a Subnet (allocated, pinned by SubnetMin/Max). */
    private static String config(int i) {
        String subnet = i == 3 ? "" : "\"Subnet\": \"10.244." + i + ".0/24\", ";
        return """
            {"Network": "10.244.0.0/16", "SubnetLen": 24, "SubnetMin": "10.244.3.0", "SubnetMax": "10.244.3.0", %s
             "Backend": {"Type": "vxlan", "VNI": 1, "Port": 8472},
             "Control": {"Type": "hub", "Endpoints": ["%s:%d"], "TTL": %d,
                         "CAFile": "%s", "CertFile": "%s", "KeyFile": "%s"},
             "Node": {"Name": "node%d", "PublicIP": "%s", %s"VtepMAC": "%s", "Interface": "muslin0"}}
            """.formatted(Lab.dataplaneSection(), lab.pubIp(1), PORT, TTL_SECONDS, pki.resolve("ca.crt"), pki.resolve("node" + i + ".crt"),
            pki.resolve("node" + i + ".key"), i, lab.pubIp(i), subnet, Lab.vtepMac(i));
    }

    private static String routes(int node) {
        return lab.peerRoutes(node);
    }

    private static void awaitFullTables() {
        lab.awaitPeerRoutes(3, 2);
    }

    @Test
    @Order(1)
    void nodesConvergeThroughTheHubAndPassTraffic() {
        lab.awaitPeerRoutes(3, 2);
        lab.assertAllPodsReachEachOther(3);
        String peers = lab.muslin(1, "peers").stdout();
        assertTrue(peers.startsWith("10.244.2.0/24 public " + lab.pubIp(2) + " vxlan vni 1 vtep " + Lab.vtepMac(2)
            + " tunnel source hub age "), peers);
        assertTrue(peers.contains("\n10.244.3.0/24 public " + lab.pubIp(3)), peers);
        assertTrue(lab.muslin(2, "stats").stdout().contains("\ncontrol hub " + lab.pubIp(1) + ":" + PORT + "\n"),
            lab.muslin(2, "stats").stdout());
        assertEquals("10.244.3.0/24", Lab.read(lab.nodeDir(3).resolve("muslin0.subnet")).strip(),
            "node 3's allocated subnet is kept");
        assertTrue(lab.daemonLog(3).contains("allocated subnet 10.244.3.0/24"), lab.daemonLog(3));
    }

    @Test
    @Order(2)
    void aKilledNodeGoesAfterItsTtlAndComesBackTheSame() throws Exception {
        long pid = Long.parseLong(Lab.read(lab.nodeDir(3).resolve("muslin.pid")).strip());
        ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly); // SIGKILL: no release, the lease stays
        assertTrue(Lab.waitFor(200, () -> !routes(1).contains("10.244.3.0/24")),
            () -> "node 3 still in node 1's routes after its TTL:\n" + routes(1));
        assertFalse(routes(2).contains("10.244.3.0/24"), routes(2));

        lab.startDaemon(3);
        assertTrue(Lab.waitFor(100, () -> routes(1).contains("10.244.3.0/24")), () -> routes(1));
        String neigh = lab.muslin(1, "neigh").stdout();
        assertTrue(neigh.contains("10.244.3.0 dev muslin0 lladdr " + Lab.vtepMac(3)), neigh);
        lab.assertPing(1, 3);
        lab.assertPing(3, 2);
    }

    @Test
    @Order(3)
    void withTheHubDownEstablishedPeersKeepForwardingAndTheRestartedHubResumes() {
        hub.process().destroy(); // SIGTERM
        hub.await(Duration.ofSeconds(30));
        lab.assertPing(1, 2);
        lab.assertPing(3, 1);
        // The TTLs pass while the hub is down; nothing expires in a store that is not running.
        Lab.sleep(TimeUnit.SECONDS.toMillis(TTL_SECONDS + 2));
        lab.assertPing(2, 3);
        assertEquals(2, routes(1).lines().count(), routes(1));

        startHub();
        lab.awaitPeerRoutes(3, 2);
        // the restarted hub works: node 2 leaves cleanly and everyone sees it
        lab.stopDaemon(2);
        assertTrue(Lab.waitFor(100, () -> !routes(1).contains("10.244.2.0/24")), () -> routes(1));
        assertTrue(Lab.waitFor(100, () -> !routes(3).contains("10.244.2.0/24")), () -> routes(3));
        lab.assertPing(1, 3);
        assertTrue(hub.output().contains("lease(s) at revision"), hub.output());
    }
}
