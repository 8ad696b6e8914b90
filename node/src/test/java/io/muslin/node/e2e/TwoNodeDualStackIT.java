package io.muslin.node.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.muslin.dataplane.packet.Ipv6;
import io.muslin.dataplane.packet.Ipv6Address;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;

/**
 * Two muslin nodes on a dual-stack underlay ({@code lab.sh --ipv6}, flannel's EnableIPv6):
 * IPv6 pods reach each other over VXLAN on the IPv6 underlay while IPv4 pods ride the IPv4
 * underlay, as flannel's {@code flannel-v6.1} beside {@code flannel.1}; bulk TCP over both
 * families at the same time arrives intact; the wire shows which underlay carries which family.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class TwoNodeDualStackIT {
    private static final long TRANSFER_BYTES = 16L << 20;

    private static Lab lab;

    @BeforeAll
    static void up() {
        Lab.assumeLabCapable();
        Lab.assumeTools(Lab.NETCAT, "ping", "ss", "tcpdump", "tshark");
        lab = Lab.create();
        lab.up(2, "--mode", "muslin", "--ipv6");
    }

    @AfterAll
    static void down() {
        if (lab != null) {
            lab.close();
        }
    }

    @Test
    @Order(1)
    void podsPingEachOtherOverBothFamilies() {
        lab.assertPing6(1, 2);
        lab.assertPing6(2, 1);
        lab.assertPing(1, 2);
        lab.assertPing(2, 1);
    }

    @Test
    @Order(2)
    void tcpOverIpv6AndIpv4AtOnceArrivesIntactBothWays() {
        Path data = lab.randomFile("data-16m.bin", TRANSFER_BYTES);
        String expected = Lab.sha256(data);
        // node 1 -> node 2 over IPv6 while node 2 -> node 1 runs over IPv4, then the other way round
        for (int[] d : new int[][] {{1, 2}, {2, 1}}) {
            CompletableFuture<Path> ipv4 = CompletableFuture.supplyAsync(
                () -> lab.transfer(data, d[1], d[0], 5100 + d[0], Duration.ofMinutes(2)));
            Path received6 = lab.transfer6(data, d[0], d[1], 5200 + d[0], Duration.ofMinutes(2));
            Path received4 = ipv4.join();
            assertEquals(TRANSFER_BYTES, received6.toFile().length(), "bytes over IPv6 received by pod" + d[1]);
            assertEquals(expected, Lab.sha256(received6), "sha256 over IPv6, pod" + d[0] + " -> pod" + d[1]);
            assertEquals(TRANSFER_BYTES, received4.toFile().length(), "bytes over IPv4 received by pod" + d[0]);
            assertEquals(expected, Lab.sha256(received4), "sha256 over IPv4, pod" + d[1] + " -> pod" + d[0]);
        }
    }

    @Test
    @Order(3)
    void ipv6PodsRideTheIpv6UnderlayAndIpv4PodsTheIpv4One() {
        List<String> vxlan = List.of("udp.port==" + Lab.VXLAN_PORT + ",vxlan");
        Path six = lab.capture(1, "underlay6", "udp port " + Lab.VXLAN_PORT,
            () -> lab.assertPing6(1, 2), pcap -> lab.count(pcap, "ipv6 && udp.port == " + Lab.VXLAN_PORT) >= 6);
        List<String[]> echo6 = lab.decode(six, vxlan, "vxlan && icmpv6.type == 128", "ipv6.src", "ip.src", "vxlan.vni");
        assertTrue(echo6.size() >= 3, () -> "echo requests over VXLAN: " + echo6.size());
        for (String[] f : echo6) {
            assertEquals(Lab.nodeIp6(1) + "," + Lab.podIp6(1), f[0], "outer IPv6 from node 1, inner from pod 1");
            assertEquals("", f[1], "no IPv4 header around an IPv6 pod's packet");
            assertEquals("1", f[2], "VNI");
        }
        Path four = lab.capture(1, "underlay4", "udp port " + Lab.VXLAN_PORT,
            () -> lab.assertPing(1, 2), pcap -> lab.count(pcap, "ip && udp.port == " + Lab.VXLAN_PORT) >= 6);
        List<String[]> echo4 = lab.decode(four, vxlan, "vxlan && icmp.type == 8", "ip.src", "ipv6.src");
        assertTrue(echo4.size() >= 3, () -> "echo requests over VXLAN: " + echo4.size());
        for (String[] f : echo4) {
            assertEquals(Lab.nodeIp(1) + "," + Lab.podIp(1), f[0], "outer IPv4 from node 1, inner from pod 1");
            assertEquals("", f[1], "no IPv6 header around an IPv4 pod's packet");
        }
    }

    @Test
    @Order(4)
    void statsCountNoMalformedAndNoUnsupportedFamily() {
        String env = Lab.read(lab.subnetEnv(1));
        assertTrue(env.contains("FLANNEL_IPV6_NETWORK=fd00:10:244::/56\nFLANNEL_IPV6_SUBNET=fd00:10:244:1::1/64\n"),
            () -> "subnet.env in flannel's dual-stack form: " + env);
        assertTrue(env.contains("FLANNEL_MTU=1430\n"), () -> "one device for both families, 1500 - 70: " + env);
        for (int node = 1; node <= 2; node++) {
            Map<String, Long> stats = lab.stats(node);
            int n = node;
            assertTrue(stats.getOrDefault("rxPackets", 0L) > 0, () -> "node " + n + " rxPackets > 0: " + stats);
            for (String drop : List.of("dropMalformed", "dropUnsupportedFamily", "dropUnknownSender", "dropSpoofedSource",
                "dropBadChecksum", "dropNotOurMac", "dropTxError")) {
                assertEquals(0L, stats.getOrDefault(drop, 0L), () -> "node " + n + " " + drop + ": " + stats);
            }
        }
    }

    /**
     * A router on the IPv6 underlay (node 2 playing it) says a VXLAN datagram of node 1's to node 2
     * did not fit 1400 bytes: node 1 learns it, and a too-big ping6 from pod 1 (DF: IPv6 is never
     * fragmented on the way) gets Packet Too Big with MTU 1400 - 70, which pod 1's kernel takes.
     */
    @Test
    @Order(5)
    void packetTooBigFromTheIpv6UnderlayReachesThePodLessTheOverhead() {
        Map<String, Long> before = lab.stats(1);
        ByteBuf ptb = Unpooled.buffer(8 + 40 + 16);
        try {
            Ipv6Address us = Ipv6Address.parse(Lab.nodeIp6(1));
            Ipv6Address peer = Ipv6Address.parse(Lab.nodeIp6(2));
            ptb.writeInt(2 << 24).writeInt(1400); // type 2 (Packet Too Big), code 0, MTU 1400
            ptb.writeZero(40);
            Ipv6.writeHeader(ptb, 8, 0, 0, 1430, Ipv6.NEXT_UDP, 64, us.hi(), us.lo(), peer.hi(), peer.lo());
            ptb.writeShort(40000).writeShort(Lab.VXLAN_PORT).writeShort(1430).writeShort(0).writeLong(0x08L << 56);
            List<String> cmd = new ArrayList<>(Lab.inNs(lab.nodeNs(2), Lab.javaBinary(), "-cp", Lab.classpathWithMuslin(),
                "--enable-native-access=ALL-UNNAMED", RawIcmp6Send.class.getName(), Lab.nodeIp6(1),
                ByteBufUtil.hexDump(ptb)));
            Lab.Result r = lab.run(Duration.ofSeconds(60), cmd);
            assertEquals(0, r.exitCode(), () -> "RawIcmp6Send:\n" + r.output());
        } finally {
            assertTrue(ptb.release());
        }
        assertTrue(Lab.waitFor(50, () -> lab.stats(1).getOrDefault("pmtuLearned", 0L) > before.getOrDefault("pmtuLearned", 0L)),
            () -> "node 1 learned the IPv6 path MTU: " + lab.stats(1));
        Lab.Result ping = lab.exec(lab.podNs(1), Duration.ofSeconds(30), "ping", "-6", "-n", "-c", "1", "-W", "2", "-M", "do",
            "-s", "1350", Lab.podIp6(2));
        assertTrue(ping.exitCode() != 0, () -> "1398 bytes do not fit 1330: " + ping.output());
        String route = lab.execOk(lab.podNs(1), Duration.ofSeconds(10), "ip", "-6", "route", "get", Lab.podIp6(2)).stdout();
        assertTrue(route.contains("mtu 1330"), () -> "pod 1 took the Packet Too Big: " + route);
        Map<String, Long> after = lab.stats(1);
        assertTrue(after.getOrDefault("icmp6PacketTooBigSent", 0L) > before.getOrDefault("icmp6PacketTooBigSent", 0L),
            () -> "node 1 told the pod: " + after);
        lab.assertPing6(1, 2); // small packets still pass
    }
}
