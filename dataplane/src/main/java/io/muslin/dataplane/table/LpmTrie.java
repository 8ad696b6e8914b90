package io.muslin.dataplane.table;

import java.util.Arrays;
import java.util.function.Consumer;

/**
 * A persistent longest-prefix-match table for IPv4 or IPv6 (the {@link Family} is a parameter:
 * one trie walks 128-bit keys; IPv4 keys are the first 32 bits).
 *
 * <p>A multibit trie of 8-bit strides (4 levels for IPv4, 16 for IPv6). Each node keeps its
 * 256 slots as runs indexed by popcount, in one {@code long[]} with its bitmap and its own
 * routes ({@link LpmNode}). Routes are pushed down to the slots they cover, as small next-hop
 * ids: a lookup is at most one load-popcount-load per stride, stops at the first slot that
 * holds no child, and returns the shared {@link NextHop} of that id. The walk allocates
 * nothing.
 *
 * <p>Immutable: a {@link Writer} builds new versions that share every node off the changed
 * path (path copying: O(depth x 256) work, not O(table)). A reader holding a trie sees it whole
 * forever. Each route is kept once, packed in a long in the node that owns its prefix; the
 * {@code Route} objects {@link #lookupRoute}, {@link #get} and {@link #forEach} return are made
 * on demand.
 *
 * <p>Cost of leaf pushing: changing a short prefix re-pushes it into the nodes below it that
 * it covers; a default route (/0) added to a full table rebuilds every node. Long prefixes,
 * the usual churn, touch one path.
 *
 * @param <V> the route type ({@link Route} or {@link Route6})
 */
public final class LpmTrie<V extends RouteEntry> {
    /** A directory of no routes: every /8 maps to null. */
    private static final Object[] NO_DIRECTORY = new Object[LpmNode.SLOTS];

    private final Family family;
    /** A {@code long[]} or an {@code Object[]}, see {@link LpmNode}. */
    private final Object root;
    private final int size;
    /** Next hops by id; id 0 is null (no route). */
    private final NextHop[] values;
    /**
     * The first two strides flattened, for lookups: by key bits 0-7, the {@code NextHop} that
     * covers the whole /8 (or null), else a chunk: by bits 8-15, the depth-2 node under that /16,
     * else its {@code NextHop} (or null). Derived from {@link #root}, which keeps the routes.
     */
    private final Object[] directory;

    private LpmTrie(Family family, Object root, int size, NextHop[] values, Object[] directory) {
        this.family = family;
        this.root = root;
        this.size = size;
        this.values = values;
        this.directory = directory;
    }

    public static <V extends RouteEntry> LpmTrie<V> empty(Family family) {
        return new LpmTrie<>(family, LpmNode.EMPTY, 0, NextHopTable.NONE, NO_DIRECTORY);
    }

    public Family family() {
        return family;
    }

    /** Number of routes. */
    public int size() {
        return size;
    }

    /**
     * The next hop of the longest prefix covering the key (left-aligned, see {@link Family}),
     * or null. Wait-free: no lock, no allocation, at most bits/8 strides.
     */
    public NextHop lookup(long hi, long lo) {
        Object t = directory[(int) (hi >>> 56)];
        if (!(t instanceof Object[] chunk)) {
            return (NextHop) t;
        }
        Object n = chunk[(int) (hi >>> 48) & 0xFF];
        if (n == null || n instanceof NextHop) {
            return (NextHop) n;
        }
        hi = (hi << 16) | (lo >>> 48);
        lo <<= 16;
        for (;;) {
            long[] d = n instanceof long[] leaf ? leaf : (long[]) ((Object[]) n)[0];
            int e = LpmNode.entry(d, LpmNode.run(d, (int) (hi >>> 56)));
            if (e >= 0) {
                return values[e];
            }
            n = ((Object[]) n)[-e];
            hi = (hi << 8) | (lo >>> 56);
            lo <<= 8;
        }
    }

    /** {@link #lookup(long, long)} for an IPv4 address. */
    public NextHop lookup(int ipv4) {
        return lookup(Family.ipv4Key(ipv4), 0L);
    }

