package io.muslin.bench;

import io.muslin.dataplane.packet.Ipv4Prefix;
import io.muslin.dataplane.table.NextHop;
import io.muslin.dataplane.table.Route;
import io.muslin.dataplane.table.Tables;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Group;
import org.openjdk.jmh.annotations.GroupThreads;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Update rate of the route table with one reader looking up at the same time (group
 * {@code churn}: one thread each). An update is one {@link Tables#update} call, published on
 * its own: alternately add and remove a route from a pool of 65,536 routes that are not in
 * the table (same length mix), so the table keeps its size. The reader runs
 * {@code lookupNextHop} on random keys, one snapshot load and one lookup per op.
 *
 * <pre>
 * java -jar bench/target/benchmarks.jar RouteUpdate -prof gc
 * </pre>
 */
@State(Scope.Group)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xms3g", "-Xmx3g"})
public class RouteUpdateBenchmark {
    private static final int POOL = 1 << 16;

    @Param({"100000", "1000000"})
    public int prefixes;

    Tables tables;
    Route[] pool;
    int[] keys;

    @Setup(Level.Trial)
    public void setUp() {
        List<Route> all = RouteLookupBenchmark.Workload.ipv4Routes(prefixes + POOL, 3);
        tables = RouteLookupBenchmark.Workload.tables(all.subList(0, prefixes));
        pool = all.subList(prefixes, prefixes + POOL).toArray(new Route[0]);
        keys = RouteLookupBenchmark.Workload.randomKeys(RouteLookupBenchmark.KEYS, 42);
    }

    /** The writer's position in the pool. */
    @State(Scope.Thread)
    public static class Writer {
        int next;
        final Set<Integer> present = new HashSet<>();
    }

    /** The reader's position in the keys. */
    @State(Scope.Thread)
    public static class Reader {
        int next;
    }

    @Benchmark
    @Group("churn")
    @GroupThreads(1)
    public void update(Writer w) {
        int i = w.next;
        w.next = (i + 1) & (POOL - 1);
        Route r = pool[i];
        if (w.present.remove(i)) {
            Ipv4Prefix p = r.prefix();
            tables.update(b -> b.removeRoute(p));
        } else {
            w.present.add(i);
            tables.update(b -> b.putRoute(r));
        }
    }

    @Benchmark
    @Group("churn")
    @GroupThreads(1)
    public NextHop lookup(Reader rd) {
        int i = rd.next;
        rd.next = (i + 1) & (RouteLookupBenchmark.KEYS - 1);
        return tables.snapshot().lookupNextHop(keys[i]);
    }
}
