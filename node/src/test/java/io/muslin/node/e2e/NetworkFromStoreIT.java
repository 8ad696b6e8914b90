package io.muslin.node.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.muslin.dataplane.packet.Ipv4Address;
import io.muslin.dataplane.packet.Ipv4Prefix;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;

/**
 * Nodes set up as flannel sets them up: their files hold only {@code Node} (name and PublicIP)
 * and {@code Control}. Three of them join through etcd (flannel's {@code <prefix>/config} written
 * with etcdctl), then through a hub (its {@code NetworkConfig}), learn the network, subnet length,
 * allocation range and backend from the store, allocate distinct subnets in that range, and
 * pass traffic between pods moved into those subnets (as the CNI plugin does from subnet.env).
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class NetworkFromStoreIT {
    private static final int NODES = 3;
    private static final int HUB_PORT = 8473;

    private static Lab lab;

    @BeforeAll
    static void up() {
        Lab.assumeLabCapable();
        Lab.assumeTools("etcd", "etcdctl", "ping", "ss");
        lab = Lab.create();
        lab.up(NODES, "--mode", "bare");
    }

    @AfterAll
    static void down() {
        if (lab != null) {
            lab.close(); // also ends etcd and the hub (spawned in the lab)
        }
    }

    @Test
    @Order(1)
    void throughEtcd() {
        String url = "http://" + lab.pubIp(1) + ":2379";
        Path data = lab.dir.resolve("etcd-data");
        Lab.Spawned etcd = lab.spawn("etcd", null, Lab.inNs(lab.nodeNs(1), "etcd", "--name", "lab", "--data-dir",
            data.toString(), "--listen-client-urls", url, "--advertise-client-urls", url,
            "--listen-peer-urls", "http://127.0.0.1:2380", "--initial-advertise-peer-urls", "http://127.0.0.1:2380",
            "--initial-cluster", "lab=http://127.0.0.1:2380"));
        assertTrue(Lab.waitFor(200, () -> lab.exec(lab.nodeNs(1), Duration.ofSeconds(5), "ss", "-Hltn",
            "sport = :2379").stdout().contains("LISTEN")), () -> "etcd did not start:\n" + etcd.output());
        // flannel's net-conf.json, as an operator puts it for flanneld; EnableIPv6 and GBP are flannel's, left alone
        lab.execOk(lab.nodeNs(1), Duration.ofSeconds(30), "etcdctl", "--endpoints", url, "put", "/coreos.com/network/config",
            "{\"Network\": \"10.244.0.0/16\", \"SubnetMin\": \"10.244.10.0\", \"SubnetMax\": \"10.244.19.0\", "
                + "\"EnableIPv6\": false, \"Backend\": {\"Type\": \"vxlan\", \"VNI\": 1, \"GBP\": false}}");
        for (int i = 1; i <= NODES; i++) {
            Lab.write(lab.config(i), """
                {"Node": {"Name": "node%d", "PublicIP": "%s"},
                 "Control": {"Type": "etcd", "Endpoints": ["%s"], "TTL": 30}}
                """.formatted(i, lab.pubIp(i), url));
        }
        List<Ipv4Prefix> subnets = startAndAllocate("10.244.10.0", "10.244.19.0", 24);
        assertEveryPodReachesEveryOther(subnets);
        assertTrue(lab.muslin(1, "stats").stdout().contains("\nvni 1\n"), lab.muslin(1, "stats").stdout());
        stopAll();
        etcd.process().destroy();
        etcd.await(Duration.ofSeconds(30));
    }

    @Test
    @Order(2)
    void throughAHub() throws Exception {
        Path pki = lab.dir.resolve("pki");
        muslinCli("ca", "init", "--dir", pki.toString());
        muslinCli("ca", "issue", "--dir", pki.toString(), "--name", "hub1", "--ip", lab.pubIp(1), "--hub");
        for (int i = 1; i <= NODES; i++) {
            muslinCli("ca", "issue", "--dir", pki.toString(), "--name", "node" + i, "--ip", lab.pubIp(i));
        }
        // another network than etcd's: SubnetLen 26, another range, VNI 7 on UDP 4789
        Lab.write(lab.dir.resolve("hub.json"), """
            {"Listen": "%s:%d", "CAFile": "%s", "CertFile": "%s", "KeyFile": "%s",
             "Store": {"Type": "embedded", "Dir": "%s"},
             "NetworkConfig": {"Network": "10.244.0.0/16", "SubnetLen": 26, "SubnetMin": "10.244.20.0",
                               "SubnetMax": "10.244.21.192", "Backend": {"Type": "vxlan", "VNI": 7, "Port": 4789}}}
            """.formatted(lab.pubIp(1), HUB_PORT, pki.resolve("ca.crt"), pki.resolve("hub1.crt"), pki.resolve("hub1.key"),
            lab.dir.resolve("hub-store")));
        Lab.Spawned hub = lab.spawn("hub", null, Lab.inNs(lab.nodeNs(1), Lab.javaBinary(), "-jar",
            Lab.ROOT.resolve("node/target/muslin.jar").toString(), "hub", "--config", lab.dir.resolve("hub.json").toString()));
        assertTrue(Lab.waitFor(200, () -> lab.exec(lab.nodeNs(1), Duration.ofSeconds(5), "ss", "-Hltn",
            "sport = :" + HUB_PORT).stdout().contains("LISTEN")), () -> "the hub did not start:\n" + hub.output());
        for (int i = 1; i <= NODES; i++) {
            Files.deleteIfExists(lab.nodeDir(i).resolve(Lab.OVERLAY_DEVICE + ".subnet")); // allocate anew
            Lab.write(lab.config(i), """
                {"Node": {"Name": "node%d", "PublicIP": "%s"},
                 "Control": {"Type": "hub", "Endpoints": ["%s:%d"], "TTL": 30,
                             "CAFile": "%s", "CertFile": "%s", "KeyFile": "%s"}}
                """.formatted(i, lab.pubIp(i), lab.pubIp(1), HUB_PORT, pki.resolve("ca.crt"),
                pki.resolve("node" + i + ".crt"), pki.resolve("node" + i + ".key")));
        }
        List<Ipv4Prefix> subnets = startAndAllocate("10.244.20.0", "10.244.21.192", 26);
        assertEveryPodReachesEveryOther(subnets);
        String stats = lab.muslin(2, "stats").stdout();
        assertTrue(stats.contains("\nvni 7\n"), "the backend's VNI came from the hub:\n" + stats);
        stopAll();
    }

    /**
     * Starts every node and reads the subnet each was allocated from its subnet.env: distinct,
     * of length {@code subnetLen}, from {@code min} to {@code max}.
     */
    private static List<Ipv4Prefix> startAndAllocate(String min, String max, int subnetLen) {
        List<Ipv4Prefix> subnets = new ArrayList<>();
        for (int i = 1; i <= NODES; i++) {
            lab.startDaemon(i);
            String env = Lab.read(lab.nodeDir(i).resolve("subnet.env"));
            String line = env.lines().filter(l -> l.startsWith("FLANNEL_SUBNET=")).findFirst().orElseThrow(
                () -> new AssertionError("no FLANNEL_SUBNET in node's subnet.env:\n" + env));
            String first = line.substring("FLANNEL_SUBNET=".length()).strip(); // the first usable address: 10.244.12.1/24
            int slash = first.indexOf('/');
            Ipv4Prefix subnet = new Ipv4Prefix(Ipv4Address.parse(first.substring(0, slash)) - 1,
                Integer.parseInt(first.substring(slash + 1)));
            assertEquals(subnetLen, subnet.length(), env);
            assertTrue(Integer.compareUnsigned(subnet.address(), Ipv4Address.parse(min)) >= 0
                && Integer.compareUnsigned(subnet.address(), Ipv4Address.parse(max)) <= 0, subnet + " outside " + min + "-" + max);
            assertTrue(env.contains("FLANNEL_NETWORK=10.244.0.0/16"), env);
            subnets.add(subnet);
        }
        Set<Ipv4Prefix> distinct = new HashSet<>(subnets);
        assertEquals(NODES, distinct.size(), "each node its own subnet: " + subnets);
        return subnets;
    }

    private static void assertEveryPodReachesEveryOther(List<Ipv4Prefix> subnets) {
        for (int i = 1; i <= NODES; i++) {
            lab.movePod(i, subnets.get(i - 1));
        }
        lab.awaitPeerRoutes(NODES, NODES - 1);
        for (int from = 1; from <= NODES; from++) {
            for (int to = 1; to <= NODES; to++) {
                if (from != to) {
                    lab.assertPing(from, Lab.podIp(subnets.get(to - 1)));
                }
            }
        }
    }

    private static void stopAll() {
        for (int i = 1; i <= NODES; i++) {
            lab.stopDaemon(i);
        }
    }

    private static void muslinCli(String... args) {
        List<String> cmd = new ArrayList<>(List.of(Lab.javaBinary(), "-jar", Lab.ROOT.resolve("node/target/muslin.jar").toString()));
        cmd.addAll(List.of(args));
        Lab.Result r = lab.run(Duration.ofSeconds(60), cmd);
        assertEquals(0, r.exitCode(), () -> String.join(" ", cmd) + " failed:\n" + r.output());
    }
}
