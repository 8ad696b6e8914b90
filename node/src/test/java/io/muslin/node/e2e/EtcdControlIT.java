package io.muslin.node.e2e;

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
 * Three nodes with no static peers find each other through a real etcd (Debian's etcd-server,
 * run in node 1's namespace) in flannel's layout; a node killed with SIGKILL disappears from
 * the others after its TTL and comes back with the same subnet and MAC; with etcd down,
 * established peers keep forwarding.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class EtcdControlIT {
    private static final int TTL_SECONDS = 4;

    private static Lab lab;
    private static Lab.Spawned etcd;

    @BeforeAll
    static void up() {
        Lab.assumeLabCapable();
        Lab.assumeTools("etcd", "ping", "ss");
        lab = Lab.create();
        lab.up(3, "--mode", "bare");
        startEtcd();
        for (int i = 1; i <= 3; i++) {
            Lab.write(lab.config(i), config(i));
            lab.startDaemon(i);
        }
    }

    @AfterAll
    static void down() {
        if (lab != null) {
            lab.close(); // also ends etcd (spawned in the lab)
        }
    }

    private static String etcdUrl() {
        return "http://" + lab.pubIp(1) + ":2379";
    }

    private static void startEtcd() {
        Path data = lab.dir.resolve("etcd-data");
        etcd = lab.spawn("etcd", null, Lab.inNs(lab.nodeNs(1), "etcd", "--name", "lab", "--data-dir", data.toString(),
                "--listen-client-urls", etcdUrl(), "--advertise-client-urls", etcdUrl(),
                "--listen-peer-urls", "http://127.0.0.1:2380", "--initial-advertise-peer-urls", "http://127.0.0.1:2380",
                "--initial-cluster", "lab=http://127.0.0.1:2380"));
        boolean ready = Lab.waitFor(200, () -> lab.exec(lab.nodeNs(1), Duration.ofSeconds(5), "ss", "-Hltn",
                "sport = :2379").stdout().contains("LISTEN"));
        assertTrue(ready, () -> "etcd did not start:\n" + etcd.output());
    }

    /** Node i's configuration: its lab addresses, no Peers, Control etcd with a short TTL. */
    private static String config(int i) {
        return """
            {"Network": "10.244.0.0/16", "SubnetLen": 24, %s
             "Backend": {"Type": "vxlan", "VNI": 1, "Port": 8472},
             "Control": {"Type": "etcd", "Endpoints": ["%s"], "TTL": %d},
             "Node": {"Name": "node%d", "PublicIP": "%s", "Subnet": "10.244.%d.0/24",
                      "VtepMAC": "%s", "Interface": "muslin0"}}
            """.formatted(Lab.dataplaneSection(), etcdUrl(), TTL_SECONDS, i, lab.pubIp(i), i, Lab.vtepMac(i));
    }

    private static String routes(int node) {
        return lab.peerRoutes(node);
    }

    @Test
    @Order(1)
    void nodesConvergeThroughEtcdAndPassTraffic() {
        lab.awaitPeerRoutes(3, 2);
        lab.assertAllPodsReachEachOther(3);
        String peers = lab.muslin(1, "peers").stdout();
        assertTrue(peers.startsWith("10.244.2.0/24 public " + lab.pubIp(2) + " vxlan vni 1 vtep " + Lab.vtepMac(2)
                + " tunnel source etcd age "), peers);
        assertTrue(peers.contains("\n10.244.3.0/24 public " + lab.pubIp(3)), peers);
    }

    @Test
    @Order(2)
    void aKilledNodeGoesAfterItsTtlAndComesBackTheSame() throws Exception {
        long pid = Long.parseLong(Lab.read(lab.nodeDir(3).resolve("muslin.pid")).strip());
        ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly); // SIGKILL: no teardown, the lease stays
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
    void withEtcdDownEstablishedPeersKeepForwarding() {
        etcd.process().destroy();
        etcd.await(Duration.ofSeconds(30));
        lab.assertPing(1, 2);
        lab.assertPing(3, 1);
        // The TTLs pass while etcd is down; nothing expires in a store that is not running.
        Lab.sleep(TimeUnit.SECONDS.toMillis(TTL_SECONDS + 2));
        lab.assertPing(2, 3);
        assertTrue(routes(1).lines().count() == 2, routes(1));

        startEtcd();
        lab.awaitPeerRoutes(3, 2);
        for (int to : List.of(2, 3)) {
            lab.assertPing(1, to);
        }
    }
}