    /**
     * The longest route covering the key, with its own prefix, or null: the answer
     * {@link #lookup} gives with the prefix that gave it. Walks the same path and searches each
     * node's own routes; makes a new route object (for tools and tests, not the packet path).
     */
    public V lookupRoute(long hi, long lo) {
        Object n = root;
        long pathHi = 0;
        long pathLo = 0;
        int bestDepth = -1;
        long best = 0;
        long bestHi = 0;
        long bestLo = 0;
        for (int depth = 0; n != null; depth++) {
            long[] d = LpmNode.data(n);
            int s = LpmNode.slotAt(hi, lo, depth);
            for (int i = d.length - 1, from = LpmNode.ownFrom(d); i >= from; i--) {
                long o = d[i];
                if (s >= LpmNode.base(o) && s < LpmNode.base(o) + LpmNode.span(o)) {
                    bestDepth = depth;
                    best = o;
                    bestHi = pathHi;
                    bestLo = pathLo;
                    break;
                }
            }
            n = LpmNode.child(n, s);
            pathHi = withSlot(pathHi, depth, s, true);
            pathLo = withSlot(pathLo, depth, s, false);
        }
        return bestDepth < 0 ? null : route(bestHi, bestLo, bestDepth, best);
    }

    /** {@link #lookupRoute(long, long)} for an IPv4 address. */
    public V lookupRoute(int ipv4) {
        return lookupRoute(Family.ipv4Key(ipv4), 0L);
    }

    /** The route with exactly this prefix, or null. */
    @SuppressWarnings("unchecked")
    public V get(long hi, long lo, int length) {
        family.checkLength(length);
        long o = find(root, hi, lo, length);
        return o < 0 ? null : (V) RouteEntry.of(hi, lo, length, values[LpmNode.id(o)]);
    }

    /** Every route, depth first (shorter prefixes of a stride first). */
    public void forEach(Consumer<? super V> action) {
        forEach(root, 0, 0, 0, action);
    }

    private void forEach(Object n, int depth, long hi, long lo, Consumer<? super V> action) {
        long[] d = LpmNode.data(n);
        for (int i = LpmNode.ownFrom(d); i < d.length; i++) {
            action.accept(route(hi, lo, depth, d[i]));
        }
        if (n instanceof Object[]) {
            Object[] kids = LpmNode.children(n);
            for (int s = 0; s < LpmNode.SLOTS; s++) {
                if (kids[s] != null) {
                    forEach(kids[s], depth + 1, withSlot(hi, depth, s, true), withSlot(lo, depth, s, false), action);
                }
            }
        }
    }

    /** The route an own entry of the node at ({@code hi}, {@code lo}, {@code depth}) stands for. */
    @SuppressWarnings("unchecked")
    private V route(long hi, long lo, int depth, long own) {
        int s = LpmNode.base(own);
        return (V) RouteEntry.of(withSlot(hi, depth, s, true), withSlot(lo, depth, s, false),
            LpmNode.STRIDE * depth + LpmNode.rel(own), values[LpmNode.id(own)]);
    }

    /** One word of a key path with the slot of {@code depth} set to {@code slot}. */
    private static long withSlot(long word, int depth, int slot, boolean high) {
        if (high != depth < 8) {
            return word;
        }
        return word | (long) slot << (high ? 56 - 8 * depth : 120 - 8 * depth);
    }

    /**
     * The trie's own footprint in bytes, from its arrays' lengths, for a 64-bit JVM with
     * compressed oops (16-byte array headers, 8-byte alignment), including the directory, the
     * next-hop table and its {@code NextHop} objects. Nodes shared with older versions count in each.
     */
    public Footprint footprint() {
        long[] acc = new long[4];
        walk(root, n -> {
            long[] d = LpmNode.data(n);
            acc[0]++;
            acc[1] += LpmNode.runs(d);
            acc[2] += d.length - LpmNode.ownFrom(d);
            acc[3] += align(16 + 8L * d.length) + (n instanceof Object[] w ? align(16 + 4L * w.length) : 0);
        });
        long directoryBytes = align(16 + 4L * LpmNode.SLOTS);
        for (Object t : directory) {
            directoryBytes += t instanceof Object[] ? align(16 + 4L * LpmNode.SLOTS) : 0;
        }
        long hops = 0;
        for (NextHop h : values) {
            hops += h == null ? 0 : 40;
        }
        return new Footprint(acc[0], acc[1], acc[2], acc[3] + directoryBytes + align(16 + 4L * values.length) + hops);
    }

    /** Length of the next-hop table: ids handed out, in use or free (for tests). */
    int nextHopSlots() {
        return values.length;
    }

