package io.muslin.bench.hub;

import io.muslin.control.hub.client.HubClientSettings;
import io.muslin.control.hub.client.HubEndpoint;
import io.muslin.control.hub.client.HubLeaseStore;
import io.muslin.control.hub.server.HubServer;
import io.muslin.control.lease.Lease;
import io.muslin.control.store.EmbeddedLeaseStore;
import io.muslin.control.tls.CertificateSpec;
import io.muslin.control.tls.ClusterCa;
import io.muslin.control.tls.TlsContexts;
import io.muslin.dataplane.packet.Ipv4Address;
import io.muslin.dataplane.packet.Ipv4Prefix;
import io.netty.channel.EventLoopGroup;
import io.netty.handler.ssl.SslContext;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLongArray;
import org.HdrHistogram.Histogram;

/**
 * N simulated nodes join one hub (a separate process, so its heap and CPU are its own): each
 * opens a session (TLS with its own certificate when a PKI directory is given), acquires its
 * lease, lists and watches, exactly as a node's lease keeper and peer source do. Measured:
 * <ul>
 *   <li>join: time from the first connection until every node's table holds all N leases;</li>
 *   <li>the hub's CPU time over the join and its heap after it (from /proc and jcmd), and this
 *       simulator's own CPU time beside it;</li>
 *   <li>fan-out: for each of {@code --changes} lease changes, the time from the renew that
 *       changes it until each other node has it (N-1 samples per change); p50, p99, max.</li>
 * </ul>
 * Two kinds of simulated node ({@link SimNode}): most are {@link CountingNode}s, which speak the
 * protocol themselves, keep a bit per subnet, check every lease and the order of every change,
 * and share the decoding of frames the hub shares ({@link SharedFrames}); {@code --client-nodes}
 * of them (spread over the indexes) are {@link ClientNode}s on the node's real client,
 * {@code HubLeaseStore}, which decodes everything itself. Every node's table must be complete.
 *
 * <p>Before the clock the simulator warms its own JIT up on a hub of its own, in this process
 * ({@code --warmup} nodes, a few changes), so that what is measured is the hub under test, cold
 * as a restarted hub is, and not the simulator's compiler.
 *
 * Prints one JSON object on stdout. With {@code --handshakes-only} the nodes (all on the real
 * client) only open their sessions (TCP, TLS, Hello) and the hub's CPU over them, divided by their
 * number, is the hub's CPU per session (of the engine both sides run, {@code -Dmuslin.tls.engine}).
 *
 * <pre>
 *   java -cp benchmarks.jar io.muslin.bench.hub.HubScale --hub 127.0.0.1:8473 --nodes 1000
 *       [--pki DIR] [--changes 100] [--connect-parallelism 256] [--client-nodes 16]
 *       [--warmup 300] [--handshakes-only true] [--hub-pid PID] [--label L]
 * </pre>
 * With {@code --pki DIR} each node's certificate is {@code DIR/sim<i>.crt} / {@code .key}
 * (issued here once, kept for later runs), naming the node's simulated PublicIP 10.200.x.y; its
 * TLS context is made before the clock starts.
 */
public final class HubScale {
    private final HubEndpoint hub;
    private final int nodes;
    private final Path pki;
    private final int changes;
    private final int parallelism;
    private final int clientNodes;
    private final int warmup;
    private final HubProcess hubProcess;
    private final boolean handshakesOnly;

