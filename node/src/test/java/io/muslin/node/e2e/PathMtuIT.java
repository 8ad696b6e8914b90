package io.muslin.node.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
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
 * No black holes: nodes 1 and 3 (MTU 1500) talk across two routers joined by a 1400-byte link.
 * muslin learns the path MTU from the routers' ICMP, tells local senders with ICMP of its own,
 * never makes the narrow link carry fragments, follows the link when it narrows mid-transfer,
 * and clamps MSS when configured.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 8, unit = TimeUnit.MINUTES)
class PathMtuIT {
    private static final long TRANSFER_BYTES = 100L << 20;

    private static Lab lab;

    @BeforeAll
    static void up() {
        Lab.assumeLabCapable();
        Lab.assumeTools(Lab.NETCAT, "ping", "ss", "tcpdump", "tshark");
        lab = Lab.create();
        lab.up(3, "--mode", "muslin", "--remote-nodes", "3", "--router-mtu", "1400");
    }

    @AfterAll
    static void down() {
        if (lab != null) {
            lab.close();
        }
    }

    @Test
    @Order(1)
    void aTooBigPingGetsFragNeededWithTheLearnedMtu() {
        Lab.Result r = lab.exec(lab.podNs(1), Duration.ofSeconds(30), "ping", "-n", "-c", "3", "-i", "0.3", "-W", "2",
                "-M", "do", "-s", "1400", Lab.podIp(3));
        // The first echo draws the router's ICMP (muslin learns 1400); the next, muslin's own
        // "frag needed, mtu 1350" to the pod, whose kernel then refuses larger sends itself.
        assertTrue(r.output().contains("mtu = 1350") || r.output().contains("mtu=1350"), r::output);
        String pmtu = lab.muslin(1, "pmtu").stdout();
        assertTrue(pmtu.startsWith(lab.pubIp(3) + " mtu 1400 expires "), pmtu);
        assertTrue(lab.stats(1).get("icmpFragNeededSent") >= 1);
        lab.execOk(lab.podNs(1), Duration.ofSeconds(30), "ping", "-n", "-c", "2", "-W", "2", "-M", "do", "-s", "1322",
                Lab.podIp(3)); // 1350 - 28: exactly fits
    }

    @Test
    @Order(2)
    void bulkTcpCrossesTheNarrowLinkIntactBothWaysWithoutFragments() {
        long fragmentsBefore = fragmentsMade();
        Path data = lab.randomFile("data-100m.bin", TRANSFER_BYTES);
        lab.assertTransfersIntactBothWays(data, 3, 1, 5001, Duration.ofMinutes(3));
        assertEquals(fragmentsBefore, fragmentsMade(), "fragments made by the routers or nodes");
    }

    @Test
    @Order(3)
    void narrowingTheLinkMidTransferDoesNotStallIt() {
        Path data = lab.randomFile("data-100m.bin", TRANSFER_BYTES);
        // The sender pauses half way with the connection open; the link narrows meanwhile, so the
        // second half meets a path narrower than the one the connection learned.
        Path received = lab.transferWithPause(data, 1, 3, 5011, Duration.ofMinutes(3), TRANSFER_BYTES / 2,
                Duration.ofSeconds(2), () -> lab.setRouterMtu(1300));
        assertEquals(Lab.sha256(data), Lab.sha256(received), "sha256 of what pod 3 received");
        String pmtu = lab.muslin(1, "pmtu").stdout();
        assertTrue(pmtu.startsWith(lab.pubIp(3) + " mtu 1300 "), pmtu);
    }

    @Test
    @Order(4)
    void mssClampingShowsInACapture() {
        lab.stopDaemon(1);
        Path config = lab.config(1);
        String original = Lab.read(config);
        String clamped = original.replace("\"Backend\": {\"Type\": \"vxlan\",", "\"Backend\": {\"MSSClamp\": 1200, \"Type\": \"vxlan\",");
        assertTrue(!clamped.equals(original), "Backend section not found in " + original);
        try {
            Files.writeString(config, clamped);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        lab.startDaemon(1);

        Path data = lab.randomFile("data-64k.bin", 64 << 10);
        // To pod 2 (no path-MTU state): on node 1's pod side, the SYN as the pod sent it (1410)
        // and the SYN-ACK after clamping (1200).
        Path pod = lab.capture(lab.nodeNs(1), "pod0", "mss-pod", "tcp port 5021",
                () -> lab.transfer(data, 1, 2, 5021, Duration.ofSeconds(60)), f -> lab.count(f, "tcp.flags.syn == 1") >= 2);
        assertEquals(List.of("1410", "1200"), mssValues(pod, List.of()), "pod side: SYN, SYN-ACK");
        // On the underlay: the SYN after clamping (1200) and the SYN-ACK as node 2 sent it (1410).
        Path wire = lab.capture(1, "mss-wire", "udp port " + Lab.VXLAN_PORT,
                () -> lab.transfer(data, 1, 2, 5023, Duration.ofSeconds(60)), f -> lab.count(f, "tcp.flags.syn == 1") >= 2);
        assertEquals(List.of("1200", "1410"), mssValues(wire, List.of("udp.port==" + Lab.VXLAN_PORT + ",vxlan")),
                "underlay: SYN, SYN-ACK");
        assertTrue(lab.stats(1).get("mssClamped") >= 4, () -> "node 1 stats: " + lab.stats(1));
    }

    /** The tunnel MTU follows the underlay device's at run time, and subnet.env with it. */
    @Test
    @Order(5)
    void theTunnelMtuFollowsTheUnderlayDevice() {
        lab.execOk(lab.nodeNs(3), Duration.ofSeconds(10), "ip", "link", "set", "eth0", "mtu", "1400");
        boolean followed = Lab.waitFor(50, () -> lab.execOk(lab.nodeNs(3), Duration.ofSeconds(10), "ip", "-o", "link",
                "show", Lab.OVERLAY_DEVICE).stdout().contains("mtu 1350 "));
        assertTrue(followed, () -> lab.execOk(lab.nodeNs(3), Duration.ofSeconds(10), "ip", "link").stdout());
        assertTrue(Lab.waitFor(50, () -> Lab.read(lab.subnetEnv(3)).contains("FLANNEL_MTU=1350")),
                () -> Lab.read(lab.subnetEnv(3)));
        assertEquals(1350L, lab.stats(3).get("mtu"));
        lab.assertPing(3, 1);
    }

    private static List<String> mssValues(Path pcap, List<String> decodeAs) {
        return lab.decode(pcap, decodeAs, "tcp.flags.syn == 1", "tcp.options.mss_val").stream()
                .map(f -> f[0]).toList();
    }

    /** Fragments created anywhere on the path (routers and both nodes), from the kernels' own counters. */
    private static long fragmentsMade() {
        long n = 0;
        for (String ns : List.of(lab.routerNs(), lab.router2Ns(), lab.nodeNs(1), lab.nodeNs(3))) {
            n += lab.ipCounter(ns, "FragCreates");
        }
        return n;
    }
}
