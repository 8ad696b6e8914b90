package io.muslin.dataplane.table;

import io.muslin.dataplane.packet.Ipv4Address;
import io.muslin.dataplane.packet.Ipv4Prefix;
import io.muslin.dataplane.packet.MacAddress;
import io.netty.util.collection.IntObjectHashMap;
import io.netty.util.collection.LongObjectHashMap;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.function.Consumer;

/**
 * The route, ARP and FDB tables the packet path reads, published together.
 *
 * <p>Readers call {@link #snapshot()} (one volatile load) and walk an immutable
 * {@link Snapshot}: no lock, no allocation. One writer at a time calls {@link #update}: the
 * edits of one call (a peer's route + ARP + FDB entries) become visible at once, so a reader
 * sees all of them or none. Every edit is idempotent.
 *
 * <p>This implementation copies the tables on every update: simple and correct for hundreds of
 * peers. The lock-free multibit trie that replaces it is a separate piece of work.
 */
public final class Tables {
    private volatile Snapshot root = new Snapshot(new IntObjectHashMap[33], new int[0],
        new IntObjectHashMap<>(), new LongObjectHashMap<>());

    /** The current tables; never null. */
    public Snapshot snapshot() {
        return root;
    }

    /** Applies {@code edits} and publishes the result as one snapshot. */
    public synchronized void update(Consumer<Batch> edits) {
        Batch batch = new Batch(root);
        edits.accept(batch);
        root = batch.build();
    }

    /** An immutable view of all three tables. */
    public static final class Snapshot {
        private final IntObjectHashMap<Route>[] routesByLength;
        private final int[] lengthsLongestFirst;
        private final IntObjectHashMap<Long> arp;
        private final LongObjectHashMap<FdbEntry> fdb;

        Snapshot(IntObjectHashMap<Route>[] routesByLength, int[] lengthsLongestFirst,
                 IntObjectHashMap<Long> arp, LongObjectHashMap<FdbEntry> fdb) {
            this.routesByLength = routesByLength;
            this.lengthsLongestFirst = lengthsLongestFirst;
            this.arp = arp;
            this.fdb = fdb;
        }

        /** Longest-prefix match on {@code dst}; null when no route covers it. */
        public Route lookupRoute(int dst) {
            for (int len : lengthsLongestFirst) {
                Route r = routesByLength[len].get(dst & Ipv4Address.mask(len));
                if (r != null) {
                    return r;
                }
            }
            return null;
        }

        /** The MAC for a next hop, or {@link MacAddress#NONE}. */
        public long lookupArp(int ip) {
            Long mac = arp.get(ip);
            return mac == null ? MacAddress.NONE : mac;
        }

        /** Where a VTEP MAC lives, or null. */
        public FdbEntry lookupFdb(long mac) {
            return fdb.get(mac);
        }

        public List<Route> routes() {
            List<Route> out = new ArrayList<>();
            for (int len : lengthsLongestFirst) {
                out.addAll(routesByLength[len].values());
            }
            out.sort(Comparator.comparingLong((Route r) -> Integer.toUnsignedLong(r.prefix().address()))
                .thenComparingInt(r -> r.prefix().length()));
            return out;
        }

        /** ARP entries as (ip, mac) pairs, sorted by ip. */
        public List<long[]> neighbors() {
            List<long[]> out = new ArrayList<>();
            for (IntObjectHashMap.PrimitiveEntry<Long> e : arp.entries()) {
                out.add(new long[] {Integer.toUnsignedLong(e.key()), e.value()});
            }
            out.sort(Comparator.comparingLong(a -> a[0]));
            return out;
        }

        public List<FdbEntry> fdbEntries() {
            List<FdbEntry> out = new ArrayList<>(fdb.values());
            out.sort(Comparator.comparingLong(FdbEntry::mac));
            return out;
        }
    }

    /** Edits collected by one {@link #update} call. Idempotent: adding twice or removing an absent entry is a no-op. */
    public static final class Batch {
        private final IntObjectHashMap<Route>[] routesByLength;
        private final IntObjectHashMap<Long> arp;
        private final LongObjectHashMap<FdbEntry> fdb;

        @SuppressWarnings("unchecked")
        Batch(Snapshot from) {
            routesByLength = new IntObjectHashMap[33];
            for (int len = 0; len <= 32; len++) {
                IntObjectHashMap<Route> m = new IntObjectHashMap<>();
                if (from.routesByLength[len] != null) {
                    m.putAll(from.routesByLength[len]);
                }
                routesByLength[len] = m;
            }
            arp = new IntObjectHashMap<>();
            arp.putAll(from.arp);
            fdb = new LongObjectHashMap<>();
            fdb.putAll(from.fdb);
        }

        public Batch putRoute(Ipv4Prefix prefix, int nextHop) {
            routesByLength[prefix.length()].put(prefix.address(), new Route(prefix, nextHop));
            return this;
        }

        public Batch removeRoute(Ipv4Prefix prefix) {
            routesByLength[prefix.length()].remove(prefix.address());
            return this;
        }

        public Batch putArp(int ip, long mac) {
            arp.put(ip, Long.valueOf(mac));
            return this;
        }

        public Batch removeArp(int ip) {
            arp.remove(ip);
            return this;
        }

        public Batch putFdb(long mac, int underlay) {
            fdb.put(mac, new FdbEntry(mac, underlay));
            return this;
        }

        public Batch removeFdb(long mac) {
            fdb.remove(mac);
            return this;
        }

        Snapshot build() {
            int count = 0;
            for (int len = 32; len >= 0; len--) {
                if (!routesByLength[len].isEmpty()) {
                    count++;
                }
            }
            int[] lengths = new int[count];
            int i = 0;
            for (int len = 32; len >= 0; len--) {
                if (!routesByLength[len].isEmpty()) {
                    lengths[i++] = len;
                }
            }
            return new Snapshot(routesByLength, lengths, arp, fdb);
        }
    }
}