    private HubScale(HubEndpoint hub, int nodes, Path pki, int changes, int parallelism, int clientNodes, int warmup,
                     HubProcess hubProcess, boolean handshakesOnly) {
        this.hub = hub;
        this.nodes = nodes;
        this.pki = pki;
        this.changes = changes;
        this.parallelism = parallelism;
        this.clientNodes = Math.min(clientNodes, nodes);
        this.warmup = warmup;
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
        int nodes = Integer.parseInt(opts.getOrDefault("nodes", "1000"));
        HubScale scale = new HubScale(HubEndpoint.parse(opts.getOrDefault("hub", "127.0.0.1:8473")), nodes,
            opts.containsKey("pki") ? Path.of(opts.get("pki")) : null,
            Integer.parseInt(opts.getOrDefault("changes", "100")),
            Integer.parseInt(opts.getOrDefault("connect-parallelism", "256")),
            Integer.parseInt(opts.getOrDefault("client-nodes", "16")),
            Integer.parseInt(opts.getOrDefault("warmup", "300")),
            new HubProcess(Long.parseLong(opts.getOrDefault("hub-pid", "0"))),
            Boolean.parseBoolean(opts.getOrDefault("handshakes-only", "false")));
        String label = opts.getOrDefault("label", "branch");
        String result = scale.handshakesOnly ? scale.handshakes() : scale.run();
        System.out.println("{\"label\":\"" + label + "\"," + result.substring(1));
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

    /** Which simulated node's subnet {@code subnet} is (see {@link #lease}), or -1. */
    static int indexOf(Ipv4Prefix subnet) {
        int i = (subnet.address() - Ipv4Address.parse("10.1.0.0")) >> 8;
        return subnet.length() == 24 && i >= 0 ? i : -1;
    }

    private static volatile Throwable firstFailure;

    /** A simulated node found something wrong: the run fails with it. */
    static void failed(Throwable t) {
        if (firstFailure == null) {
            firstFailure = t;
        }
    }

    private static void checkFailure() {
        Throwable t = firstFailure;
        if (t != null) {
            throw new IllegalStateException("a simulated node failed: " + t.getMessage(), t);
        }
    }

    /** This process's CPU time so far, in seconds. */
    private static double ownCpuSeconds() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime()
            / 1e9;
    }

