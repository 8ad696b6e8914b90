package io.muslin.node.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.muslin.dataplane.capture.Capture;
import io.muslin.dataplane.observe.DataplaneProbes;
import io.muslin.dataplane.path.Counter;
import io.muslin.dataplane.path.Counters;
import io.muslin.dataplane.path.PathMtu;
import io.muslin.dataplane.table.Tables;
import io.muslin.dataplane.packet.Ipv4Prefix;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The metrics listener: Prometheus text from the dataplane's own counters, /healthz and /readyz. */
class MetricsServerTest {
    private final HttpClient http = HttpClient.newHttpClient();

    @Test
    void servesMetricsHealthAndReadiness(@TempDir Path dir) throws Exception {
        Counters counters = new Counters();
        counters.add(Counter.DROP_NO_ROUTE, 3);
        counters.add(Counter.TX_PACKETS, 10);
        counters.add(Counter.TX_BYTES, 15000);
        DataplaneProbes probes = new DataplaneProbes(null);
        var thread = probes.newThread();
        thread.peerSent(0xC0A83202, 4, 6000);
        thread.sent(System.nanoTime() - 30_000); // at least 30 µs: above the 25 µs bucket, however slow this runs
        Tables tables = new Tables();
        tables.update(b -> b.putRoute(Ipv4Prefix.parse("10.244.2.0/24"), 0x0AF40200));
        AtomicBoolean ready = new AtomicBoolean();
        AtomicBoolean alive = new AtomicBoolean(true);
        NodeCollector collector = new NodeCollector(new NodeCollector.Sources(() -> counters, () -> probes,
            tables::snapshot, () -> List.of(new PathMtu.Entry(0xC0A83202, 1400, 0)), () -> 1450, () -> (Capture) null,
            () -> new ControlState("etcd", true, 12.5, 42, 3), ready::get));
        try (MetricsServer server = MetricsServer.start(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
            collector, alive::get, ready::get)) {
            String base = "http://127.0.0.1:" + server.port();
            assertEquals(503, get(base + "/readyz").statusCode());
            ready.set(true);
            assertEquals(200, get(base + "/readyz").statusCode());
            assertEquals(200, get(base + "/healthz").statusCode());
            alive.set(false);
            assertEquals(503, get(base + "/healthz").statusCode());
            assertEquals(404, get(base + "/nope").statusCode());
            HttpResponse<String> m = get(base + "/metrics");
            assertEquals(200, m.statusCode());
            String text = m.body();
            for (String line : List.of(
                "muslin_dataplane_drops_total{reason=\"dropNoRoute\"} 3.0",
                "muslin_dataplane_drops_total{reason=\"dropMalformed\"} 0.0",
                "muslin_dataplane_packets_total{point=\"wire-out\"} 10.0",
                "muslin_dataplane_bytes_total{point=\"wire-out\"} 15000.0",
                "muslin_dataplane_peer_packets_total{direction=\"tx\",peer=\"192.168.50.2\"} 4.0",
                "muslin_dataplane_peer_packets_total{direction=\"tx\",peer=\"other\"} 0.0",
                "muslin_dataplane_table_entries{table=\"routes\"} 1.0",
                "muslin_dataplane_path_mtu_bytes{peer=\"192.168.50.2\"} 1400.0",
                "muslin_dataplane_stage_latency_seconds_count{stage=\"tun_to_wire\"} 1",
                "muslin_dataplane_stage_latency_seconds_bucket{stage=\"tun_to_wire\",le=\"2.5E-5\"} 0",
                "muslin_dataplane_stage_latency_seconds_bucket{stage=\"tun_to_wire\",le=\"+Inf\"} 1",
                "muslin_control_up{source=\"etcd\"} 1.0",
                "muslin_control_lease_age_seconds 12.5",
                "muslin_control_watch_revision 42.0",
                "muslin_control_watch_lag_revisions 3.0",
                "muslin_node_ready 1.0")) {
                assertTrue(text.contains(line + "\n"), () -> "missing: " + line + "\n" + text);
            }
            parsesWithPrometheusParser(text, dir);
        }
    }

    /** The Prometheus project's own Python parser (Debian's python3-prometheus-client), when installed. */
    private static void parsesWithPrometheusParser(String text, Path dir) throws IOException, InterruptedException {
        Path file = dir.resolve("metrics.txt");
        Files.writeString(file, text);
        // Debian's python3: the package installs there, whatever python3 comes first on the PATH.
        String python = Files.isExecutable(Path.of("/usr/bin/python3")) ? "/usr/bin/python3" : "python3";
        Process check = new ProcessBuilder(python, "-c", "import prometheus_client").start();
        Assumptions.assumeTrue(check.waitFor() == 0, "python3-prometheus-client not installed");
        Process p = new ProcessBuilder(python, "-c", """
            import sys
            from prometheus_client.parser import text_string_to_metric_families
            n = sum(len(f.samples) for f in text_string_to_metric_families(open(sys.argv[1]).read()))
            print(n)
            """, file.toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes()).strip();
        assertEquals(0, p.waitFor(), out);
        assertTrue(Integer.parseInt(out) > 50, out);
    }

    private HttpResponse<String> get(String url) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString());
    }
}
