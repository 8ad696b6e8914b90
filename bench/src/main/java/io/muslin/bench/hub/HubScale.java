package io.muslin.bench.hub;

import io.muslin.control.hub.client.HubClientSettings;
import io.muslin.control.hub.client.HubEndpoint;
import io.muslin.control.hub.client.HubLeaseStore;
import io.muslin.control.lease.Lease;
import io.muslin.control.store.LeaseListener;
import io.muslin.control.store.LeaseStore;
import io.muslin.control.tls.CertificateSpec;
import io.muslin.control.tls.ClusterCa;
import io.muslin.control.tls.TlsContexts;
import io.muslin.dataplane.packet.Ipv4Address;
import io.muslin.dataplane.packet.Ipv4Prefix;
import io.netty.channel.EventLoopGroup;
import io.netty.handler.ssl.SslContext;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.HdrHistogram.Histogram;

/**
 * N simulated nodes join one hub (a separate process, so its heap and CPU are its own): each
 * opens a session (TLS with its own certificate when a PKI directory is given), acquires its
 * lease, lists and watches, exactly as a node's peer source does. Measured:
 * <ul>
 *   <li>join: time from the first connection until every node's table holds all N leases;</li>
 *   <li>the hub's CPU time over the join and its heap after it (read from /proc and jcmd by
 *       {@code scripts/bench-hub.sh}, which starts the hub);</li>
 *   <li>fan-out: for each of {@code --changes} lease changes, the time from the renew that
 *       changes it until each other node's watch delivers it (N-1 samples per change); p50, p99,
 *       max.</li>
 * </ul>
 * Prints one JSON object on stdout. With {@code --handshakes-only} the nodes only open their
 * sessions (TCP, TLS, Hello) and the hub's CPU over them, divided by their number, is the
 * handshake CPU per session (of the engine both sides run, {@code -Dmuslin.tls.engine}).
 *
 * <pre>
 *   java -cp benchmarks.jar io.muslin.bench.hub.HubScale --hub 127.0.0.1:8473 --nodes 1000
 *       [--pki DIR] [--changes 100] [--connect-parallelism 64] [--handshakes-only true]
 * </pre>
 * Each node's TLS context (its certificate, issued by the script's CA) is made before the clock
 * starts. A node's table is a bit per simulated subnet: what is measured is the hub and the
 * protocol, not the simulation's maps.
 * With {@code --pki DIR} each node's certificate is {@code DIR/sim<i>.crt} / {@code .key}, made
 * beforehand (the script issues them), naming the node's simulated PublicIP 10.200.x.y.
 */
public final class HubScale {
    private final HubEndpoint hub;
    private final int nodes;
    private final Path pki;
    private final int changes;
    private final int parallelism;
    private final HubProcess hubProcess;
    private final boolean handshakesOnly;

    private HubScale(HubEndpoint hub, int nodes, Path pki, int changes, int parallelism, HubProcess hubProcess,
                     boolean handshakesOnly) {
        this.hub = hub;
        this.nodes = nodes;
        this.pki = pki;
        this.changes = changes;
        this.parallelism = parallelism;
        this.hubProcess = hubProcess;
        this.handshakesOnly = handshakesOnly;
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> opts = new HashMap<>();
        for (int i = 0; i + 1 < args.length; i += 2) {
            if (!args[i].startsWith("--")) {
                throw new IllegalArgumentException("expected --option value, got " + args[i]);
            }
            opts.put(args[i].substring(2), args[i + 1]);
        }
        HubScale scale = new HubScale(HubEndpoint.parse(opts.getOrDefault("hub", "127.0.0.1:8473")),
            Integer.parseInt(opts.getOrDefault("nodes", "1000")),
            opts.containsKey("pki") ? Path.of(opts.get("pki")) : null,
            Integer.parseInt(opts.getOrDefault("changes", "100")),
            Integer.parseInt(opts.getOrDefault("connect-parallelism", "64")),
            new HubProcess(Long.parseLong(opts.getOrDefault("hub-pid", "0"))),
            Boolean.parseBoolean(opts.getOrDefault("handshakes-only", "false")));
        System.out.println(scale.handshakesOnly ? scale.handshakes() : scale.run());
        System.exit(0);
    }

    /** The simulated public address of node {@code i} (0-based): 10.200.x.y. */
    public static int publicIp(int i) {
        return Ipv4Address.parse("10.200.0.1") + i;
    }

    /** Node i's lease: subnet 10.(i/256).(i%256).0/24 of 10.0.0.0/8 (i from 0, subnets from 10.1.0.0). */
    static Lease lease(int i, long macSuffix) {
        int subnet = Ipv4Address.parse("10.1.0.0") + (i << 8);
        return Lease.vxlan(new Ipv4Prefix(subnet, 24), publicIp(i), 1, 0x6e0000000000L | macSuffix);
    }