    /** What {@link #footprint()} counts. */
    public record Footprint(long nodes, long runs, long routes, long bytes) {
    }

    private static long align(long bytes) {
        return (bytes + 7) & ~7L;
    }

    private static void walk(Object n, Consumer<Object> visit) {
        visit.accept(n);
        if (n instanceof Object[] w) {
            for (int i = 1; i < w.length; i++) {
                walk(w[i], visit);
            }
        }
    }

    /** A writer that edits this version; O(routes) to set up (it counts the next hops' uses). */
    public Writer<V> writer() {
        int[] uses = new int[values.length];
        walk(root, n -> {
            long[] d = LpmNode.data(n);
            for (int i = LpmNode.ownFrom(d); i < d.length; i++) {
                uses[LpmNode.id(d[i])]++;
            }
        });
        return new Writer<>(this, new NextHopTable(family, values, uses));
    }

    /** The directory entry for key bits 0-7 ({@code top}), made from the first two strides. */
    private static Object directoryEntry(Object root, int top, NextHop[] values) {
        Object level1 = LpmNode.child(root, top);
        if (level1 == null) {
            long[] d = LpmNode.data(root);
            return values[LpmNode.entry(d, LpmNode.run(d, top))];
        }
        long[] d = LpmNode.data(level1);
        Object[] kids = level1 instanceof Object[] w ? w : null;
        Object[] chunk = new Object[LpmNode.SLOTS];
        Object entry = null;
        for (int s = 0, run = 0; s < LpmNode.SLOTS; s++) {
            if (LpmNode.starts(d, s)) {
                int e = LpmNode.entry(d, run++);
                entry = e < 0 ? kids[-e] : values[e];
            }
            chunk[s] = entry;
        }
        return chunk;
    }

    /**
     * Checks the structure's invariants (for tests): pushed ids, inherited ids, canonical runs,
     * children only in {@code Object[]} nodes, no empty nodes, sorted own routes, every id
     * resolving to a next hop, the directory made from the current nodes and next hops.
     */
    void check() {
        check(root, 0, 0);
        for (int top = 0; top < LpmNode.SLOTS; top++) {
            Object expected = directoryEntry(root, top, values);
            Object actual = directory[top];
            boolean same = expected instanceof Object[] e
                ? actual instanceof Object[] a && Arrays.equals(e, a, (x, y) -> x == y ? 0 : 1) : expected == actual;
            if (!same) {
                throw new IllegalStateException("directory entry " + top + " is stale");
            }
        }
    }

    private void check(Object n, int inherited, int depth) {
        long[] d = LpmNode.data(n);
        String at = "depth " + depth;
        if (LpmNode.inherited(d) != inherited) {
            throw new IllegalStateException(at + ": inherited " + LpmNode.inherited(d) + ", expected " + inherited);
        }
        int from = LpmNode.ownFrom(d);
        if (depth > 0 && from == d.length && !(n instanceof Object[])) {
            throw new IllegalStateException("empty node at " + at);
        }
        if (n instanceof Object[] w && (w.length < 2 || !(w[0] instanceof long[]))) {
            throw new IllegalStateException(at + ": malformed node with children");
        }
        for (int i = from; i < d.length; i++) {
            long o = d[i];
            int rel = LpmNode.rel(o);
            if (rel < (depth == 0 ? 0 : 1) || rel > LpmNode.STRIDE || LpmNode.base(o) % LpmNode.span(o) != 0
                || values[LpmNode.id(o)] == null) {
                throw new IllegalStateException(at + ": bad own route " + Long.toHexString(o));
            }
            if (i > from && LpmNode.prefix(d[i - 1]) >= LpmNode.prefix(o)) {
                throw new IllegalStateException(at + ": own routes out of order");
            }
        }
        int kids = 0;
        int run = -1;
        int previous = 0;
        for (int s = 0; s < LpmNode.SLOTS; s++) {
            int e = LpmNode.entry(d, LpmNode.run(d, s));
            boolean child = e < 0;
            if (LpmNode.starts(d, s)) {
                run++;
                if (s > 0 && !child && previous == e) {
                    throw new IllegalStateException(at + " slot " + s + ": run not maximal");
                }
            } else if (child) {
                throw new IllegalStateException(at + " slot " + s + ": child spans several slots");
            }
            previous = e;
            int best = LpmNode.bestAt(d, s);
            if (child) {
                kids++;
                if (-e != kids) {
                    throw new IllegalStateException(at + " slot " + s + ": child index " + -e + ", expected " + kids);
                }
                check(((Object[]) n)[-e], best, depth + 1);
            } else if (e != best || e != 0 && values[e] == null) {
                throw new IllegalStateException(at + " slot " + s + ": id " + e + ", expected " + best);
            }
        }
        if (run + 1 != LpmNode.runs(d) || (n instanceof Object[] w ? w.length - 1 : 0) != kids) {
            throw new IllegalStateException(at + ": " + kids + " children, node holds " + LpmNode.runs(d) + " runs");
        }
    }

