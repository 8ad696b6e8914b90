package io.muslin.bench;

import inet.ipaddr.ipv4.IPv4Address;
import inet.ipaddr.ipv4.IPv4AddressAssociativeTrie;
import io.muslin.dataplane.table.LpmTrie;
import io.muslin.dataplane.table.Route;
import io.muslin.dataplane.table.Route6;
import io.muslin.dataplane.table.Tables;
import java.util.List;
import org.openjdk.jol.info.GraphLayout;

/**
 * Memory per route: the route table built from {@link RouteLookupBenchmark.Workload} at
 * 1k, 100k and 1M prefixes, measured by walking its object graph with JOL
 * ({@link GraphLayout#totalSize()}: every object reachable from the trie, routes included,
 * at this JVM's real layout), next to the trie's own estimate from its arrays' lengths
 * ({@link LpmTrie#footprint()}, routes excluded) and to the ipaddress trie holding the same
 * routes. Not a JMH benchmark: run it with
 *
 * <pre>
 * java -cp bench/target/benchmarks.jar io.muslin.bench.RouteMemoryBenchmark [sizes...]
 * </pre>
 */
public final class RouteMemoryBenchmark {
    private RouteMemoryBenchmark() {
    }

    public static void main(String[] args) {
        int[] sizes = args.length == 0 ? new int[] {1_000, 100_000, 1_000_000}
            : java.util.Arrays.stream(args).mapToInt(Integer::parseInt).toArray();
        System.out.printf("%-6s %9s %14s %12s %12s %14s %12s%n", "family", "prefixes", "JOL total B",
            "B/route", "trie B/route", "route objs B", "ipaddress B/route");
        for (int n : sizes) {
            List<Route> routes = RouteLookupBenchmark.Workload.ipv4Routes(n, 1);
            Tables tables = RouteLookupBenchmark.Workload.tables(routes);
            LpmTrie<Route> trie = tables.snapshot().routeTable();
            GraphLayout layout = GraphLayout.parseInstance(trie);
            long routeBytes = layout.getClassSizes().count(Route.class);
            long ipaddress = ipaddressBytes(routes);
            System.out.printf("%-6s %9d %14d %12.1f %12.1f %14d %12.1f%n", "IPv4", n, layout.totalSize(),
                layout.totalSize() / (double) n, trie.footprint().bytes() / (double) n, routeBytes,
                ipaddress / (double) n);
        }
        for (int n : sizes) {
            List<Route6> routes = RouteLookupBenchmark.Workload.ipv6Routes(n, 1);
            Tables tables = new Tables();
            tables.update(b -> routes.forEach(b::putRoute6));
            LpmTrie<Route6> trie = tables.snapshot().route6Table();
            GraphLayout layout = GraphLayout.parseInstance(trie);
            System.out.printf("%-6s %9d %14d %12.1f %12.1f%n", "IPv6", n, layout.totalSize(),
                layout.totalSize() / (double) n, trie.footprint().bytes() / (double) n);
        }
    }

    private static long ipaddressBytes(List<Route> routes) {
        IPv4AddressAssociativeTrie<Integer> trie = new IPv4AddressAssociativeTrie<>();
        for (Route r : routes) {
            trie.put(new IPv4Address(r.address(), r.length()).toPrefixBlock(), r.nextHop());
        }
        return GraphLayout.parseInstance(trie).totalSize();
    }
}
