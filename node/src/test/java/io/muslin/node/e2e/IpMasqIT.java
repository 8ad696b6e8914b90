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
 * {@code "IPMasq": true} (flanneld's {@code --ip-masq}) on node 1: a pod reaches an address
 * outside the cluster network with the node's address as its source, pod-to-pod traffic keeps
 * the pod's own, and the rules are gone after SIGTERM, and after SIGKILL once the node starts
 * again. "The internet" is a namespace on the underlay holding 203.0.113.1 (TEST-NET-3).
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class IpMasqIT {
    private static final String INTERNET_HOST = "203.0.113.1";
    private static final String INTERNET_GATEWAY = "192.168.50.250";
    private static final Duration T = Duration.ofSeconds(20);

    private static Lab lab;
    private static String config;

    @BeforeAll
    static void up() {
        Lab.assumeLabCapable();
        Lab.assumeTools("nft", "tcpdump", "tshark", "ping");
        lab = Lab.create();
        lab.up(2, "--mode", "muslin");
        String inet = internetNs();
        host("ip", "netns", "add", inet);
        host("ip", "link", "add", "inet0", "netns", inet, "type", "veth", "peer", "name", "inet", "netns", lab.ulNs());
        lab.execOk(lab.ulNs(), T, "ip", "link", "set", "inet", "master", "br0", "up");
        lab.execOk(inet, T, "ip", "addr", "add", INTERNET_GATEWAY + "/24", "dev", "inet0");
        lab.execOk(inet, T, "ip", "addr", "add", INTERNET_HOST + "/32", "dev", "lo");
        lab.execOk(inet, T, "ip", "link", "set", "inet0", "up");
        lab.execOk(inet, T, "ip", "link", "set", "lo", "up");
        lab.execOk(lab.nodeNs(1), T, "ip", "route", "add", "203.0.113.0/24", "via", INTERNET_GATEWAY);
        config = Lab.read(lab.config(1));
        restart(1, config.replaceFirst("\\{", "{\"IPMasq\": true, "));
    }

    @AfterAll
    static void down() {
        if (lab != null) {
            lab.run(T, List.of("ip", "netns", "del", internetNs()));
            lab.close();
        }
    }

    /** A command in the test's own namespace; fails the test unless it exits 0. */
    private static void host(String... cmd) {
        Lab.Result r = lab.run(T, List.of(cmd));
        assertEquals(0, r.exitCode(), () -> String.join(" ", cmd) + ":\n" + r.output());
    }

    private static String internetNs() {
        return lab.ulNs().replace("-ul", "-inet");
    }

    private static void restart(int node, String text) {
        lab.stopDaemon(node);
        Lab.write(lab.config(node), text);
        lab.startDaemon(node);
        lab.awaitPeerRoutes(1, 1);
    }

    private static String ruleset() {
        return lab.execOk(lab.nodeNs(1), T, "nft", "list", "ruleset").stdout();
    }

    /** The ICMP echo sources that {@code ns}'s interface {@code iface} sees during {@code ping}. */
    private static List<String> echoSources(String ns, String iface, int fromPod, String to) {
        Path pcap = lab.capture(ns, iface, "masq-" + iface + "-" + to.replace('.', '_'), "icmp",
            () -> lab.execOk(lab.podNs(fromPod), T, "ping", "-n", "-c", "3", "-W", "2", to),
            p -> lab.count(p, "icmp.type == 8") >= 3);
        return lab.decode(pcap, List.of(), "icmp.type == 8", "ip.src").stream().map(f -> f[0]).distinct().toList();
    }

    @Test
    @Order(1)
    void theRulesAreFlannelsAndSubnetEnvSaysSo() {
        String rules = ruleset();
        assertTrue(rules.contains("table ip muslin-ipv4"), rules);
        assertTrue(rules.contains("ip saddr 10.244.0.0/16 ip daddr != 224.0.0.0/4 masquerade fully-random"), rules);
        assertTrue(Lab.read(lab.subnetEnv(1)).contains("FLANNEL_IPMASQ=true\n"), Lab.read(lab.subnetEnv(1)));
    }

    @Test
    @Order(2)
    void aPodReachesTheOutsideWithTheNodesAddress() {
        assertEquals(List.of(Lab.nodeIp(1)), echoSources(internetNs(), "inet0", 1, INTERNET_HOST));
    }

    @Test
    @Order(3)
    void podToPodTrafficKeepsThePodsAddress() {
        assertEquals(List.of(Lab.podIp(1)), echoSources(lab.podNs(2), "eth0", 1, Lab.podIp(2)));
    }

    @Test
    @Order(4)
    void theRulesGoWithSigtermAndAfterSigkillWithTheNextStart() {
        lab.stopDaemon(1);
        assertFalse(ruleset().contains("muslin-ipv4"), "after SIGTERM: " + ruleset());
        lab.startDaemon(1);
        assertTrue(ruleset().contains("muslin-ipv4"));
        long pid = Long.parseLong(Lab.read(lab.nodeDir(1).resolve("muslin.pid")).strip());
        ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
        assertTrue(Lab.waitFor(50, () -> ProcessHandle.of(pid).map(p -> !p.isAlive()).orElse(true)));
        assertTrue(ruleset().contains("muslin-ipv4"), "a killed daemon cannot clean up");
        Lab.write(lab.config(1), config); // the next start without IPMasq removes what was left
        lab.startDaemon(1);
        assertFalse(ruleset().contains("muslin-ipv4"), "after SIGKILL and a start: " + ruleset());
        assertTrue(lab.daemonLog(1).contains("removed stale masquerade rules"), lab.daemonLog(1));
        assertTrue(Lab.read(lab.subnetEnv(1)).contains("FLANNEL_IPMASQ=false\n"));
        lab.assertPing(1, 2);
    }
}
