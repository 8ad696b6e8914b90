package io.muslin.node.metrics;

import io.muslin.control.hub.server.HubStats;
import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import java.util.List;
import java.util.Map;

/**
 * A hub's metrics, read at scrape time from its {@link HubStats}:
 * <pre>
 * muslin_hub_sessions                              sessions open now (opened - closed)
 * muslin_hub_refused_total{reason="handshake|hello|malformed|denied|invalid|flood"}
 * muslin_hub_events_total{event="requests|changes|framesFannedOut|..."}   every other hub counter
 * </pre>
 */
public final class HubCollector implements MultiCollector {
    /** Hub counters that are refusals, by their metric reason. */
    private static final Map<String, String> REFUSED = Map.of("refusedHandshake", "handshake", "refusedHello", "hello",
        "refusedMalformed", "malformed", "denied", "denied", "invalid", "invalid", "floods", "flood");
    private static final List<String> SESSIONS = List.of("sessionsOpened", "sessionsClosed");

    private final HubStats stats;

    public HubCollector(HubStats stats) {
        this.stats = stats;
    }

    @Override
    public MetricSnapshots collect() {
        Map<String, Long> v = stats.values();
        CounterSnapshot.Builder refused = CounterSnapshot.builder().name("muslin_hub_refused")
            .help("Requests and sessions the hub refused, by reason");
        CounterSnapshot.Builder events = CounterSnapshot.builder().name("muslin_hub_events")
            .help("Every other hub counter, by the name the hub logs it under");
        v.forEach((name, value) -> {
            String reason = REFUSED.get(name);
            if (reason != null) {
                refused.dataPoint(NodeCollector.counter(value, "reason", reason));
            } else if (!SESSIONS.contains(name)) {
                events.dataPoint(NodeCollector.counter(value, "event", name));
            }
        });
        GaugeSnapshot sessions = GaugeSnapshot.builder().name("muslin_hub_sessions").help("Node sessions open now")
            .dataPoint(NodeCollector.gauge(v.get("sessionsOpened") - v.get("sessionsClosed"))).build();
        return MetricSnapshots.builder().metricSnapshot(sessions).metricSnapshot(refused.build())
            .metricSnapshot(events.build()).build();
    }
}
