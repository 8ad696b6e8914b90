package io.muslin.bench;

import inet.ipaddr.ipv4.IPv4Address;
import inet.ipaddr.ipv4.IPv4AddressAssociativeTrie;
import io.muslin.dataplane.table.Family;
import io.muslin.dataplane.table.LpmTrie;
import io.muslin.dataplane.table.NextHop;
import io.muslin.dataplane.table.Route;
import io.muslin.dataplane.table.RouteEntry;
import java.util.List;
import org.openjdk.jol.info.GraphLayout;

/**
 * Memory per route: the route table built from {@link RouteLookupBenchmark.Workload} at
 * 1k, 100k and 1M prefixes, measured by walking its object graph with JOL
 * ({@link GraphLayout#totalSize()}: every object reachable from the trie a snapshot holds —
 * nodes, the next-hop table and the shared {@link NextHop} objects — at this JVM's real
 * layout), then the same with the writer's bookkeeping added (the interning map and use
 * counts, which readers never reach), next to the trie's own estimate from its arrays'
 * lengths ({@link LpmTrie#footprint()}) and to the ipaddress trie holding the same routes.
 * Not a JMH benchmark: run it with
 *
 * <pre>
 * java -cp bench/target/benchmarks.jar io.muslin.bench.RouteMemoryBenchmark [sizes...]
 * </pre>
 */
public final class RouteMemoryBenchmark {
    private RouteMemoryBenchmark() {
    }

    public static void main(String[] args) {
        // The trie's root is a record, whose field offsets Unsafe refuses: let JOL find them itself.
        System.setProperty("jol.magicFieldOffset", "true");
        int[] sizes = args.length == 0 ? new int[] {1_000, 100_000, 1_000_000}
            : java.util.Arrays.stream(args).mapToInt(Integer::parseInt).toArray();
        System.out.printf("%-6s %9s %14s %10s %16s %12s %10s %12s%n", "family", "prefixes", "JOL total B",
            "B/route", "+writer B/route", "trie B/route", "next hops", "ipaddress B/route");
        for (int n : sizes) {
            List<Route> routes = RouteLookupBenchmark.Workload.ipv4Routes(n, 1);
            measure(Family.IPV4, routes, ipaddressBytes(routes) / (double) n);
        }
        for (int n : sizes) {
            measure(Family.IPV6, RouteLookupBenchmark.Workload.ipv6Routes(n, 1), Double.NaN);
        }
    }

    private static <V extends RouteEntry> void measure(Family family, List<V> routes, double ipaddress) {
        LpmTrie.Writer<V> writer = LpmTrie.<V>empty(family).writer();
        routes.forEach(writer::put);
        LpmTrie<V> trie = writer.trie();
        GraphLayout layout = GraphLayout.parseInstance(trie);
        GraphLayout withWriter = GraphLayout.parseInstance(trie, writer);
        int n = routes.size();
        System.out.printf("%-6s %9d %14d %10.1f %16.1f %12.1f %10d %12.1f%n", family, n, layout.totalSize(),
            layout.totalSize() / (double) n, withWriter.totalSize() / (double) n,
            trie.footprint().bytes() / (double) n, layout.getClassCounts().count(NextHop.class), ipaddress);
    }

    private static long ipaddressBytes(List<Route> routes) {
        IPv4AddressAssociativeTrie<Integer> trie = new IPv4AddressAssociativeTrie<>();
        for (Route r : routes) {
            trie.put(new IPv4Address(r.address(), r.length()).toPrefixBlock(), r.nextHop());
        }
        return GraphLayout.parseInstance(trie).totalSize();
    }
}
