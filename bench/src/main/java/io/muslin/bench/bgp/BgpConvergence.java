package io.muslin.bench.bgp;

import io.muslin.control.bgp.speaker.BgpPeerConfig;
import io.muslin.control.bgp.speaker.BgpSettings;
import io.muslin.control.bgp.speaker.BgpSpeaker;
import io.muslin.control.bgp.speaker.BgpState;
import io.muslin.control.bgp.speaker.LeaseFeed;
import io.muslin.control.lease.Lease;
import io.muslin.control.program.KernelRoutes;
import io.muslin.control.program.PeerProgrammer;
import io.muslin.dataplane.packet.Ipv4Address;
import io.muslin.dataplane.packet.Ipv4Prefix;
import io.muslin.dataplane.table.Tables;
import io.netty.channel.EventLoopGroup;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * How fast a new node's block reaches every other node through a BGP route reflector (BIRD,
 * which {@code scripts/bench-bgp.sh} starts): N simulated nodes, each a real {@link BgpSpeaker}
 * with a {@link LeaseFeed} and a {@link PeerProgrammer} on its own {@link Tables} (VXLAN, no
 * kernel routes), peer with the reflector. Then, each round, one more node starts; measured
 * from the moment its session is Established until every one of the N nodes has programmed
 * its block (the slowest node, and the median), and, when it stops, until every node has
 * removed it again. Prints one JSON object on stdout.
 *
 * <pre>
 *   java -cp benchmarks.jar io.muslin.bench.bgp.BgpConvergence --reflector 172.31.0.1 --speakers 100
 *       [--rounds 10] [--first 172.31.1.1]
 * </pre>
 * Node i speaks from {@code --first} + i (the script puts those addresses on a dummy interface
 * of the benchmark's namespace) and announces 10.244.i.0/24 with VTEP MAC 6e:75:73:00:xx:xx.
 */
public final class BgpConvergence {
    private static final Ipv4Prefix NETWORK = Ipv4Prefix.parse("10.244.0.0/16");
    private static final long AS = 64512;

    /** One simulated node: a speaker and what it programs. */
    private static final class Node {
        final int index;
        final BgpSpeaker speaker;
        final LeaseFeed feed;
        final Tables tables = new Tables();

        Node(int index, int address, int reflector, EventLoopGroup group, Map<Ipv4Prefix, Long> programmedAt,
             Map<Ipv4Prefix, Long> removedAt) {
            this.index = index;
            Ipv4Prefix own = block(index);
            PeerProgrammer programmer = new PeerProgrammer(tables, NETWORK, own, PeerProgrammer.Backend.vxlan(1),
                KernelRoutes.NONE);
            this.feed = new LeaseFeed(programmer, Lease.VXLAN, 1, (lease, result) -> {
                programmedAt.merge(lease.subnet(), micros(java.time.Instant.now()), Math::max);
            });
            BgpSettings settings = BgpSettings.of(AS, address, 90, 179,
                List.of(new BgpPeerConfig(reflector, AS, 179)), NETWORK).withListen(false);
            this.speaker = new BgpSpeaker(settings, List.of(new BgpSpeaker.OwnRoute(own, 0x6e7573000000L | index)),
                new io.muslin.control.bgp.speaker.BgpRouteListener() {
                    @Override
                    public void changed(io.muslin.control.bgp.speaker.BgpRoute best) {
                        feed.changed(best);
                    }

                    @Override
                    public void withdrawn(Ipv4Prefix prefix) {
                        feed.withdrawn(prefix);
                        removedAt.merge(prefix, micros(java.time.Instant.now()), Math::max);
                    }
                }, group);
        }

        boolean established() {
            return speaker.sessions().getFirst().state() == BgpState.ESTABLISHED;
        }

        int routes() {
            return tables.snapshot().routes().size();
        }

        void close() {
            speaker.close();
            feed.close();
        }
    }

    static Ipv4Prefix block(int index) {
        return new Ipv4Prefix(NETWORK.address() | (index & 0xFF) << 8 | (index >> 8) << 16, 24);
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> opts = new HashMap<>();
        for (int i = 0; i + 1 < args.length; i += 2) {
            opts.put(args[i].replaceFirst("^--", ""), args[i + 1]);
        }
        int reflector = Ipv4Address.parse(opts.getOrDefault("reflector", "172.31.0.1"));
        int speakers = Integer.parseInt(opts.getOrDefault("speakers", "100"));
        int rounds = Integer.parseInt(opts.getOrDefault("rounds", "10"));
        int first = Ipv4Address.parse(opts.getOrDefault("first", "172.31.1.1"));
        if (speakers < 1 || speakers > 250 || rounds < 1) {
            throw new IllegalArgumentException("--speakers: 1-250, --rounds: 1 or more");
        }
        EventLoopGroup group = BgpSpeaker.newEventLoopGroup(2, "bench-bgp");
        List<Node> nodes = new ArrayList<>();
        List<Map<Ipv4Prefix, Long>> programmed = new ArrayList<>();
        List<Map<Ipv4Prefix, Long>> removed = new ArrayList<>();
        try {
            long joinStart = System.nanoTime();
            for (int i = 1; i <= speakers; i++) {
                Map<Ipv4Prefix, Long> p = new ConcurrentHashMap<>();
                Map<Ipv4Prefix, Long> r = new ConcurrentHashMap<>();
                programmed.add(p);
                removed.add(r);
                Node n = new Node(i, first + i - 1, reflector, group, p, r);
                nodes.add(n);
                n.speaker.start();
            }
            awaitAll(() -> nodes.stream().allMatch(n -> n.established() && n.routes() == speakers - 1), 120,
                "the first " + speakers + " nodes to learn each other");
            long joinMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - joinStart);

            double[] worst = new double[rounds];
            double[] median = new double[rounds];
            double[] withdrawWorst = new double[rounds];
            for (int round = 0; round < rounds; round++) {
                int index = speakers + 1 + round;
                Ipv4Prefix block = block(index);
                Node extra = new Node(index, first + index - 1, reflector, group, new ConcurrentHashMap<>(),
                    new ConcurrentHashMap<>());
                extra.speaker.start();
                long up = awaitEstablished(extra);
                awaitAll(() -> programmed.stream().allMatch(m -> m.containsKey(block)), 60,
                    "every node to program " + block);
                long[] after = programmed.stream().mapToLong(m -> m.get(block) - up).sorted().toArray();
                worst[round] = after[after.length - 1] / 1e3;
                median[round] = after[after.length / 2] / 1e3;

                long stop = micros(java.time.Instant.now());
                extra.close();
                awaitAll(() -> removed.stream().allMatch(m -> m.containsKey(block))
                    && nodes.stream().allMatch(n -> n.routes() == speakers - 1), 60, "every node to remove " + block);
                withdrawWorst[round] = (removed.stream().mapToLong(m -> m.get(block)).max().orElseThrow() - stop) / 1e3;
            }
            System.out.println(String.format(Locale.ROOT,
                "{\"speakers\": %d, \"rounds\": %d, \"joinMillis\": %d, "
                    + "\"programmedAllMillis\": {\"median\": %.1f, \"max\": %.1f, \"each\": %s}, "
                    + "\"programmedMedianNodeMillis\": %.1f, "
                    + "\"withdrawnAllMillis\": {\"median\": %.1f, \"max\": %.1f}}",
                speakers, rounds, joinMillis, med(worst), max(worst), fmt(worst), med(median), med(withdrawWorst),
                max(withdrawWorst)));
        } finally {
            for (Node n : nodes) {
                n.close();
            }
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(10, TimeUnit.SECONDS);
        }
    }

    /**
     * Waits for the new node's session; returns when it became Established, in microseconds of
     * the wall clock (the session's own timestamp, taken on its event loop as the state
     * changed; the programming times are taken with the same clock).
     */
    private static long awaitEstablished(Node n) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            var s = n.speaker.sessions().getFirst();
            if (s.state() == BgpState.ESTABLISHED) {
                return micros(s.since());
            }
            TimeUnit.MILLISECONDS.sleep(1);
        }
        throw new IllegalStateException("node " + n.index + " never established its session");
    }

    private static long micros(java.time.Instant t) {
        return t.getEpochSecond() * 1_000_000L + t.getNano() / 1000;
    }

    private static void awaitAll(java.util.function.BooleanSupplier done, int seconds, String what)
        throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (!done.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("timed out waiting for " + what);
            }
            TimeUnit.MILLISECONDS.sleep(1);
        }
    }

    private static double med(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s[s.length / 2];
    }

    private static double max(double[] v) {
        return Arrays.stream(v).max().orElse(0);
    }

    private static String fmt(double[] v) {
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < v.length; i++) {
            sb.append(i == 0 ? "" : ", ").append(String.format(Locale.ROOT, "%.1f", v[i]));
        }
        return sb.append(']').toString();
    }

    private BgpConvergence() {
    }
}
