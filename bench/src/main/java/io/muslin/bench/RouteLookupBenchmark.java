package io.muslin.bench;

import inet.ipaddr.ipv4.IPv4Address;
import inet.ipaddr.ipv4.IPv4AddressAssociativeTrie;
import io.muslin.dataplane.packet.Ipv4Address;
import io.muslin.dataplane.table.NextHop;
import io.muslin.dataplane.table.Route;
import io.muslin.dataplane.table.Route6;
import io.muslin.dataplane.table.Tables;
import io.netty.util.collection.IntObjectHashMap;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Longest-prefix match on random keys, one core, in one run:
 * <ul>
 *   <li>{@code lookupNextHop} — muslin's {@link Tables.Snapshot#lookupNextHop} (an {@code LpmTrie}),
 *       the packet path's call;</li>
 *   <li>{@code lookupIpaddress} — {@code com.github.seancfoley:ipaddress}'s
 *       {@code IPv4AddressAssociativeTrie.longestPrefixMatchNode} (a binary trie);</li>
 *   <li>{@code lookupNaive} — one hash map per prefix length, probed longest first (what
 *       {@code Tables} did before: Netty's {@code IntObjectHashMap}).</li>
 * </ul>
 * Each op is one lookup; an invocation runs {@value #BATCH} lookups over a ring of
 * {@value #KEYS} uniform random addresses and sums the next hops, so the result is read as the
 * packet path reads it. Tables hold {@code prefixes} routes with a BGP-like length mix
 * ({@link Workload}). {@code -prof gc} shows the allocation per lookup.
 *
 * <pre>
 * java -jar bench/target/benchmarks.jar RouteLookup -prof gc
 * </pre>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xms3g", "-Xmx3g"})
public class RouteLookupBenchmark {
    static final int KEYS = 1 << 16;
    static final int BATCH = 1024;

    /** Keys and table size, shared by the three subjects. */
    @State(Scope.Thread)
    public abstract static class Keys {
        @Param({"1000", "100000", "1000000"})
        public int prefixes;

        int[] keys;
        int next;

        void keys() {
            keys = Workload.randomKeys(KEYS, 42);
        }

        /** The start of the next {@value #BATCH} keys. */
        int advance() {
            int at = next;
            next = (at + BATCH) & (KEYS - 1);
            return at;
        }
    }

    public static class MuslinState extends Keys {
        Tables tables;

        @Setup(Level.Trial)
        public void setUp() {
            keys();
            tables = Workload.tables(Workload.ipv4Routes(prefixes, 1));
        }
    }

    public static class IpaddressState extends Keys {
        IPv4AddressAssociativeTrie<Integer> trie;
        IPv4Address[] addresses;

        @Setup(Level.Trial)
        public void setUp() {
            keys();
            trie = new IPv4AddressAssociativeTrie<>();
            for (Route r : Workload.ipv4Routes(prefixes, 1)) {
                trie.put(new IPv4Address(r.address(), r.length()).toPrefixBlock(), r.nextHop());
            }
            addresses = new IPv4Address[KEYS];
            for (int i = 0; i < KEYS; i++) {
                addresses[i] = new IPv4Address(keys[i]);
            }
        }
    }

    public static class NaiveState extends Keys {
        NaiveLpm naive;

        @Setup(Level.Trial)
        public void setUp() {
            keys();
            naive = new NaiveLpm(Workload.ipv4Routes(prefixes, 1));
        }
    }

    public static class Muslin6State extends Keys {
        Tables tables;
        long[] hi;
        long[] lo;

        @Setup(Level.Trial)
        public void setUp() {
            List<Route6> routes = Workload.ipv6Routes(prefixes, 1);
            tables = new Tables();
            tables.update(b -> routes.forEach(b::putRoute6));
            SplittableRandom random = new SplittableRandom(43);
            hi = new long[KEYS];
            lo = new long[KEYS];
            for (int i = 0; i < KEYS; i++) {
                hi[i] = Workload.GLOBAL_UNICAST | (random.nextLong() >>> 3);
                lo[i] = random.nextLong();
            }
        }
    }

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public int lookupNextHop(MuslinState s) {
        Tables.Snapshot snapshot = s.tables.snapshot();
        int[] keys = s.keys;
        int at = s.advance();
        int acc = 0;
        for (int i = at; i < at + BATCH; i++) {
            NextHop via = snapshot.lookupNextHop(keys[i]);
            if (via != null) {
                acc += via.address();
            }
        }
        return acc;
    }

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public int lookupIpaddress(IpaddressState s) {
        IPv4Address[] keys = s.addresses;
        int at = s.advance();
        int acc = 0;
        for (int i = at; i < at + BATCH; i++) {
            IPv4AddressAssociativeTrie.IPv4AssociativeTrieNode<Integer> n = s.trie.longestPrefixMatchNode(keys[i]);
            if (n != null) {
                acc += n.getValue();
            }
        }
        return acc;
    }

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public int lookupNaive(NaiveState s) {
        int[] keys = s.keys;
        int at = s.advance();
        int acc = 0;
        for (int i = at; i < at + BATCH; i++) {
            Route r = s.naive.lookup(keys[i]);
            if (r != null) {
                acc += r.nextHop();
            }
        }
        return acc;
    }

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public long lookupNextHop6(Muslin6State s) {
        Tables.Snapshot snapshot = s.tables.snapshot();
        int at = s.advance();
        long acc = 0;
        for (int i = at; i < at + BATCH; i++) {
            NextHop via = snapshot.lookupNextHop6(s.hi[i], s.lo[i]);
            if (via != null) {
                acc += via.lo();
            }
        }
        return acc;
    }

    /**
     * One hash map per prefix length, probed from the longest length present. Keys are mixed
     * first: Netty's map indexes by the key's low bits, and network addresses have none set.
     */
    static final class NaiveLpm {
        private static int mix(int key) {
            int h = key * 0x9E37_79B9; // a bijection: odd multiply, then xor-shift the high bits down
            return h ^ (h >>> 16);
        }

        @SuppressWarnings("unchecked")
        private final IntObjectHashMap<Route>[] byLength = new IntObjectHashMap[33];
        private final int[] lengthsLongestFirst;

        NaiveLpm(List<Route> routes) {
            for (Route r : routes) {
                if (byLength[r.length()] == null) {
                    byLength[r.length()] = new IntObjectHashMap<>();
                }
                byLength[r.length()].put(mix(r.address()), r);
            }
            lengthsLongestFirst = java.util.stream.IntStream.iterate(32, l -> l >= 0, l -> l - 1)
                .filter(l -> byLength[l] != null).toArray();
        }

        Route lookup(int dst) {
            for (int len : lengthsLongestFirst) {
                Route r = byLength[len].get(mix(dst & Ipv4Address.mask(len)));
                if (r != null) {
                    return r;
                }
            }
            return null;
        }
    }

    /**
     * Tables with a BGP-like prefix-length mix (after the CIDR Report's IPv4 distribution: 58%
     * /24, 10% /23, 11% /22, the rest /8-/21) plus overlay host routes (/25-/32, 4.4%) and a
     * default route; addresses uniform at random; next hops from a pool of 256, as a FIB has a
     * few adjacencies. IPv6 after the same report (48% /48, 15% /32, ...), in 2000::/3.
     */
    public static final class Workload {
        static final long GLOBAL_UNICAST = 0x2000_0000_0000_0000L;
        /** Per 1000 prefixes, by length (index = length). */
        private static final int[] IPV4_MIX = new int[33];
        private static final int[][] IPV6_MIX = {
            {16, 2}, {20, 3}, {24, 2}, {28, 3}, {29, 20}, {32, 150}, {33, 10}, {34, 10}, {35, 10},
            {36, 50}, {40, 70}, {44, 100}, {45, 20}, {46, 20}, {47, 20}, {48, 430}, {56, 20},
            {64, 40}, {96, 5}, {128, 15}};

        static {
            int[][] mix = {
                {8, 1}, {9, 1}, {10, 1}, {11, 1}, {12, 1}, {13, 1}, {14, 3}, {15, 5}, {16, 13}, {17, 8},
                {18, 14}, {19, 27}, {20, 45}, {21, 50}, {22, 110}, {23, 95}, {24, 580}, {25, 4},
                {26, 4}, {27, 4}, {28, 4}, {29, 5}, {30, 6}, {31, 2}, {32, 15}};
            for (int[] m : mix) {
                IPV4_MIX[m[0]] = m[1];
            }
        }

        private Workload() {
        }

        /** {@code n} distinct IPv4 routes, the first of them 0.0.0.0/0; the same for the same seed. */
        public static List<Route> ipv4Routes(int n, long seed) {
            SplittableRandom random = new SplittableRandom(seed);
            int[] lengths = table(IPV4_MIX_PAIRS());
            Set<Long> seen = new HashSet<>();
            List<Route> out = new ArrayList<>(n);
            out.add(new Route(0, 0, nextHop(random), Route.ENCAP));
            seen.add(0L);
            while (out.size() < n) {
                int len = lengths[random.nextInt(lengths.length)];
                int addr = random.nextInt() & Ipv4Address.mask(len);
                if (seen.add((long) addr << 6 | len)) {
                    out.add(new Route(addr, len, nextHop(random), Route.ENCAP));
                }
            }
            return out;
        }

        /** {@code n} distinct IPv6 routes in 2000::/3, the first of them ::/0. */
        public static List<Route6> ipv6Routes(int n, long seed) {
            SplittableRandom random = new SplittableRandom(seed);
            int[] lengths = table(IPV6_MIX);
            Set<Route6> seen = new HashSet<>();
            List<Route6> out = new ArrayList<>(n);
            out.add(new Route6(0, 0, 0, 0xFE80_0000_0000_0000L, 1, Route.ENCAP));
            while (out.size() < n) {
                int len = lengths[random.nextInt(lengths.length)];
                long hi = (GLOBAL_UNICAST | (random.nextLong() >>> 3)) & (len >= 64 ? -1L : -1L << (64 - len));
                long lo = len <= 64 ? 0 : random.nextLong() & (len == 128 ? -1L : -1L << (128 - len));
                Route6 r = new Route6(hi, lo, len, 0xFE80_0000_0000_0000L, nextHop(random), Route.ENCAP);
                if (seen.add(new Route6(hi, lo, len, 0, 0, 0))) {
                    out.add(r);
                }
            }
            return out;
        }

        public static int[] randomKeys(int n, long seed) {
            SplittableRandom random = new SplittableRandom(seed);
            int[] keys = new int[n];
            for (int i = 0; i < n; i++) {
                keys[i] = random.nextInt();
            }
            return keys;
        }

        /** A Tables holding {@code routes} (one batch). */
        public static Tables tables(List<Route> routes) {
            Tables t = new Tables();
            t.update(b -> routes.forEach(b::putRoute));
            return t;
        }

        private static int nextHop(SplittableRandom random) {
            return 0x0A00_0000 | random.nextInt(256);
        }

        private static int[][] IPV4_MIX_PAIRS() {
            List<int[]> pairs = new ArrayList<>();
            for (int len = 0; len <= 32; len++) {
                if (IPV4_MIX[len] > 0) {
                    pairs.add(new int[] {len, IPV4_MIX[len]});
                }
            }
            return pairs.toArray(new int[0][]);
        }

        /** Lengths repeated by weight, to draw from uniformly. */
        private static int[] table(int[][] mix) {
            int total = 0;
            for (int[] m : mix) {
                total += m[1];
            }
            int[] out = new int[total];
            int i = 0;
            for (int[] m : mix) {
                for (int k = 0; k < m[1]; k++) {
                    out[i++] = m[0];
                }
            }
            return out;
        }

    }
}
