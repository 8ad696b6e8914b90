package io.muslin.node.metrics;

import io.muslin.dataplane.capture.Capture;
import io.muslin.dataplane.observe.DataplaneProbes;
import io.muslin.dataplane.observe.Stage;
import io.muslin.dataplane.packet.Ipv4Address;
import io.muslin.dataplane.path.Counter;
import io.muslin.dataplane.path.Counters;
import io.muslin.dataplane.path.PathMtu;
import io.muslin.dataplane.table.Tables;
import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.HistogramSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.function.IntSupplier;
import java.util.function.Supplier;

/**
 * A node's metrics, read at scrape time from what the dataplane already keeps (its
 * {@link Counters} through the read API, its probes, its table snapshot, the path MTUs) and from
 * the control plane: nothing is counted twice and the packet path does no extra work for them.
 *
 * <pre>
 * muslin_dataplane_packets_total{point="tun-in|wire-out|wire-in|tun-out"}   muslin_dataplane_bytes_total{point}
 * muslin_dataplane_drops_total{reason="dropNoRoute"|...}                  (the counters' names, as muslin stats)
 * muslin_dataplane_events_total{event="arpReplies"|...}                   (every other counter)
 * muslin_dataplane_peer_packets_total{peer,direction="tx|rx"}             muslin_dataplane_peer_bytes_total{peer,direction}
 * muslin_dataplane_stage_latency_seconds{stage="tun_to_wire|wire_to_tun"} (histogram, per batch)
 * muslin_dataplane_table_entries{table="routes|routes6|arp|fdb"}         muslin_dataplane_path_mtu_bytes{peer}
 * muslin_dataplane_tunnel_mtu_bytes   muslin_capture_running   muslin_node_ready
 * muslin_control_up{source}   muslin_control_lease_age_seconds   muslin_control_watch_revision
 * muslin_control_watch_lag_revisions
 * </pre>
 * Peers beyond {@link DataplaneProbes#PEER_LIMIT} are summed under {@code peer="other"}.
 */
public final class NodeCollector implements MultiCollector {
    /** What a node shows; every supplier is called on the scrape thread and must not block. */
    public record Sources(Supplier<Counters> counters, Supplier<DataplaneProbes> probes,
                          Supplier<Tables.Snapshot> tables, Supplier<List<PathMtu.Entry>> pathMtus,
                          IntSupplier tunnelMtu, Supplier<Capture> capture, Supplier<ControlState> control,
                          BooleanSupplier ready) {
    }

    private static final String[][] POINTS = {
        {"tun-in", Counter.TUN_RX_PACKETS.name(), Counter.TUN_RX_BYTES.name()},
        {"wire-out", Counter.TX_PACKETS.name(), Counter.TX_BYTES.name()},
        {"wire-in", Counter.RX_PACKETS.name(), Counter.RX_BYTES.name()},
        {"tun-out", Counter.TUN_TX_PACKETS.name(), Counter.TUN_TX_BYTES.name()},
    };
    private static final List<Counter> TRAFFIC = List.of(Counter.TUN_RX_PACKETS, Counter.TUN_RX_BYTES,
        Counter.TX_PACKETS, Counter.TX_BYTES, Counter.RX_PACKETS, Counter.RX_BYTES, Counter.TUN_TX_PACKETS,
        Counter.TUN_TX_BYTES);

    private final Sources sources;

    public NodeCollector(Sources sources) {
        this.sources = sources;
    }

    @Override
    public MetricSnapshots collect() {
        MetricSnapshots.Builder out = MetricSnapshots.builder();
        Counters c = sources.counters().get();
        if (c != null) {
            dataplaneCounters(out, c);
        }
        DataplaneProbes probes = sources.probes().get();
        if (probes != null) {
            peers(out, probes);
            HistogramSnapshot.Builder h = HistogramSnapshot.builder().name("muslin_dataplane_stage_latency_seconds")
                .help("Time a batch spends in a dataplane stage: TUN read to wire send, wire receive to TUN write");
            for (Stage s : Stage.values()) {
                h.dataPoint(Histograms.point(probes.latency(s), Labels.of("stage", s.label())));
            }
            out.metricSnapshot(h.build());
        }
        Tables.Snapshot t = sources.tables().get();
        out.metricSnapshot(GaugeSnapshot.builder().name("muslin_dataplane_table_entries")
            .help("Entries in muslin's route, ARP and FDB tables")
            .dataPoint(gauge(t.routes().size(), "table", "routes"))
            .dataPoint(gauge(t.routes6().size(), "table", "routes6"))
            .dataPoint(gauge(t.neighbors().size(), "table", "arp"))
            .dataPoint(gauge(t.fdbEntries().size(), "table", "fdb")).build());
        GaugeSnapshot.Builder pmtu = GaugeSnapshot.builder().name("muslin_dataplane_path_mtu_bytes")
            .help("Path MTUs learned from the underlay's ICMP, per peer (outer bytes)");
        for (PathMtu.Entry e : sources.pathMtus().get()) {
            pmtu.dataPoint(gauge(e.mtu(), "peer", Ipv4Address.format(e.underlay())));
        }
        out.metricSnapshot(pmtu.build());
        out.metricSnapshot(GaugeSnapshot.builder().name("muslin_dataplane_tunnel_mtu_bytes")
            .help("The TUN device's MTU").dataPoint(gauge(sources.tunnelMtu().getAsInt())).build());
        Capture capture = sources.capture().get();
        out.metricSnapshot(GaugeSnapshot.builder().name("muslin_capture_running")
            .help("Packet captures running now (muslin capture)")
            .dataPoint(gauge(capture == null ? 0 : capture.running())).build());
        out.metricSnapshot(GaugeSnapshot.builder().name("muslin_node_ready")
            .help("1 once routes are programmed and subnet.env is written (as /readyz)")
            .dataPoint(gauge(sources.ready().getAsBoolean() ? 1 : 0)).build());
        control(out, sources.control().get());
        return out.build();
    }