    /** The own entry of the route with exactly this prefix, or -1. */
    private static long find(Object n, long hi, long lo, int length) {
        int owner = LpmNode.ownerDepth(length);
        for (int depth = 0; depth < owner; depth++) {
            n = LpmNode.child(n, LpmNode.slotAt(hi, lo, depth));
            if (n == null) {
                return -1;
            }
        }
        long[] d = LpmNode.data(n);
        int rel = length - LpmNode.STRIDE * owner;
        int i = indexOf(d, LpmNode.prefix(LpmNode.own(rel, LpmNode.slotAt(hi, lo, owner), 0)));
        return i < 0 ? -1 : d[i];
    }

    /** Binary search of the own routes by (length, slot): the array index, or -(insertion point) - 1. */
    private static int indexOf(long[] d, long prefix) {
        int low = LpmNode.ownFrom(d);
        int high = d.length - 1;
        while (low <= high) {
            int mid = (low + high) >>> 1;
            long p = LpmNode.prefix(d[mid]);
            if (p < prefix) {
                low = mid + 1;
            } else if (p > prefix) {
                high = mid - 1;
            } else {
                return mid;
            }
        }
        return -(low + 1);
    }

    /**
     * Edits a route table: each {@link #put} or {@link #remove} makes a new root by path copying,
     * {@link #trie()} hands out the current version to publish. Interns next hops
     * ({@link NextHopTable}). One thread at a time; the versions it hands out are immutable and
     * safe to share once published (say through a volatile field).
     *
     * @param <V> the route type
     */
    public static final class Writer<V extends RouteEntry> {
        private final Family family;
        private final NextHopTable nextHops;
        private Object root;
        private int size;
        private Object[] directory;
        /** Directory entries to make again before the next version is handed out: bit t of word t / 64. */
        private final long[] stale = new long[4];
        /** The version {@link #trie()} returned last, while nothing has changed since; else null. */
        private LpmTrie<V> built;

        private Writer(LpmTrie<V> from, NextHopTable nextHops) {
            this.family = from.family;
            this.nextHops = nextHops;
            this.root = from.root;
            this.size = from.size;
            this.directory = from.directory;
            this.built = from;
        }

        /** Adds {@code route}, or replaces the route with the same prefix; nothing if it is there already. */
        public Writer<V> put(V route) {
            long hi = route.keyHi();
            long lo = route.keyLo();
            int length = route.length();
            family.checkHostBits(hi, lo, length);
            long old = find(root, hi, lo, length);
            int id = nextHops.intern(route.nextHopHi(), route.nextHopLo(), route.flags());
            if (old >= 0 && LpmNode.id(old) == id) {
                nextHops.release(id);
                return this;
            }
            int owner = LpmNode.ownerDepth(length);
            long own = LpmNode.own(length - LpmNode.STRIDE * owner, LpmNode.slotAt(hi, lo, owner), id);
            root = insert(root, 0, 0, owner, hi, lo, own);
            changed(hi, length);
            if (old >= 0) {
                nextHops.release(LpmNode.id(old));
            } else {
                size++;
            }
            built = null;
            return this;
        }

        /** Removes the route to this prefix; nothing if there is none (idempotent). */
        public Writer<V> remove(long hi, long lo, int length) {
            family.checkHostBits(hi, lo, length);
            long old = find(root, hi, lo, length);
            if (old < 0) {
                return this;
            }
            root = delete(root, 0, LpmNode.ownerDepth(length), hi, lo, length);
            changed(hi, length);
            size--;
            nextHops.release(LpmNode.id(old));
            built = null;
            return this;
        }