    /** The nodes' TLS contexts (none without a PKI), made before any clock starts. */
    private List<SslContext> contexts() throws Exception {
        List<SslContext> out = new ArrayList<>(nodes);
        ExecutorService makers = Executors.newFixedThreadPool(2);
        List<Future<SslContext>> made = new ArrayList<>();
        for (int i = 0; i < nodes; i++) {
            int index = i;
            made.add(makers.submit(() -> pki == null ? null : SimPki.client(pki, "sim" + index, publicIp(index))));
        }
        for (Future<SslContext> f : made) {
            out.add(f.get());
        }
        makers.shutdown();
        return out;
    }

    /**
     * Opens {@code nodes} sessions (connect, TLS, Hello, Welcome) and nothing else, three times:
     * once to warm the hub's JIT up (not measured), once with fresh contexts (every handshake a
     * full one: the hub's CPU per session), and once more with those contexts (every handshake
     * resumes the session of the round before: the hub's CPU per resumed session).
     */
    private String handshakes() throws Exception {
        EventLoopGroup group = HubLeaseStore.newEventLoopGroup(2, "sim-io");
        openAndClose(contexts(), group); // warm-up
        List<SslContext> fresh = contexts();
        double[] full = openAndClose(fresh, group);
        double[] resumed = openAndClose(fresh, group);
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        return String.format(Locale.ROOT, "{\"sessions\":%d,\"tls\":%b,\"engine\":\"%s\",\"seconds\":%.3f,"
                + "\"hubCpuSeconds\":%.2f,\"hubCpuMsPerSession\":%.3f,\"resumedSeconds\":%.3f,"
                + "\"hubCpuSecondsResumed\":%.2f,\"hubCpuMsPerResumedSession\":%.3f}",
            nodes, pki != null, System.getProperty("muslin.tls.engine", "openssl"), full[0], full[1], full[1] * 1000 / nodes,
            resumed[0], resumed[1], resumed[1] * 1000 / nodes);
    }

    /** Opens a session per context, then closes them all; returns {seconds to open, hub CPU seconds}. */
    private double[] openAndClose(List<SslContext> ssl, EventLoopGroup group) throws Exception {
        ExecutorService openers = Executors.newFixedThreadPool(parallelism, new DefaultThreadFactory("sim-open", true));
        List<Future<HubLeaseStore>> opened = new ArrayList<>();
        HubProcess.Sample before = hubProcess.sample();
        long start = System.nanoTime();
        for (int i = 0; i < nodes; i++) {
            int index = i;
            opened.add(openers.submit(() -> HubLeaseStore.open(HubClientSettings.of(List.of(hub), ssl.get(index), "sim" + index)
                .withTimeouts(Duration.ofSeconds(60), Duration.ofSeconds(60)), group, null)));
        }
        List<HubLeaseStore> stores = new ArrayList<>();
        for (Future<HubLeaseStore> f : opened) {
            stores.add(f.get());
        }
        long elapsed = System.nanoTime() - start;
        HubProcess.Sample after = hubProcess.sample();
        stores.forEach(HubLeaseStore::close);
        openers.shutdown();
        return new double[] {elapsed / 1e9, after.cpuSeconds() - before.cpuSeconds()};
    }

    private String run() throws Exception {
        List<SslContext> ssl = contexts();
        EventLoopGroup group = HubLeaseStore.newEventLoopGroup(2, "sim-io");
        List<SimNode> sims = new ArrayList<>();
        for (int i = 0; i < nodes; i++) {
            sims.add(new SimNode(i, ssl.get(i)));
        }
        ExecutorService joiners = Executors.newFixedThreadPool(parallelism, new DefaultThreadFactory("sim-join", true));
        HubProcess.Sample before = hubProcess.sample();
        long start = System.nanoTime();
        List<Future<?>> joins = new ArrayList<>();
        for (SimNode s : sims) {
            joins.add(joiners.submit(() -> {
                s.join(group);
                return null;
            }));
        }
        for (Future<?> f : joins) {
            f.get();
        }
        long allJoined = System.nanoTime();
        for (SimNode s : sims) {
            s.complete.await();
        }
        long allComplete = System.nanoTime();
        HubProcess.Sample joined = hubProcess.sample();
        long heapUsedKb = hubProcess.heapUsedAfterGcKb();
        joiners.shutdown();

        Histogram fanOut = new Histogram(TimeUnit.SECONDS.toNanos(60), 3);
        for (int c = 0; c < changes; c++) {
            SimNode changer = sims.get((c * 7919) % nodes);
            Lease changed = lease(changer.index, ((long) (c + 1) << 20) | changer.index);
            CountDownLatch seen = new CountDownLatch(nodes - 1);
            Probe probe = new Probe(changed, seen, System.nanoTime());
            for (SimNode s : sims) {
                if (s != changer) {
                    s.probe = probe;
                }
            }
            changer.store.renew(changed);
            if (!seen.await(60, TimeUnit.SECONDS)) {
                throw new IllegalStateException("change " + c + " not seen by every node within 60 s ("
                    + seen.getCount() + " missing)");
            }
            for (long latency : probe.latencies.values()) {
                fanOut.recordValue(latency);
            }
            changer.own = changed;
        }

        HubProcess.Sample afterChanges = hubProcess.sample();
        for (SimNode s : sims) {
            s.store.close();
        }
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        return String.format(Locale.ROOT, "{\"nodes\":%d,\"tls\":%b,\"engine\":\"%s\",\"joinedSeconds\":%.3f,\"tablesCompleteSeconds\":%.3f,"
                + "\"hubCpuSecondsJoin\":%.2f,\"hubHeapUsedAfterGcMiB\":%.1f,\"hubRssMiB\":%.1f,"
                + "\"changes\":%d,\"hubCpuSecondsChanges\":%.2f,\"fanOutSamples\":%d,\"fanOutP50Ms\":%.3f,"
                + "\"fanOutP99Ms\":%.3f,\"fanOutMaxMs\":%.3f}",
            nodes, pki != null, pki == null ? "none" : System.getProperty("muslin.tls.engine", "openssl"),
            (allJoined - start) / 1e9, (allComplete - start) / 1e9,
            joined.cpuSeconds() - before.cpuSeconds(), heapUsedKb / 1024.0, joined.rssKb() / 1024.0,
            changes, afterChanges.cpuSeconds() - joined.cpuSeconds(), fanOut.getTotalCount(),
            fanOut.getValueAtPercentile(50) / 1e6, fanOut.getValueAtPercentile(99) / 1e6, fanOut.getMaxValue() / 1e6);
    }

