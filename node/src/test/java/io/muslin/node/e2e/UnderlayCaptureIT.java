package io.muslin.node.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * What muslin puts on the wire, checked by Wireshark's dissectors (independent of our code):
 * tcpdump on node 1's eth0 while pods ping and talk TCP, then tshark decodes UDP 8472 as VXLAN.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class UnderlayCaptureIT {
    private static final String[] FIELDS = {
        "frame.number", "udp.srcport", "udp.dstport", "vxlan.flags", "vxlan.vni",
        "eth.src", "eth.dst", "ip.src", "ip.dst", "ip.proto", "tcp.srcport", "tcp.dstport",
    };
    private static final String PROBLEMS = "_ws.malformed || _ws.expert.severity >= warning";
    private static final int PINGS = 3;

    private static Lab lab;

    @BeforeAll
    static void up() {
        Lab.assumeLabCapable();
        Lab.assumeTools("tcpdump", "tshark", Lab.NETCAT, "ping", "ss");
        lab = Lab.create();
        lab.up(2, "--mode", "muslin");
    }

    @AfterAll
    static void down() {
        if (lab != null) {
            lab.close();
        }
    }

    @Test
    void underlayIsWellFormedVxlanBetweenTheTwoVteps() {
        lab.assertPing(1, 2); // warm up: nothing below is about the first packet
        // muslin sends with UDP GSO: on a device that passes GSO through (veth), taps see each
        // message before the kernel cuts it into datagrams. With the device taking one segment
        // at a time (gso_max_segs 1: nothing about checksums or the peers changes), the kernel
        // cuts first and tcpdump, independent of muslin, sees the datagrams as they are on the wire.
        for (int node = 1; node <= 2; node++) {
            lab.execOk(lab.nodeNs(node), Duration.ofSeconds(10), "ip", "link", "set", "dev", "eth0", "gso_max_segs", "1");
        }
        Path pcap = lab.capture(1, "underlay", "udp port " + Lab.VXLAN_PORT, UnderlayCaptureIT::threeFlows,
                file -> countIcmp(file) >= 2 * PINGS);

        List<String[]> frames = decode(pcap);
        assertTrue(frames.size() >= 2 * PINGS, () -> "too few frames captured: " + frames.size());

        Map<String, Set<String>> outerPortsByFlow = new TreeMap<>();
        for (String[] f : frames) {
            String where = "frame " + f[0] + ": " + String.join(" | ", f);
            assertEquals(Integer.toString(Lab.VXLAN_PORT), f[2], () -> "outer UDP dst port, " + where);
            assertTrue(f[3].startsWith("0x") && (Integer.decode(f[3]) & 0x0800) != 0, () -> "VXLAN I flag, " + where);
            assertEquals("1", f[4], () -> "VNI, " + where);
            String[] ethSrc = f[5].split(",");
            String[] ethDst = f[6].split(",");
            String[] ipSrc = f[7].split(",");
            String[] ipDst = f[8].split(",");
            assertEquals(2, ethSrc.length, () -> "an inner Ethernet frame, " + where);
            assertEquals(2, ipSrc.length, () -> "an inner IPv4 packet, " + where);
            int from = ipSrc[0].equals(Lab.nodeIp(1)) ? 1 : 2;
            int to = 3 - from;
            assertEquals(Lab.nodeIp(from), ipSrc[0], () -> "outer source, " + where);
            assertEquals(Lab.nodeIp(to), ipDst[0], () -> "outer destination, " + where);
            assertEquals(Lab.vtepMac(from), ethSrc[1], () -> "inner source MAC = sender's VTEP MAC, " + where);
            assertEquals(Lab.vtepMac(to), ethDst[1], () -> "inner destination MAC = receiver's VTEP MAC, " + where);
            assertEquals(Lab.podIp(from), ipSrc[1], () -> "inner source = sender's pod, " + where);
            assertEquals(Lab.podIp(to), ipDst[1], () -> "inner destination = receiver's pod, " + where);
            if (from == 1) {
                String proto = f[9].split(",")[1];
                String flow = proto + " " + ipSrc[1] + ":" + f[10] + " > " + ipDst[1] + ":" + f[11];
                outerPortsByFlow.computeIfAbsent(flow, k -> new TreeSet<>()).add(f[1]);
            }
        }

        assertTrue(outerPortsByFlow.size() >= 3, () -> "ICMP and two TCP flows from node 1: " + outerPortsByFlow);
        outerPortsByFlow.forEach((flow, ports) -> assertEquals(1, ports.size(),
                () -> "one outer UDP source port per inner flow (RFC 7348 §5): " + flow + " used " + ports));
        Set<String> distinct = new HashSet<>();
        outerPortsByFlow.values().forEach(distinct::addAll);
        assertTrue(distinct.size() >= 2,
                () -> "different inner flows should get different outer UDP source ports: " + outerPortsByFlow);

        Lab.Result problems = lab.tshark("-r", pcap.toString(), "-d", "udp.port==" + Lab.VXLAN_PORT + ",vxlan",
                "-Y", PROBLEMS);
        assertEquals(0, problems.exitCode(), problems::output);
        assertEquals("", problems.stdout().strip(), "frames Wireshark finds malformed or warns about");
    }

    /** Pod 1 sends three flows: ICMP echo and two TCP connections (different source ports). */
    private static void threeFlows() {
        lab.execOk(lab.podNs(1), Duration.ofSeconds(30), "ping", "-n", "-c", Integer.toString(PINGS), "-i", "0.2",
                "-W", "2", Lab.podIp(2));
        Path data = lab.randomFile("data-64k.bin", 64 << 10);
        lab.transfer(data, 1, 2, 5001, Duration.ofSeconds(60));
        lab.transfer(data, 1, 2, 5002, Duration.ofSeconds(60));
    }

    private static List<String[]> decode(Path pcap) {
        return lab.decode(pcap, List.of("udp.port==" + Lab.VXLAN_PORT + ",vxlan"), null, FIELDS);
    }

    private static long countIcmp(Path pcap) {
        if (!Files.exists(pcap)) {
            return 0;
        }
        Lab.Result r = lab.tshark("-r", pcap.toString(), "-d", "udp.port==" + Lab.VXLAN_PORT + ",vxlan", "-Y", "icmp",
                "-T", "fields", "-e", "frame.number");
        // The file is still being written: tshark may complain about a cut-short last packet.
        return r.stdout().lines().filter(l -> !l.isBlank()).count();
    }
}
