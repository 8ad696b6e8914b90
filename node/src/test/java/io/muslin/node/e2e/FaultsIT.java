package io.muslin.node.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;

/**
 * Faults a node daemon meets in production, on a 3-node VXLAN lab whose leases live in a real
 * etcd in node 1's namespace: a node killed during a transfer, the underlay link going down, the
 * underlay MTU lowered mid-transfer, the store gone for a minute, and the peer table churning at
 * 10,000 updates per second while traffic flows. Node 2 has no configured VTEP MAC (it generates
 * one and must keep it). Subnets are /30s (a pod's address, .2, lies in its node's /30), so the
 * churn has thousands of subnets to play with.
 *
 * <p>Durations are reported, not asserted: waits are bounded only so that a hang fails.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 10, unit = TimeUnit.MINUTES)
class FaultsIT {
    private static final int TTL_SECONDS = 4;
    private static final int SUBNET_LEN = 30;
    private static final String PREFIX = "/coreos.com/network";
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Where the churned leases ({@link EtcdChurn}) say their made-up peers are: on the underlay's subnet, but nobody. */
    private static final String FAKE_PEER = "192.168.50.200";

    private static Lab lab;
    private static Lab.Spawned etcd;

    @BeforeAll
    static void up() {
        Lab.assumeLabCapable();
        Lab.assumeTools("etcd", "ping", "ss", "iperf3", "tcpdump", "tshark", Lab.NETCAT);
        lab = Lab.create();
        lab.up(3, "--mode", "bare");
        startEtcd();
        for (int i = 1; i <= 3; i++) {
            Lab.write(lab.config(i), config(i));
            lab.startDaemon(i);
        }
        lab.awaitPeerRoutes(3, 2);
    }

    @AfterAll
    static void down() {
        if (lab != null) {
            lab.close();
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
                "--initial-cluster", "lab=http://127.0.0.1:2380", "--max-txn-ops", "4096", "--max-request-bytes", "8388608"));
        boolean ready = Lab.waitFor(200, () -> lab.exec(lab.nodeNs(1), Duration.ofSeconds(5), "ss", "-Hltn",
                "sport = :2379").stdout().contains("LISTEN"));
        assertTrue(ready, () -> "etcd did not start:\n" + etcd.output());
    }

    /** Node i: /30 subnets, etcd with a short TTL; node 2 without a VtepMAC. */
    private static String config(int i) {
        String mac = i == 2 ? "" : ", \"VtepMAC\": \"" + Lab.vtepMac(i) + "\"";
        return """
            {"Network": "10.244.0.0/16", "SubnetLen": %d,
             "Backend": {"Type": "vxlan", "VNI": 1, "Port": 8472},
             "Control": {"Type": "etcd", "Endpoints": ["%s"], "TTL": %d},
             "Node": {"Name": "node%d", "PublicIP": "%s", "Subnet": "10.244.%d.0/%d", "Interface": "muslin0"%s}}
            """.formatted(SUBNET_LEN, etcdUrl(), TTL_SECONDS, i, lab.pubIp(i), i, SUBNET_LEN, mac);
    }

    /** Node 1's ARP entry for node 2's VTEP address: node 2's VTEP MAC as node 1 knows it. */
    private static String node2MacSeenByNode1() {
        Matcher m = Pattern.compile("10\\.244\\.2\\.0 dev muslin0 lladdr ([0-9a-f:]{17})")
            .matcher(lab.muslin(1, "neigh").stdout());
        return m.find() ? m.group(1) : "";
    }

    private static String subnetOf(int node) {
        return Lab.read(lab.subnetEnv(node)).lines().filter(l -> l.startsWith("FLANNEL_SUBNET=")).findFirst().orElse("");
    }

    /** One ping with a 1 s wait: true on a reply. */
    private static boolean pingOnce(int from, int to) {
        return lab.exec(lab.podNs(from), Duration.ofSeconds(10), "ping", "-n", "-c", "1", "-W", "1", Lab.podIp(to))
            .exitCode() == 0;
    }

    @Test
    @Order(1)
    void aNodeKilledDuringATransferForwardsAgainWithTheSameSubnetAndMac() throws IOException {
        String mac = node2MacSeenByNode1();
        String subnet = subnetOf(2);
        assertTrue(!mac.isEmpty() && subnet.equals("FLANNEL_SUBNET=10.244.2.1/30"), mac + " " + subnet);

        lab.spawn("iperf3-server-kill", null, Lab.inNs(lab.podNs(2), "iperf3", "-s", "-1"));
        lab.awaitListening(lab.podNs(2), 5201);
        Lab.Spawned client = lab.spawn("iperf3-client-kill", null, Lab.inNs(lab.podNs(1), "iperf3", "-c",
            Lab.podIp(2), "-t", "14", "-b", "200M", "-J"));
        Lab.sleep(3000);
        long pid = Long.parseLong(Lab.read(lab.nodeDir(2).resolve("muslin.pid")).strip());
        ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly); // SIGKILL: no teardown
        assertTrue(Lab.waitFor(50, () -> ProcessHandle.of(pid).map(p -> !p.isAlive()).orElse(true)));
        long restart = System.nanoTime();
        lab.startDaemon(2);
        while (!pingOnce(1, 2)) {
            assertTrue(System.nanoTime() - restart < TimeUnit.SECONDS.toNanos(60), "pod 2 unreachable after restart");
        }
        long forwardingMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - restart);
        System.out.printf("FaultsIT: node 2 restarted after SIGKILL forwards again %d ms after its start%n",
            forwardingMillis);

        assertEquals(0, client.await(Duration.ofSeconds(60)), () -> "iperf3 across the kill:\n" + client.output());
        JsonNode intervals = JSON.readTree(Lab.read(client.stdout())).path("intervals");
        assertTrue(intervals.size() >= 12, "iperf3 intervals: " + intervals.size());
        double lastSeconds = 0;
        for (int k = intervals.size() - 3; k < intervals.size(); k++) {
            lastSeconds += intervals.get(k).path("sum").path("bytes").asDouble();
        }
        assertTrue(lastSeconds > 0, "the transfer moved data again after the restart: " + intervals);
        assertEquals(mac, node2MacSeenByNode1(), "node 2 kept its generated VTEP MAC");
        assertEquals(subnet, subnetOf(2), "node 2 kept its subnet");
        lab.assertPing(2, 3);
    }

    @Test
    @Order(2)
    void theUnderlayLinkGoingDownAndUpInterruptsForwardingOnlyWhileItIsDown() {
        Duration t = Duration.ofSeconds(10);
        lab.execOk(lab.nodeNs(1), t, "ip", "link", "set", "eth0", "down");
        try {
            assertTrue(!pingOnce(1, 2), "no way out while the link is down");
        } finally {
            lab.execOk(lab.nodeNs(1), t, "ip", "link", "set", "eth0", "up");
        }
        lab.assertPing(1, 2);
        lab.assertPing(3, 1);
        Path data = lab.randomFile("data-20m.bin", 20L << 20);
        lab.assertTransfersIntactBothWays(data, 1, 3, 5101, Duration.ofMinutes(2));
        assertEquals(0L, lab.stats(1).get("dropMalformed"));
    }

    @Test
    @Order(3)
    void theUnderlayMtuLoweredMidTransferLosesNothing() {
        Path data = lab.randomFile("data-64m.bin", 64L << 20);
        Duration t = Duration.ofSeconds(10);
        try {
            Path received = lab.transferWithPause(data, 1, 2, 5201 + 100, Duration.ofMinutes(3), 16L << 20,
                Duration.ofSeconds(3), () -> {
                    for (int node : new int[] {1, 2}) {
                        lab.execOk(lab.nodeNs(node), t, "ip", "link", "set", "eth0", "mtu", "1400");
                    }
                });
            assertEquals(Lab.sha256(data), Lab.sha256(received), "data intact across the MTU change");
            String link = lab.execOk(lab.nodeNs(1), t, "ip", "link", "show", "muslin0").stdout();
            assertTrue(link.contains("mtu 1350"), "the tunnel followed the underlay: " + link);
        } finally {
            for (int node : new int[] {1, 2}) {
                lab.exec(lab.nodeNs(node), t, "ip", "link", "set", "eth0", "mtu", "1500");
            }
        }
    }

    @Test
    @Order(4)
    void withTheStoreGoneForAMinuteEstablishedPeersKeepForwardingAndConvergeAfter() {
        etcd.process().destroy();
        etcd.await(Duration.ofSeconds(30));
        // 60 s of pings at 5 Hz on two pairs while the store is down, well past every TTL.
        Lab.Spawned a = lab.spawn("ping-outage-1-2", null, Lab.inNs(lab.podNs(1), "ping", "-n", "-q", "-i", "0.2",
            "-c", "300", Lab.podIp(2)));
        Lab.Spawned b = lab.spawn("ping-outage-3-1", null, Lab.inNs(lab.podNs(3), "ping", "-n", "-q", "-i", "0.2",
            "-c", "300", Lab.podIp(1)));
        for (Lab.Spawned p : List.of(a, b)) {
            p.await(Duration.ofMinutes(3));
            Matcher m = Pattern.compile("(\\d+) packets transmitted, (\\d+) received").matcher(Lab.read(p.stdout()));
            assertTrue(m.find(), p.output());
            int sent = Integer.parseInt(m.group(1));
            int received = Integer.parseInt(m.group(2));
            System.out.printf("FaultsIT: store down, %s: %d of %d pings answered%n", p.stdout().getFileName(),
                received, sent);
            assertEquals(300, sent, p.output());
            assertTrue(received >= 297, "pings answered while the store was down: " + p.output());
        }
        startEtcd();
        // Every node takes its lease again, and a change made afterwards reaches everyone.
        assertTrue(Lab.waitFor(150, () -> leaseKeys().size() == 3), () -> "leases in etcd: " + leaseKeys());
        lab.stopDaemon(3);
        assertTrue(Lab.waitFor(100, () -> !lab.peerRoutes(1).contains("10.244.3.0/30")), () -> lab.peerRoutes(1));
        lab.startDaemon(3);
        lab.awaitPeerRoutes(3, 2);
        lab.assertAllPodsReachEachOther(3);
    }

    /** The subnet keys in etcd, read with etcdctl. */
    private static List<String> leaseKeys() {
        Lab.Result r = lab.exec(lab.nodeNs(1), Duration.ofSeconds(20), "etcdctl", "--endpoints", etcdUrl(), "get",
            "--prefix", "--keys-only", PREFIX + "/subnets/");
        return r.stdout().lines().filter(l -> !l.isBlank()).toList();
    }

    /**
     * 10,000 lease changes a second reach node 1 through etcd (thousands of /30 subnets of made-up
     * peers appear and go) while pods 1 and 2 and pods 1 and 3 exchange traffic: every VXLAN
     * frame node 1 sends carries an inner destination of the peer it is sent to, and node 1's
     * table matches the store at the end.
     */
    @Test
    @Order(5)
    void tenThousandTableUpdatesASecondSendNoPacketToTheWrongPeer() throws Exception {
        int batch = 2000;
        int rounds = 20;
        String node2Mac = node2MacSeenByNode1();
        lab.spawn("iperf3-server-churn-2", null, Lab.inNs(lab.podNs(2), "iperf3", "-s", "-1"));
        lab.spawn("iperf3-server-churn-3", null, Lab.inNs(lab.podNs(3), "iperf3", "-s", "-1"));
        lab.awaitListening(lab.podNs(2), 5201);
        lab.awaitListening(lab.podNs(3), 5201);
        String[] churned = new String[1];
        // Headers are enough (snap length 128): the outer and inner addresses and MACs.
        Path pcap = lab.capture(1, "churn", "-s 128 udp port 8472", () -> {
            Lab.Spawned c2 = lab.spawn("iperf3-churn-2", null, Lab.inNs(lab.podNs(1), "iperf3", "-c", Lab.podIp(2),
                "-t", "8", "-b", "50M"));
            Lab.Spawned c3 = lab.spawn("iperf3-churn-3", null, Lab.inNs(lab.podNs(1), "iperf3", "-c", Lab.podIp(3),
                "-t", "8", "-b", "50M", "-R"));
            Lab.Result r = lab.run(Duration.ofMinutes(3), Lab.inNs(lab.nodeNs(1), Lab.javaBinary(), "-cp",
                Lab.classpathWithMuslin(), EtcdChurn.class.getName(), etcdUrl(), PREFIX, FAKE_PEER,
                Integer.toString(SUBNET_LEN), Integer.toString(batch), Integer.toString(rounds)));
            assertEquals(0, r.exitCode(), () -> "EtcdChurn:\n" + r.output());
            churned[0] = r.stdout().strip();
            assertEquals(0, c2.await(Duration.ofSeconds(60)), c2::output);
            assertEquals(0, c3.await(Duration.ofSeconds(60)), c3::output);
        }, p -> true);
        String[] figures = churned[0].split(" ");
        long changes = Long.parseLong(figures[0]);
        double seconds = Double.parseDouble(figures[1]);
        System.out.printf("FaultsIT: %d lease changes in %.2f s (%.0f per second) while traffic flowed%n",
            changes, seconds, changes / seconds);
        assertTrue(Lab.waitFor(150, () -> lab.peerRoutes(1).lines().count() == 2),
            () -> "node 1 back to its two real peers: " + lab.peerRoutes(1).lines().count() + " routes");

        List<String[]> frames = lab.decode(pcap, List.of("udp.port==8472,vxlan"),
            "vxlan && ip.src==" + lab.pubIp(1), "ip.dst", "eth.dst");
        assertTrue(frames.size() > 100, "frames sent by node 1 during the churn: " + frames.size());
        Set<String> wrong = new HashSet<>();
        for (String[] f : frames) {
            String[] ipDst = f[0].split(",");
            String outer = ipDst[0];
            String inner = ipDst[ipDst.length - 1];
            String[] macs = f[1].split(",");
            String innerMac = macs[macs.length - 1];
            int peer = outer.equals(lab.pubIp(2)) ? 2 : outer.equals(lab.pubIp(3)) ? 3 : 0;
            String expectedMac = peer == 2 ? node2Mac : Lab.vtepMac(peer);
            if (peer == 0 || !inner.equals(Lab.podIp(peer)) || !innerMac.equals(expectedMac)) {
                wrong.add(String.join(" ", f));
            }
        }
        assertTrue(wrong.isEmpty(), "frames to the wrong peer (" + wrong.size() + "): " + wrong);
        lab.assertAllPodsReachEachOther(3);
    }

    /**
     * flannel #760: node 2's underlay address changes (a new one on eth0, the old one gone) and
     * its file says so; node 2 takes it without a restart, and nodes 1 and 3 program the moved
     * lease without one either.
     */
    @Test
    @Order(6)
    void aNodeWhosePublicIpChangesIsReprogrammedWithoutARestart() {
        Duration t = Duration.ofSeconds(10);
        String moved = "192.168.50.12";
        long pid1 = pid(1);
        long pid2 = pid(2);
        // The new address stays when the old one goes (by default Linux deletes the secondaries
        // of a subnet with its primary address).
        lab.execOk(lab.nodeNs(2), t, "sysctl", "-qw", "net.ipv4.conf.eth0.promote_secondaries=1");
        lab.execOk(lab.nodeNs(2), t, "ip", "addr", "add", moved + "/24", "dev", "eth0");
        Lab.write(lab.config(2), Lab.read(lab.config(2)).replace("\"PublicIP\": \"" + lab.pubIp(2) + "\"",
            "\"PublicIP\": \"" + moved + "\""));
        assertTrue(Lab.waitFor(150, () -> lab.muslin(1, "peers").stdout().contains("10.244.2.0/30 public " + moved)),
            () -> "node 1's peers: " + lab.muslin(1, "peers").stdout());
        assertTrue(Lab.waitFor(150, () -> lab.muslin(3, "peers").stdout().contains("10.244.2.0/30 public " + moved)),
            () -> "node 3's peers: " + lab.muslin(3, "peers").stdout());
        lab.execOk(lab.nodeNs(2), t, "ip", "addr", "del", lab.pubIp(2) + "/24", "dev", "eth0");
        lab.assertPing(1, 2);
        lab.assertPing(2, 3);
        lab.assertPing(3, 2);
        assertEquals(pid1, pid(1), "node 1 was not restarted");
        assertEquals(pid2, pid(2), "node 2 was not restarted");
        assertTrue(lab.daemonLog(2).contains("forwards from PublicIP " + moved + " now"), lab.daemonLog(2));
    }

    private static long pid(int node) {
        return Long.parseLong(Lab.read(lab.nodeDir(node).resolve("muslin.pid")).strip());
    }
}