    /** One change being timed: when it was sent, and when each node delivered it. */
    private record Probe(Lease lease, CountDownLatch seen, long sentNanos, Map<Integer, Long> latencies) {
        Probe(Lease lease, CountDownLatch seen, long sentNanos) {
            this(lease, seen, sentNanos, new ConcurrentHashMap<>());
        }
    }

    /** Which simulated node's subnet {@code subnet} is (see {@link #lease}), or -1. */
    static int indexOf(Ipv4Prefix subnet) {
        int i = (subnet.address() - Ipv4Address.parse("10.1.0.0")) >> 8;
        return subnet.length() == 24 && i >= 0 ? i : -1;
    }

    /** A simulated node: its session, its lease, its table (a bit per simulated subnet is all it needs). */
    private final class SimNode implements LeaseListener {
        final int index;
        final SslContext ssl;
        final CountDownLatch complete = new CountDownLatch(1);
        final BitSet table = new BitSet();
        HubLeaseStore store;
        Lease own;
        volatile Probe probe;

        SimNode(int index, SslContext ssl) {
            this.index = index;
            this.ssl = ssl;
            this.own = lease(index, index);
        }

        void join(EventLoopGroup group) throws IOException {
            HubClientSettings settings = HubClientSettings.of(List.of(hub), ssl, "sim" + index)
                .withTimeouts(Duration.ofSeconds(60), Duration.ofSeconds(60));
            store = HubLeaseStore.open(settings, group, null);
            if (!store.acquire(own, Duration.ofHours(1))) {
                throw new IllegalStateException("sim" + index + ": subnet " + own.subnet() + " is held");
            }
            LeaseStore.Snapshot s = store.list();
            resync(s);
            store.watch(s.revision() + 1, this);
        }

        @Override
        public synchronized void put(Lease lease, long revision) {
            set(lease.subnet(), true);
            check();
            Probe p = probe;
            if (p != null && p.lease().equals(lease) && p.latencies().putIfAbsent(index, System.nanoTime() - p.sentNanos()) == null) {
                p.seen().countDown();
            }
        }

        @Override
        public synchronized void delete(Ipv4Prefix subnet, long revision) {
            set(subnet, false);
        }

        @Override
        public synchronized void resync(LeaseStore.Snapshot snapshot) {
            table.clear();
            snapshot.leases().forEach(l -> set(l.subnet(), true));
            check();
        }

        private void set(Ipv4Prefix subnet, boolean held) {
            int i = indexOf(subnet);
            if (i >= 0) {
                table.set(i, held);
            }
        }

        private void check() {
            if (table.cardinality() >= nodes) {
                complete.countDown();
            }
        }
    }

    /** The simulated nodes' certificates: issued by the cluster CA in the PKI directory, one per node. */
    static final class SimPki {
        private SimPki() {
        }

        /** Issues (once) node {@code name}'s certificate naming {@code address}, and returns its client context. */
        static SslContext client(Path dir, String name, int address) throws IOException {
            Path crt = dir.resolve(name + ".crt");
            Path key = dir.resolve(name + ".key");
            if (!Files.exists(crt)) {
                ClusterCa ca = ca(dir);
                ca.issue(CertificateSpec.node(name, List.of(address))).write(crt, key, true);
            }
            return TlsContexts.client(dir.resolve(ClusterCa.CERT_FILE), crt, key);
        }

        private static ClusterCa loaded;

        private static synchronized ClusterCa ca(Path dir) throws IOException {
            if (loaded == null) {
                loaded = ClusterCa.load(dir);
            }
            return loaded;
        }
    }
}
