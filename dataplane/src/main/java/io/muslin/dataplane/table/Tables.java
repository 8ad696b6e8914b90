package io.muslin.dataplane.table;

import io.muslin.dataplane.packet.Ipv4Prefix;
import io.muslin.dataplane.packet.MacAddress;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.function.Consumer;

/**
 * The route, ARP and FDB tables the packet path reads, published together.
 *
 * <p><b>Readers</b> call {@link #snapshot()} — one volatile (acquire) load of a root that holds
 * all tables — and walk the immutable {@link Snapshot} it returns: no lock, no spin, no
 * allocation, whatever the writer does meanwhile.
 *
 * <p><b>One writer at a time</b> calls {@link #update}. Its {@link Batch} builds new versions
 * of the tables by path copying (an edit copies the nodes on one path: O(depth), not
 * O(table)) and the result is published with one volatile store. A reader sees every edit of
 * a batch (say a peer's route, ARP and FDB entries) or none of them. Every edit is idempotent:
 * adding an entry twice or removing an absent one changes nothing, and a batch that changes
 * nothing publishes nothing.
 *
 * <p>Layout: IPv4 and IPv6 routes in an {@link LpmTrie} each (8-bit strides, popcount-indexed
 * runs, routes pushed to the leaves as ids of shared {@link NextHop}s); ARP (IPv4 → MAC) and FDB (MAC → underlay) in a
 * {@link HashTrie} each, keyed by primitives; IPv6 neighbors (IPv6 → MAC) in an
 * {@link AddressMap} (128-bit keys); and the peers by underlay address (which outer sources are
 * nodes we know): IPv4 in a {@link HashTrie}, IPv6 in an {@link AddressMap}. The lookups the
 * packet path makes take the family as a parameter ({@link Snapshot#lookupNextHop(Family, long,
 * long)}, {@link Snapshot#lookupNeighbor}, {@link Snapshot#isPeer(Family, long, long)}), so one
 * path serves both. See docs/tables.md for the design and figures.
 */
public final class Tables {
    private volatile Snapshot root = Snapshot.EMPTY;
    /** The route tables' writers (they intern next hops); used under this object's monitor only. */
    private LpmTrie.Writer<Route> routeWriter;
    private LpmTrie.Writer<Route6> route6Writer;

    /** The current tables; never null. One volatile load. */
    public Snapshot snapshot() {
        return root;
    }

    /**
     * Applies {@code edits} and publishes the result as one snapshot. Writers are serialized;
     * if {@code edits} throws, nothing is published (and the next update sets the route
     * writers up again from the published tables: O(routes), once).
     */
    public synchronized void update(Consumer<Batch> edits) {
        Snapshot before = root;
        if (routeWriter == null || !routeWriter.isAt(before.routes)) {
            routeWriter = before.routes.writer();
        }
        if (route6Writer == null || !route6Writer.isAt(before.routes6)) {
            route6Writer = before.routes6.writer();
        }
        Batch batch = new Batch(before, routeWriter, route6Writer);
        edits.accept(batch);
        Snapshot after = batch.build();
        if (after != before) {
            root = after;
        }
    }

    /** An immutable view of all the tables. */
    public static final class Snapshot {
        static final Snapshot EMPTY = new Snapshot(LpmTrie.empty(Family.IPV4), LpmTrie.empty(Family.IPV6),
            HashTrie.empty(), AddressMap.empty(), HashTrie.empty(), HashTrie.empty(), AddressMap.empty());

        private final LpmTrie<Route> routes;
        private final LpmTrie<Route6> routes6;
        private final HashTrie<ArpEntry> arp;
        private final AddressMap<NdEntry> nd;
        private final HashTrie<FdbEntry> fdb;
        private final HashTrie<PeerEntry> peers;
        private final AddressMap<PeerEntry> peers6;

        Snapshot(LpmTrie<Route> routes, LpmTrie<Route6> routes6, HashTrie<ArpEntry> arp, AddressMap<NdEntry> nd,
                 HashTrie<FdbEntry> fdb, HashTrie<PeerEntry> peers, AddressMap<PeerEntry> peers6) {
            this.routes = routes;
            this.routes6 = routes6;
            this.arp = arp;
            this.nd = nd;
            this.fdb = fdb;
            this.peers = peers;
            this.peers6 = peers6;
        }

        /**
         * Longest-prefix match on a destination of either family, in {@link Family}'s key layout:
         * the packet path's call (no allocation); null when no route covers it.
         */
        public NextHop lookupNextHop(Family family, long dstHi, long dstLo) {
            return family == Family.IPV4 ? routes.lookup(dstHi, 0L) : routes6.lookup(dstHi, dstLo);
        }

        /**
         * The MAC of a route's next hop (ARP for IPv4, the IPv6 neighbor table for IPv6), or
         * {@link MacAddress#NONE}.
         */
        public long lookupNeighbor(NextHop via) {
            return via.family() == Family.IPV4 ? lookupArp(via.address()) : lookupNeighbor6(via.hi(), via.lo());
        }