        /**
         * The current version: the same object as last time if nothing changed since. Makes the
         * directory entries the edits since then touched (one chunk for a prefix of /8 or longer).
         */
        public LpmTrie<V> trie() {
            if (built == null) {
                NextHop[] values = nextHops.publish();
                directory = directory.clone();
                for (int q = 0; q < 4; q++) {
                    for (long bits = stale[q]; bits != 0; bits &= bits - 1) {
                        int top = q << 6 | Long.numberOfTrailingZeros(bits);
                        directory[top] = directoryEntry(root, top, values);
                    }
                    stale[q] = 0;
                }
                built = new LpmTrie<>(family, root, size, values, directory);
            }
            return built;
        }

        /** Marks the directory entries under a changed prefix stale. */
        private void changed(long hi, int length) {
            int first = (int) (hi >>> 56);
            int count = length >= LpmNode.STRIDE ? 1 : 1 << (LpmNode.STRIDE - length);
            for (int top = first; top < first + count; top++) {
                stale[top >>> 6] |= 1L << top;
            }
        }

        /** True if {@code version} is this writer's current version (nothing changed since it was handed out). */
        public boolean isAt(LpmTrie<V> version) {
            return built == version;
        }

        /** Distinct next hops in use (for tests). */
        int nextHops() {
            return nextHops.size();
        }

        /** Uses of next-hop id {@code id} (for tests). */
        int uses(int id) {
            return nextHops.uses(id);
        }

        private static Object insert(Object node, int inherited, int depth, int owner, long hi, long lo, long own) {
            if (node == null) {
                node = LpmNode.build(LpmNode.NO_ROUTES, inherited, null, depth);
            }
            long[] d = LpmNode.data(node);
            if (depth == owner) {
                return LpmNode.build(withOwn(d, own), inherited, LpmNode.children(node), depth);
            }
            int s = LpmNode.slotAt(hi, lo, depth);
            Object child = LpmNode.child(node, s);
            Object updated = insert(child, LpmNode.bestAt(d, s), depth + 1, owner, hi, lo, own);
            if (child != null) {
                return LpmNode.replaceChild(node, s, updated);
            }
            Object[] kids = node instanceof Object[] ? LpmNode.children(node) : new Object[LpmNode.SLOTS];
            kids[s] = updated;
            return LpmNode.build(LpmNode.ownRoutes(d), inherited, kids, depth);
        }

        /** The node without the route (which is there); null if the node is left empty. */
        private static Object delete(Object node, int depth, int owner, long hi, long lo, int length) {
            long[] d = LpmNode.data(node);
            if (depth == owner) {
                int rel = length - LpmNode.STRIDE * owner;
                int i = indexOf(d, LpmNode.prefix(LpmNode.own(rel, LpmNode.slotAt(hi, lo, owner), 0)));
                long[] own = LpmNode.ownRoutes(d);
                int at = i - LpmNode.ownFrom(d);
                long[] left = new long[own.length - 1];
                System.arraycopy(own, 0, left, 0, at);
                System.arraycopy(own, at + 1, left, at, left.length - at);
                if (left.length == 0 && !(node instanceof Object[]) && depth > 0) {
                    return null;
                }
                return LpmNode.build(left, LpmNode.inherited(d), LpmNode.children(node), depth);
            }
            int s = LpmNode.slotAt(hi, lo, depth);
            Object child = LpmNode.child(node, s);
            Object updated = delete(child, depth + 1, owner, hi, lo, length);
            if (updated != null) {
                return LpmNode.replaceChild(node, s, updated);
            }
            Object[] kids = LpmNode.children(node);
            kids[s] = null;
            long[] own = LpmNode.ownRoutes(d);
            if (depth > 0 && own.length == 0 && Arrays.stream(kids).allMatch(k -> k == null)) {
                return null;
            }
            return LpmNode.build(own, LpmNode.inherited(d), kids, depth);
        }

        /** The own routes with {@code own} in its sorted place, replacing a route with the same prefix. */
        private static long[] withOwn(long[] d, long own) {
            int from = LpmNode.ownFrom(d);
            int i = indexOf(d, LpmNode.prefix(own));
            long[] routes = LpmNode.ownRoutes(d);
            if (i >= 0) {
                routes[i - from] = own;
                return routes;
            }
            int at = -i - 1 - from;
            long[] grown = new long[routes.length + 1];
            System.arraycopy(routes, 0, grown, 0, at);
            grown[at] = own;
            System.arraycopy(routes, at, grown, at + 1, routes.length - at);
            return grown;
        }
    }
}
