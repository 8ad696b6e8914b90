package io.muslin.node.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;

/**
 * {@code muslin capture} and the metrics listener on a two-node VXLAN lab, checked with
 * Wireshark's dissectors (tshark) and the Prometheus project's text parser, both independent of
 * our code:
 * <ol>
 *   <li>all points during a ping and a TCP transfer: tshark reads the file without errors,
 *       {@code wire-out} decodes as VXLAN between the right VTEPs and pods, and each echo request
 *       read at {@code tun-in} is the one sent at {@code wire-out};</li>
 *   <li>malformed datagrams sent at node 1 appear at {@code drop} with their reason, as many as
 *       {@code muslin stats} counted;</li>
 *   <li>a capture with a filter holds exactly what tshark's display filter selects from an
 *       unfiltered capture taken at the same time;</li>
 *   <li>a capture of everything during iperf3 and a checked transfer loses and corrupts nothing;</li>
 *   <li>{@code /metrics} parses, its drop counters equal {@code muslin stats}; {@code /readyz} is 200.</li>
 * </ol>
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 8, unit = TimeUnit.MINUTES)
class CaptureIT {
    private static final int METRICS_PORT = 9465;
    private static final String VXLAN = "udp.port==" + Lab.VXLAN_PORT + ",vxlan";
    private static final String PYTHON = "/usr/bin/python3";
    private static Lab lab;

    @BeforeAll
    static void up() {
        Lab.assumeLabCapable();
        Lab.assumeTools("tshark", "iperf3", Lab.NETCAT, "ping", "ss", "curl");
        lab = Lab.create();
        lab.up(2, "--mode", "muslin", "--metrics", Integer.toString(METRICS_PORT));
        lab.assertPing(1, 2);
    }

    @AfterAll
    static void down() {
        if (lab != null) {
            lab.close();
        }
    }

    @Test
    @Order(1)
    void allPointsDuringPingAndTcpAreWiresharkClean() {
        MuslinCapture c = MuslinCapture.start(lab, 1, "all", "--point", "tun-in,wire-out,wire-in,tun-out,drop");
        lab.execOk(lab.podNs(1), Duration.ofSeconds(30), "ping", "-n", "-c", "3", "-i", "0.2", "-W", "2",
            Lab.podIp(2));
        Path data = lab.randomFile("capture-256k.bin", 256 << 10);
        Path got = lab.transfer(data, 1, 2, 5001, Duration.ofSeconds(60));
        assertEquals(Lab.sha256(data), Lab.sha256(got));
        long[] summary = c.stop();
        assertEquals(0, summary[1], "missed");

        Lab.Result bad = lab.tshark("-r", c.file.toString(), "-d", VXLAN, "-Y", "_ws.malformed || _ws.expert.severity >= error");
        assertEquals(0, bad.exitCode(), bad::output);
        assertEquals("", bad.stdout().strip(), "frames Wireshark finds malformed");
        List<String[]> all = lab.decode(c.file, List.of(VXLAN), null, "frame.interface_name");
        assertEquals(summary[0], all.size(), "tshark reads every packet the summary counted");

        List<String[]> out = lab.decode(c.file, List.of(VXLAN), "frame.interface_name == \"muslin0:wire-out\"",
            "vxlan.vni", "eth.src", "eth.dst", "ip.src", "ip.dst", "udp.dstport");
        assertTrue(out.size() >= 3 + 256 / 64, "echo requests and TCP segments at wire-out: " + out.size());
        for (String[] f : out) {
            String where = String.join(" | ", f);
            assertEquals("1", f[0], () -> "VNI, " + where);
            assertEquals(Lab.vtepMac(1), f[1], () -> "inner source MAC, " + where);
            assertEquals(Lab.vtepMac(2), f[2], () -> "inner destination MAC, " + where);
            assertEquals(Lab.nodeIp(1) + "," + Lab.podIp(1), f[3], () -> "outer and inner source, " + where);
            assertEquals(Lab.nodeIp(2) + "," + Lab.podIp(2), f[4], () -> "outer and inner destination, " + where);
            assertTrue(f[5].startsWith(Integer.toString(Lab.VXLAN_PORT)), () -> "VXLAN port, " + where);
        }
        // The same echo requests (ID, sequence, payload) at tun-in as read, and at wire-out as sent.
        String echo = "icmp.type == 8 && frame.interface_name == \"muslin0:%s\"";
        List<String> in = echoes(c.file, String.format(echo, "tun-in"));
        List<String> sent = echoes(c.file, String.format(echo, "wire-out"));
        assertEquals(3, in.size(), "three echo requests read: " + in);
        assertEquals(in, sent, "each echo request read at tun-in is sent at wire-out");
        List<String> comments = lab.decode(c.file, List.of(VXLAN), "frame.interface_name == \"muslin0:wire-out\"",
            "frame.comment").stream().map(f -> f[0]).distinct().toList();
        assertEquals(List.of("point=wire-out peer=" + Lab.nodeIp(2) + " vni=1"), comments);
    }

    @Test
    @Order(2)
    void malformedDatagramsAppearAtDropWithTheirReasonAsCounted() {
        Map<String, Long> before = lab.stats(1);
        MuslinCapture c = MuslinCapture.start(lab, 1, "drops", "--point", "drop");
        byte[] echo = MalformedTrafficIT.innerEcho(Lab.vtepMac(1), 0x0800);
        List<byte[]> garbage = List.of(
            new byte[] {8, 0, 0, 0},                                            // dropMalformed
            MalformedTrafficIT.vxlan(8, 2, echo),                               // dropWrongVni
            MalformedTrafficIT.vxlan(8, 1, MalformedTrafficIT.innerEcho("02:00:00:00:00:99", 0x0800)), // dropNotOurMac
            MalformedTrafficIT.vxlan(8, 1, MalformedTrafficIT.innerEcho(Lab.vtepMac(1), 0x88b5))); // dropUnsupportedEthertype
        int copies = 3;
        List<String> cmd = new ArrayList<>(Lab.inNs(lab.nodeNs(2), Lab.javaBinary(), "-cp", Lab.testClasspath(),
            UdpSend.class.getName(), Lab.nodeIp(1), Integer.toString(Lab.VXLAN_PORT)));
        for (int i = 0; i < copies; i++) {
            garbage.forEach(d -> cmd.add(HexFormat.of().formatHex(d)));
        }
        assertEquals(0, lab.run(Duration.ofSeconds(60), cmd).exitCode());
        String[] reasons = {"dropMalformed", "dropWrongVni", "dropNotOurMac", "dropUnsupportedEthertype"};
        AtomicReference<Map<String, Long>> after = new AtomicReference<>();
        boolean counted = Lab.waitFor(50, () -> {
            after.set(lab.stats(1));
            for (String r : reasons) {
                if (after.get().get(r) - before.get(r) < copies) {
                    return false;
                }
            }
            return true;
        });
        assertTrue(counted, () -> "counted: " + after.get());
        c.stop();
        Map<String, Long> captured = new TreeMap<>();
        for (String[] f : lab.decode(c.file, List.of(), null, "frame.comment")) {
            String reason = f[0].replaceAll(".*reason=(\\S+).*", "$1");
            captured.merge(reason, 1L, Long::sum);
            assertTrue(f[0].startsWith("point=drop peer=" + Lab.nodeIp(2)), f[0]);
        }
        Map<String, Long> counts = new TreeMap<>();
        after.get().forEach((k, v) -> {
            long d = v - before.getOrDefault(k, 0L);
            if (k.startsWith("drop") && d > 0) {
                counts.put(k, d);
            }
        });
        assertEquals(counts, captured, "drops in the capture, by reason, as muslin stats counted them");
        for (String r : reasons) {
            assertTrue(captured.getOrDefault(r, 0L) >= copies, () -> r + " captured: " + captured);
        }
    }

    @Test
    @Order(3)
    void aFilterSelectsWhatTsharksDisplayFilterSelects() {
        MuslinCapture all = MuslinCapture.start(lab, 1, "unfiltered");
        MuslinCapture some = MuslinCapture.start(lab, 1, "filtered", "tcp", "port", "5003");
        lab.execOk(lab.podNs(1), Duration.ofSeconds(30), "ping", "-n", "-c", "2", "-i", "0.2", Lab.podIp(2));
        Path data = lab.randomFile("filter-128k.bin", 128 << 10);
        lab.transfer(data, 1, 2, 5003, Duration.ofSeconds(60));
        lab.transfer(data, 1, 2, 5004, Duration.ofSeconds(60));
        long[] a = some.stop();
        long[] b = all.stop();
        assertEquals(0, a[1] + b[1], "missed");
        String[] fields = {"frame.interface_name", "frame.len", "ip.id", "tcp.seq_raw", "tcp.ack_raw", "tcp.flags"};
        List<String> selected = rows(lab.decode(all.file, List.of(VXLAN), "tcp.port == 5003", fields));
        List<String> filtered = rows(lab.decode(some.file, List.of(VXLAN), null, fields));
        assertTrue(selected.size() > 10, "packets of the 5003 transfer: " + selected.size());
        assertEquals(selected, filtered, "the daemon's filter and tshark's display filter pick the same packets");
        long other = lab.count(all.file, "tcp.port == 5004 || icmp");
        assertTrue(other > 0, "the unfiltered capture also holds the other traffic");
    }

    @Test
    @Order(4)
    void aCaptureOfEverythingDuringIperf3LosesAndCorruptsNothing() {
        Map<String, Long> before1 = lab.stats(1);
        Map<String, Long> before2 = lab.stats(2);
        MuslinCapture c = MuslinCapture.start(lab, 1, "iperf", "--point", "tun-in,wire-out,wire-in,tun-out,drop");
        Lab.Spawned server = lab.spawn("iperf3-server", null, Lab.inNs(lab.podNs(2), "iperf3", "-s", "-1", "-p", "5201"));
        lab.awaitListening(lab.podNs(2), 5201);
        Lab.Result iperf = lab.exec(lab.podNs(1), Duration.ofSeconds(60), "iperf3", "-c", Lab.podIp(2), "-p", "5201",
            "-t", "3");
        assertEquals(0, iperf.exitCode(), iperf::output);
        server.await(Duration.ofSeconds(30));
        Path data = lab.randomFile("iperf-8m.bin", 8 << 20);
        lab.assertTransfersIntactBothWays(data, 1, 2, 5005, Duration.ofSeconds(120));
        long[] summary = c.stop();
        assertTrue(summary[0] > 0, "captured something");
        for (int node = 1; node <= 2; node++) {
            Map<String, Long> before = node == 1 ? before1 : before2;
            Map<String, Long> after = lab.stats(node);
            Map<String, Long> drops = new HashMap<>();
            after.forEach((k, v) -> {
                if (k.startsWith("drop") && v > before.getOrDefault(k, 0L)) {
                    drops.put(k, v - before.getOrDefault(k, 0L));
                }
            });
            assertEquals(Map.of(), drops, "node " + node + " dropped nothing while capturing (missed "
                + summary[1] + " in the capture)");
        }
    }

    @Test
    @Order(5)
    void metricsParseAndTheirDropsEqualMuslinStats() {
        Lab.Result ready = lab.exec(lab.nodeNs(1), Duration.ofSeconds(10), "curl", "-s", "-o", "/dev/null", "-w",
            "%{http_code}", "http://127.0.0.1:" + METRICS_PORT + "/readyz");
        assertEquals("200", ready.stdout().strip(), ready::output);
        Lab.Result health = lab.exec(lab.nodeNs(1), Duration.ofSeconds(10), "curl", "-s", "-o", "/dev/null", "-w",
            "%{http_code}", "http://127.0.0.1:" + METRICS_PORT + "/healthz");
        assertEquals("200", health.stdout().strip(), health::output);
        Map<String, Long> stats = lab.stats(1); // traffic has stopped: the counters stand still
        Path metrics = lab.dir.resolve("metrics-n1.txt");
        lab.execOk(lab.nodeNs(1), Duration.ofSeconds(10), "curl", "-sf", "-o", metrics.toString(),
            "http://127.0.0.1:" + METRICS_PORT + "/metrics");
        Lab.Result parsed = lab.run(Duration.ofSeconds(30), List.of(PYTHON, "-c", """
            import sys
            from prometheus_client.parser import text_string_to_metric_families
            for f in text_string_to_metric_families(open(sys.argv[1]).read()):
                for s in f.samples:
                    if s.name == "muslin_dataplane_drops_total":
                        print(s.labels["reason"], int(s.value))
            """, metrics.toString()));
        assertEquals(0, parsed.exitCode(), parsed::output);
        Map<String, Long> fromMetrics = new TreeMap<>();
        parsed.stdout().lines().map(l -> l.split(" ")).forEach(f -> fromMetrics.put(f[0], Long.parseLong(f[1])));
        Map<String, Long> fromStats = new TreeMap<>();
        fromMetrics.keySet().forEach(k -> fromStats.put(k, stats.get(k)));
        assertTrue(fromMetrics.size() > 10, fromMetrics::toString);
        assertTrue(fromMetrics.get("dropWrongVni") >= 3, "the garbage of the drop test shows: " + fromMetrics);
        assertEquals(fromStats, fromMetrics, "drop counters of /metrics and muslin stats");
    }

    private static List<String> echoes(Path file, String display) {
        return lab.decode(file, List.of(VXLAN), display, "icmp.ident", "icmp.seq", "data.data").stream()
            .map(f -> String.join(" ", f)).toList();
    }

    private static List<String> rows(List<String[]> frames) {
        List<String> out = new ArrayList<>();
        frames.forEach(f -> out.add(String.join(" ", f)));
        out.sort(null);
        return out;
    }
}