    private static void dataplaneCounters(MetricSnapshots.Builder out, Counters c) {
        CounterSnapshot.Builder packets = CounterSnapshot.builder().name("muslin_dataplane_packets")
            .help("Packets at each point: tun-in (read from pods), wire-out (sent), wire-in (received), tun-out (to pods)");
        CounterSnapshot.Builder bytes = CounterSnapshot.builder().name("muslin_dataplane_bytes")
            .help("Bytes at each point (inner at tun-*, outer UDP payload or IP packet at wire-*)");
        for (String[] p : POINTS) {
            packets.dataPoint(counter(c.get(Counter.valueOf(p[1])), "point", p[0]));
            bytes.dataPoint(counter(c.get(Counter.valueOf(p[2])), "point", p[0]));
        }
        CounterSnapshot.Builder drops = CounterSnapshot.builder().name("muslin_dataplane_drops")
            .help("Packets dropped, by reason (the counter names of muslin stats)");
        CounterSnapshot.Builder events = CounterSnapshot.builder().name("muslin_dataplane_events")
            .help("Every other dataplane counter, by its muslin stats name");
        for (Counter k : Counter.values()) {
            if (k.isDrop()) {
                drops.dataPoint(counter(c.get(k), "reason", k.label()));
            } else if (!TRAFFIC.contains(k)) {
                events.dataPoint(counter(c.get(k), "event", k.label()));
            }
        }
        out.metricSnapshot(packets.build()).metricSnapshot(bytes.build()).metricSnapshot(drops.build())
            .metricSnapshot(events.build());
    }

    private static void peers(MetricSnapshots.Builder out, DataplaneProbes probes) {
        CounterSnapshot.Builder packets = CounterSnapshot.builder().name("muslin_dataplane_peer_packets")
            .help("Datagrams to (tx) and from (rx) each peer; peers beyond " + DataplaneProbes.PEER_LIMIT
                + " are summed as peer=\"other\"");
        CounterSnapshot.Builder bytes = CounterSnapshot.builder().name("muslin_dataplane_peer_bytes")
            .help("Bytes to (tx) and from (rx) each peer");
        for (DataplaneProbes.PeerTotals p : probes.peers()) {
            String peer = p.address() == 0 ? DataplaneProbes.OTHER_PEERS : Ipv4Address.format(p.address());
            packets.dataPoint(counter(p.txPackets(), "peer", peer, "direction", "tx"));
            packets.dataPoint(counter(p.rxPackets(), "peer", peer, "direction", "rx"));
            bytes.dataPoint(counter(p.txBytes(), "peer", peer, "direction", "tx"));
            bytes.dataPoint(counter(p.rxBytes(), "peer", peer, "direction", "rx"));
        }
        out.metricSnapshot(packets.build()).metricSnapshot(bytes.build());
    }

    private static void control(MetricSnapshots.Builder out, ControlState s) {
        out.metricSnapshot(GaugeSnapshot.builder().name("muslin_control_up")
            .help("1 when the peer source (static file, etcd, hub) answered its last request")
            .dataPoint(gauge(s.up() ? 1 : 0, "source", s.source())).build());
        if (s.leaseAgeSeconds() >= 0) {
            out.metricSnapshot(GaugeSnapshot.builder().name("muslin_control_lease_age_seconds")
                .help("Seconds since this node's lease was last acquired or renewed")
                .dataPoint(gauge(s.leaseAgeSeconds())).build());
        }
        if (s.watchRevision() >= 0) {
            out.metricSnapshot(GaugeSnapshot.builder().name("muslin_control_watch_revision")
                .help("The last store revision the node's watch applied").dataPoint(gauge(s.watchRevision())).build());
        }
        if (s.watchLag() >= 0) {
            out.metricSnapshot(GaugeSnapshot.builder().name("muslin_control_watch_lag_revisions")
                .help("Store revisions the node's watch has heard of but not yet applied (0: current)")
                .dataPoint(gauge(s.watchLag())).build());
        }
    }

    static CounterSnapshot.CounterDataPointSnapshot counter(double v, String... labels) {
        return CounterSnapshot.CounterDataPointSnapshot.builder().value(v).labels(Labels.of(labels)).build();
    }

    static GaugeSnapshot.GaugeDataPointSnapshot gauge(double v, String... labels) {
        return GaugeSnapshot.GaugeDataPointSnapshot.builder().value(v).labels(Labels.of(labels)).build();
    }
}