        /** The MAC for an IPv6 next hop, or {@link MacAddress#NONE}. */
        public long lookupNeighbor6(long hi, long lo) {
            NdEntry e = nd.get(hi, lo);
            return e == null ? MacAddress.NONE : e.mac();
        }

        /** True when ({@code family}, {@code hi}, {@code lo}) is the underlay address of a peer with a programmed lease. */
        public boolean isPeer(Family family, long hi, long lo) {
            return family == Family.IPV4 ? peers.get(hi >>> 32) != null : peers6.get(hi, lo) != null;
        }

        /**
         * Longest-prefix match on an IPv4 destination: the matching route's next hop and flags,
         * shared by all routes that have them; null when no route covers it. The packet path's
         * call: no allocation.
         */
        public NextHop lookupNextHop(int dst) {
            return routes.lookup(Family.ipv4Key(dst), 0L);
        }

        /** {@link #lookupNextHop} on an IPv6 destination (two words, network order). */
        public NextHop lookupNextHop6(long dstHi, long dstLo) {
            return routes6.lookup(dstHi, dstLo);
        }

        /**
         * The route {@link #lookupNextHop} matches, with its own prefix; null when none. Makes a
         * new {@code Route} (for tools and tests; the packet path uses {@link #lookupNextHop}).
         */
        public Route lookupRoute(int dst) {
            return routes.lookupRoute(Family.ipv4Key(dst), 0L);
        }

        /** {@link #lookupRoute} on an IPv6 destination (two words, network order). */
        public Route6 lookupRoute6(long dstHi, long dstLo) {
            return routes6.lookupRoute(dstHi, dstLo);
        }

        /** The MAC for an IPv4 next hop, or {@link MacAddress#NONE}. */
        public long lookupArp(int ip) {
            ArpEntry e = arp.get(ip & 0xFFFF_FFFFL);
            return e == null ? MacAddress.NONE : e.mac();
        }

        /** Where a VTEP MAC lives, or null. */
        public FdbEntry lookupFdb(long mac) {
            return fdb.get(mac);
        }

        /** True when {@code underlay} is the underlay address of a peer with a programmed lease. */
        public boolean isPeer(int underlay) {
            return peers.get(underlay & 0xFFFF_FFFFL) != null;
        }

        /** The IPv4 route table itself (for benchmarks and tools). */
        public LpmTrie<Route> routeTable() {
            return routes;
        }

        public LpmTrie<Route6> route6Table() {
            return routes6;
        }

        public HashTrie<ArpEntry> arpTable() {
            return arp;
        }

        public HashTrie<FdbEntry> fdbTable() {
            return fdb;
        }

        public HashTrie<PeerEntry> peerTable() {
            return peers;
        }

        public AddressMap<NdEntry> neighbor6Table() {
            return nd;
        }

        public AddressMap<PeerEntry> peer6Table() {
            return peers6;
        }

        /** IPv6 neighbor entries sorted by address. */
        public List<NdEntry> neighbors6() {
            List<NdEntry> out = new ArrayList<>(nd.size());
            nd.forEach(out::add);
            out.sort((a, b) -> {
                int c = Long.compareUnsigned(a.hi(), b.hi());
                return c != 0 ? c : Long.compareUnsigned(a.lo(), b.lo());
            });
            return out;
        }

        /** IPv4 routes sorted by address, then length. */
        public List<Route> routes() {
            List<Route> out = new ArrayList<>(routes.size());
            routes.forEach(out::add);
            out.sort(Comparator.comparingLong((Route r) -> Integer.toUnsignedLong(r.address()))
                .thenComparingInt(Route::length));
            return out;
        }

        /** IPv6 routes sorted by address, then length. */
        public List<Route6> routes6() {
            List<Route6> out = new ArrayList<>(routes6.size());
            routes6.forEach(out::add);
            out.sort((a, b) -> {
                int c = Long.compareUnsigned(a.hi(), b.hi());
                c = c != 0 ? c : Long.compareUnsigned(a.lo(), b.lo());
                return c != 0 ? c : Integer.compare(a.length(), b.length());
            });
            return out;
        }

        /** ARP entries as (ip, mac) pairs, sorted by ip. */
        public List<long[]> neighbors() {
            List<long[]> out = new ArrayList<>(arp.size());
            arp.forEach(e -> out.add(new long[] {e.key(), e.mac()}));
            out.sort(Comparator.comparingLong(a -> a[0]));
            return out;
        }

        /** FDB entries sorted by MAC. */
        public List<FdbEntry> fdbEntries() {
            List<FdbEntry> out = new ArrayList<>(fdb.size());
            fdb.forEach(out::add);
            out.sort(Comparator.comparingLong(FdbEntry::mac));
            return out;
        }
    }