    /** TLS contexts for {@code count} nodes named {@code prefix<i>} (none without a PKI), made before any clock starts. */
    private List<SslContext> contexts(String prefix, int count) throws Exception {
        List<SslContext> out = new ArrayList<>(count);
        ExecutorService makers = Executors.newFixedThreadPool(2);
        List<Future<SslContext>> made = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            int index = i;
            made.add(makers.submit(() -> pki == null ? null : SimPki.client(pki, prefix + index, publicIp(index))));
        }
        for (Future<SslContext> f : made) {
            out.add(f.get());
        }
        makers.shutdown();
        return out;
    }

    /**
     * Opens {@code nodes} sessions (connect, TLS, Hello, Welcome) on the real client and nothing
     * else, three times: once to warm the hub's JIT up (not measured), once with fresh contexts
     * (every handshake a full one: the hub's CPU per session), and once more with those contexts
     * (every handshake resumes the session of the round before: the hub's CPU per resumed session).
     */
    private String handshakes() throws Exception {
        EventLoopGroup group = HubLeaseStore.newEventLoopGroup(2, "sim-io");
        openAndClose(contexts("sim", nodes), group); // warm-up
        List<SslContext> fresh = contexts("sim", nodes);
        double[] full = openAndClose(fresh, group);
        double[] resumed = openAndClose(fresh, group);
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        return String.format(Locale.ROOT, "{\"sessions\":%d,\"tls\":%b,\"engine\":\"%s\",\"seconds\":%.3f,"
                + "\"hubCpuSeconds\":%.2f,\"hubCpuMsPerSession\":%.3f,\"resumedSeconds\":%.3f,"
                + "\"hubCpuSecondsResumed\":%.2f,\"hubCpuMsPerResumedSession\":%.3f}",
            nodes, pki != null, pki == null ? "none" : System.getProperty("muslin.tls.engine", "openssl"), full[0], full[1],
            full[1] * 1000 / nodes, resumed[0], resumed[1], resumed[1] * 1000 / nodes);
    }

    /** Opens a session per context, then closes them all; returns {seconds to open, hub CPU seconds}. */
    private double[] openAndClose(List<SslContext> ssl, EventLoopGroup group) throws Exception {
        ExecutorService openers = Executors.newFixedThreadPool(64, new DefaultThreadFactory("sim-open", true));
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

    /** One simulation: its nodes, what they share, its threads. */
    private static final class Cluster implements AutoCloseable {
        final int size;
        final List<SimNode> nodes = new ArrayList<>();
        final SharedFrames frames;
        final EventLoopGroup group = HubLeaseStore.newEventLoopGroup(2, "sim-io");
        final ExecutorService joiners = Executors.newFixedThreadPool(8, new DefaultThreadFactory("sim-join", true));
        int clients;

        Cluster(HubEndpoint hub, String prefix, int size, int clientNodes, List<SslContext> ssl) {
            this.size = size;
            this.frames = new SharedFrames(size);
            int every = clientNodes == 0 ? Integer.MAX_VALUE : Math.max(1, size / clientNodes);
            for (int i = 0; i < size; i++) {
                boolean client = clients < clientNodes && i % every == every / 2;
                if (client) {
                    clients++;
                    nodes.add(new ClientNode(i, prefix + i, size, ssl.get(i), hub, frames, joiners));
                } else {
                    nodes.add(new CountingNode(i, prefix + i, size, ssl.get(i), hub, frames));
                }
            }
        }

        /** Every node joins, at most {@code parallelism} at a time (from connect until it watches); returns when all watch. */
        void join(int parallelism) throws Exception {
            Semaphore inFlight = new Semaphore(parallelism);
            List<CompletableFuture<Void>> joins = new ArrayList<>(size);
            for (SimNode n : nodes) {
                while (!inFlight.tryAcquire(100, TimeUnit.MILLISECONDS)) {
                    checkFailure();
                }
                joins.add(n.join(group).whenComplete((v, e) -> inFlight.release()));
            }
            for (CompletableFuture<Void> f : joins) {
                try {
                    f.get(120, TimeUnit.SECONDS);
                } catch (java.util.concurrent.ExecutionException e) {
                    throw new IllegalStateException("a simulated node could not join: " + e.getCause(), e.getCause());
                }
            }
        }

        /** Waits until every node's table is complete. */
        void awaitComplete() throws InterruptedException {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            for (SimNode n : nodes) {
                while (!n.complete().await(100, TimeUnit.MILLISECONDS)) {
                    checkFailure();
                    if (System.nanoTime() > deadline) {
                        throw new IllegalStateException("sim" + n.index() + ": table not complete within 120 s");
                    }
                }
            }
            checkFailure();
        }

        /** Times {@code changes} lease changes, each from the renew until every other node has it. */
        Histogram fanOut(int changes) throws Exception {
            Histogram h = new Histogram(TimeUnit.SECONDS.toNanos(60), 3);
            for (int c = 0; c < changes; c++) {
                SimNode changer = nodes.get((c * 7919) % size);
                Lease changed = lease(changer.index(), ((long) (c + 1) << 20) | changer.index());
                Probe probe = new Probe(changed, size, System.nanoTime());
                for (SimNode s : nodes) {
                    if (s != changer) {
                        s.probe(probe);
                    }
                }
                probe.seen(changer.index()); // not timed: it made the change
                long sent = System.nanoTime();
                probe.sentNanos = sent;
                changer.renew(changed);
                while (!probe.all.await(100, TimeUnit.MILLISECONDS)) {
                    checkFailure();
                    if (System.nanoTime() - sent > TimeUnit.SECONDS.toNanos(60)) {
                        throw new IllegalStateException("change " + c + " not seen by every node within 60 s ("
                            + probe.all.getCount() + " missing)");
                    }
                }
                for (int i = 0; i < size; i++) {
                    if (i != changer.index()) {
                        h.recordValue(probe.at.get(i) - sent);
                    }
                }
            }
            return h;
        }

        @Override
        public void close() {
            nodes.forEach(SimNode::close);
            joiners.shutdown();
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }

    /**
     * Warms this process's JIT up on a hub of its own (in this process, the same TLS or not, a
     * store in a temporary directory): {@code warmup} nodes join and see a few changes. The hub
     * under test is not touched.
     */
    private void warmUp() throws Exception {
        if (warmup <= 0) {
            return;
        }
        int size = Math.max(2, warmup);
        Path dir = Files.createTempDirectory("muslin-sim-warmup");
        try (EmbeddedLeaseStore store = EmbeddedLeaseStore.open(dir, Optional.of(
                "{\"Network\": \"10.0.0.0/8\", \"SubnetLen\": 24, \"Backend\": {\"Type\": \"vxlan\"}}"))) {
            InetSocketAddress listen = new InetSocketAddress("127.0.0.1", 0);
            HubServer.Settings settings = pki == null ? HubServer.Settings.insecure(listen)
                : HubServer.Settings.tls(listen, TlsContexts.server(pki.resolve(ClusterCa.CERT_FILE),
                    pki.resolve("hub.crt"), pki.resolve("hub.key")));
            try (HubServer local = HubServer.start(settings, store)) {
                HubEndpoint at = new HubEndpoint("127.0.0.1", local.address().getPort());
                for (int round = 0; round < 2; round++) {
                    try (Cluster c = new Cluster(at, "warm", size, Math.min(4, clientNodes), contexts("warm", size))) {
                        c.join(parallelism);
                        c.awaitComplete();
                        c.fanOut(Math.min(20, changes));
                        for (SimNode n : c.nodes) {
                            n.renew(lease(n.index(), ((long) (round + 1000) << 20) | n.index())); // the next round's changes
                        }
                    }
                    // the next round takes the same subnets over (same PublicIPs): a fresh store is not needed
                }
            }
        } finally {
            try (var files = Files.walk(dir)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
            }
        }
        firstFailure = null;
    }

    private String run() throws Exception {
        warmUp();
        try (Cluster c = new Cluster(hub, "sim", nodes, clientNodes, contexts("sim", nodes))) {
            System.gc();
            HubProcess.Sample before = hubProcess.sample();
            double simBefore = ownCpuSeconds();
            long start = System.nanoTime();
            c.join(parallelism);
            long allJoined = System.nanoTime();
            c.awaitComplete();
            long allComplete = System.nanoTime();
            HubProcess.Sample joined = hubProcess.sample();
            double simJoined = ownCpuSeconds();
            long heapUsedKb = hubProcess.heapUsedAfterGcKb();

            HubProcess.Sample beforeChanges = hubProcess.sample();
            double simBeforeChanges = ownCpuSeconds();
            Histogram fanOut = c.fanOut(changes);
            HubProcess.Sample afterChanges = hubProcess.sample();
            double simAfterChanges = ownCpuSeconds();
            return String.format(Locale.ROOT, "{\"nodes\":%d,\"tls\":%b,\"engine\":\"%s\",\"clientNodes\":%d,"
                    + "\"countingNodes\":%d,\"joinedSeconds\":%.3f,\"tablesCompleteSeconds\":%.3f,"
                    + "\"hubCpuSecondsJoin\":%.2f,\"simCpuSecondsJoin\":%.2f,\"hubHeapUsedAfterGcMiB\":%.1f,"
                    + "\"hubRssMiB\":%.1f,\"framesDecoded\":%d,\"framesShared\":%d,"
                    + "\"changes\":%d,\"hubCpuSecondsChanges\":%.2f,\"simCpuSecondsChanges\":%.2f,\"fanOutSamples\":%d,"
                    + "\"fanOutP50Ms\":%.3f,\"fanOutP99Ms\":%.3f,\"fanOutMaxMs\":%.3f}",
                nodes, pki != null, pki == null ? "none" : System.getProperty("muslin.tls.engine", "openssl"), c.clients,
                nodes - c.clients, (allJoined - start) / 1e9, (allComplete - start) / 1e9,
                joined.cpuSeconds() - before.cpuSeconds(), simJoined - simBefore, heapUsedKb / 1024.0,
                joined.rssKb() / 1024.0, c.frames.decodes.sum(), c.frames.hits.sum(),
                changes, afterChanges.cpuSeconds() - beforeChanges.cpuSeconds(), simAfterChanges - simBeforeChanges,
                fanOut.getTotalCount(), fanOut.getValueAtPercentile(50) / 1e6, fanOut.getValueAtPercentile(99) / 1e6,
                fanOut.getMaxValue() / 1e6);
        }
    }

    /** One change being timed: when it was sent, and when each node first had it. */
    static final class Probe {
        private final Lease lease;
        final CountDownLatch all;
        final AtomicLongArray at;
        volatile long sentNanos;

        Probe(Lease lease, int nodes, long sentNanos) {
            this.lease = lease;
            this.all = new CountDownLatch(nodes);
            this.at = new AtomicLongArray(nodes);
            this.sentNanos = sentNanos;
        }

        Lease lease() {
            return lease;
        }

        /** Node {@code index} has the change (the first time counts). */
        void seen(int index) {
            if (at.compareAndSet(index, 0, System.nanoTime())) {
                all.countDown();
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