    /**
     * Edits collected by one {@link #update} call, applied in order. Idempotent: adding twice or
     * removing an absent entry is a no-op. Not thread-safe; used by the one writer only.
     */
    public static final class Batch {
        private final Snapshot from;
        private final LpmTrie.Writer<Route> routes;
        private final LpmTrie.Writer<Route6> routes6;
        private HashTrie<ArpEntry> arp;
        private AddressMap<NdEntry> nd;
        private HashTrie<FdbEntry> fdb;
        private HashTrie<PeerEntry> peers;
        private AddressMap<PeerEntry> peers6;

        Batch(Snapshot from, LpmTrie.Writer<Route> routes, LpmTrie.Writer<Route6> routes6) {
            this.from = from;
            this.routes = routes;
            this.routes6 = routes6;
            this.arp = from.arp;
            this.nd = from.nd;
            this.fdb = from.fdb;
            this.peers = from.peers;
            this.peers6 = from.peers6;
        }

        /** A route that encapsulates to {@code nextHop}'s VTEP. */
        public Batch putRoute(Ipv4Prefix prefix, int nextHop) {
            return putRoute(new Route(prefix, nextHop));
        }

        /** A route with flags ({@link Route#ENCAP}, {@link Route#DIRECT}). */
        public Batch putRoute(Ipv4Prefix prefix, int nextHop, int flags) {
            return putRoute(new Route(prefix, nextHop, flags));
        }

        public Batch putRoute(Route route) {
            routes.put(route);
            return this;
        }

        public Batch removeRoute(Ipv4Prefix prefix) {
            routes.remove(Family.ipv4Key(prefix.address()), 0L, prefix.length());
            return this;
        }

        public Batch putRoute6(Route6 route) {
            routes6.put(route);
            return this;
        }

        public Batch removeRoute6(long hi, long lo, int length) {
            routes6.remove(hi, lo, length);
            return this;
        }

        public Batch putArp(int ip, long mac) {
            ArpEntry old = arp.get(ip & 0xFFFF_FFFFL);
            if (old == null || old.mac() != mac) {
                arp = arp.put(new ArpEntry(ip, mac));
            }
            return this;
        }

        public Batch removeArp(int ip) {
            arp = arp.remove(ip & 0xFFFF_FFFFL);
            return this;
        }

        /** An IPv6 neighbor: the next hop ({@code hi}, {@code lo}) is the VTEP with {@code mac}. */
        public Batch putNeighbor6(long hi, long lo, long mac) {
            NdEntry old = nd.get(hi, lo);
            if (old == null || old.mac() != mac) {
                nd = nd.put(new NdEntry(hi, lo, mac));
            }
            return this;
        }

        public Batch removeNeighbor6(long hi, long lo) {
            nd = nd.remove(hi, lo);
            return this;
        }

        /** An FDB entry with an IPv4 underlay. */
        public Batch putFdb(long mac, int underlay) {
            return putFdb(new FdbEntry(mac, underlay));
        }

        /** An FDB entry with an IPv6 underlay. */
        public Batch putFdb6(long mac, long underlayHi, long underlayLo) {
            return putFdb(FdbEntry.ipv6(mac, underlayHi, underlayLo));
        }

        public Batch putFdb(FdbEntry entry) {
            if (!entry.equals(fdb.get(entry.mac()))) {
                fdb = fdb.put(entry);
            }
            return this;
        }

        public Batch removeFdb(long mac) {
            fdb = fdb.remove(mac);
            return this;
        }

        /** The peer node at this IPv4 underlay address (its leases' PublicIP). */
        public Batch putPeer(int underlay) {
            return putPeer(Family.IPV4, Family.ipv4Key(underlay), 0);
        }

        /** The peer node at this underlay address, of either family (a lease's PublicIP or PublicIPv6). */
        public Batch putPeer(Family family, long hi, long lo) {
            if (family == Family.IPV4) {
                if (peers.get(hi >>> 32) == null) {
                    peers = peers.put(new PeerEntry(family, hi, lo));
                }
            } else if (peers6.get(hi, lo) == null) {
                peers6 = peers6.put(new PeerEntry(family, hi, lo));
            }
            return this;
        }

        /** Forgets the peer node at this IPv4 underlay address (when its last lease goes). */
        public Batch removePeer(int underlay) {
            return removePeer(Family.IPV4, Family.ipv4Key(underlay), 0);
        }

        /** Forgets the peer node at this underlay address, of either family. */
        public Batch removePeer(Family family, long hi, long lo) {
            if (family == Family.IPV4) {
                peers = peers.remove(hi >>> 32);
            } else {
                peers6 = peers6.remove(hi, lo);
            }
            return this;
        }

        Snapshot build() {
            LpmTrie<Route> r = routes.trie();
            LpmTrie<Route6> r6 = routes6.trie();
            if (r == from.routes && r6 == from.routes6 && arp == from.arp && nd == from.nd && fdb == from.fdb
                && peers == from.peers && peers6 == from.peers6) {
                return from;
            }
            return new Snapshot(r, r6, arp, nd, fdb, peers, peers6);
        }
    }
}
