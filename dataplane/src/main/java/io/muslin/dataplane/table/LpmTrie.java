package io.muslin.dataplane.table;

import java.util.Arrays;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.IntFunction;

/**
 * A persistent longest-prefix-match table for IPv4 or IPv6 (the {@link Family} is a parameter:
 * one trie walks 128-bit keys; IPv4 keys are the first 32 bits).
 *
 * <p>A multibit trie of 8-bit strides (4 levels for IPv4, 16 for IPv6). Each node keeps its
 * 256 slots as runs indexed by popcount, in one {@code long[]} with its bitmap and its own
 * routes ({@link LpmNode}). Routes are pushed down to the slots they cover, as small next-hop
 * ids: a lookup stops at the first slot that holds no child and returns the shared
 * {@link NextHop} of that id. The first two strides are also kept flat, as a directory of
 * 256 chunks of 256 nodes (data and children side by side), and the depth-2 nodes of up to 10
 * runs once more inline, 32 bytes per /16 in 256 {@code long[]} chunks (one shared chunk for
 * the /8s where fewer than a quarter of the /16s have such a node of more than one run): a
 * lookup reads its /16's inline form (one line, a SWAR count of the run starts) and in tables
 * of around 100k routes ends there; otherwise it goes on through the directory's pair and does
 * one load-popcount-load per stride from the third on, with no branch on what a node is. The
 * walk allocates nothing.
 *
 * <p>Immutable: a {@link Writer} builds new versions that share every node off the changed
 * path (path copying: O(depth x 256) work, not O(table)) and the directory chunks the changed
 * prefixes fall in. A reader holding a trie sees it whole forever. Each route is kept once, packed
 * in a long in the node that owns its prefix; the {@code Route} objects {@link #lookupRoute},
 * {@link #get} and {@link #forEach} return are made on demand.
 *
 * <p>Cost of leaf pushing: changing a short prefix re-pushes it into the nodes below it that
 * it covers; a default route (/0) added to a full table rebuilds every node and the directory.
 * Long prefixes, the usual churn, touch one path.
 *
 * @param <V> the route type ({@link Route} or {@link Route6})
 */
public final class LpmTrie<V extends RouteEntry> {
    /** A directory of no routes: every /16 leads to a node of one run without a route. */
    private static final Object[][] NO_DIRECTORY = new Object[LpmNode.SLOTS][];
    /** Its inline form: every /16 a one-run node of id 0. */
    private static final long[][] NO_INLINE = new long[LpmNode.SLOTS][];
    /**
     * The inline chunk of a /8 in which fewer than {@value #DENSE} /16s have a node worth keeping
     * inline (one that fits and has more than one run): every /16 out of line, shared, so the
     * lookup's read of it hits the cache. Usual in big tables, where depth-2 nodes have tens of
     * runs, and in small ones, where most /16s lead to the shared one-run node of the id covering
     * them (hot anyway: inline it would save no miss). A chunk of its own there would cost lookups
     * 8 KB of cache to save a miss for a few.
     */
    private static final long[] ALL_OUT_OF_LINE = new long[LpmNode.INLINE * LpmNode.SLOTS];
    /** The /16s of a /8 that must have a node worth keeping inline for it to have an inline chunk of its own (a quarter). */
    private static final int DENSE = LpmNode.SLOTS / 4;

    static {
        Object[] chunk = new Object[2 * LpmNode.SLOTS];
        for (int s = 0; s < LpmNode.SLOTS; s++) {
            chunk[2 * s] = LpmNode.EMPTY.data();
            chunk[2 * s + 1] = LpmNode.NO_KIDS;
        }
        Arrays.fill(NO_DIRECTORY, chunk);
        for (int s = 0; s < LpmNode.SLOTS; s++) {
            ALL_OUT_OF_LINE[LpmNode.INLINE * s] = LpmNode.OUT_OF_LINE;
        }
        Arrays.fill(NO_INLINE, inlineChunk(chunk));
    }

    private final Family family;
    private final LpmNode root;
    private final int size;
    /** Next hops by id; id 0 is null (no route). */
    private final NextHop[] values;
    /**
     * The first two strides flattened, for lookups: by key bits 0-7, a chunk; by bits 8-15, the
     * depth-2 node under that /16 as a pair (data, kids), or a node of one run holding the id
     * that covers the whole /16 (one such node per id, shared). Every /16 leads to a node, so a
     * lookup takes no branch before its third stride. Derived from {@link #root}, which keeps
     * the routes.
     */
    private final Object[][] directory;
    /**
     * The depth-2 nodes again, inline, for lookups: by key bits 0-7, a {@code long[]} of 256 x
     * {@value LpmNode#INLINE} longs; by bits 8-15, the node under that /16 in its inline form
     * ({@link LpmNode#inline}) if it has at most {@value LpmNode#INLINE_RUNS} runs and small ids,
     * else {@link LpmNode#OUT_OF_LINE}; {@link #ALL_OUT_OF_LINE} for a /8 where too few fit.
     * Derived from {@link #directory}.
     */
    private final long[][] inline;

    private LpmTrie(Family family, LpmNode root, int size, NextHop[] values, Object[][] directory, long[][] inline) {
        this.family = family;
        this.root = root;
        this.size = size;
        this.values = values;
        this.directory = directory;
        this.inline = inline;
    }

    public static <V extends RouteEntry> LpmTrie<V> empty(Family family) {
        return new LpmTrie<>(family, LpmNode.EMPTY, 0, NextHopTable.NONE, NO_DIRECTORY, NO_INLINE);
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
     * or null. Wait-free: no lock, no allocation. Two loads to the /16's inline form; if it is
     * there and holds a next hop, that is the answer (one branch, taken the same way by most
     * keys of a table); else the directory's pair and at most bits/8 - 2 strides.
     */
    public NextHop lookup(long hi, long lo) {
        int top = (int) (hi >>> 56);
        int mid = (int) (hi >>> 48) & 0xFF;
        long[] line = inline[top];
        int at = mid * LpmNode.INLINE;
        long starts = line[at];
        if (starts >= 0) { // the /16's node is inline: usually the answer is here
            int e = LpmNode.inlineEntry(line, at, LpmNode.inlineRun(starts, line[at + 1], (int) (hi >>> 40) & 0xFF));
            if (e >= 0) {
                return values[e];
            }
            Object[] kids = (Object[]) directory[top][2 * mid + 1];
            int c = ~e << 1;
            return walk((long[]) kids[c], (Object[]) kids[c + 1], (hi << 24) | (lo >>> 40), lo << 24);
        }
        Object[] chunk = directory[top];
        return walk((long[]) chunk[2 * mid], (Object[]) chunk[2 * mid + 1], (hi << 16) | (lo >>> 48), lo << 16);
    }

    /** The rest of a lookup from node ({@code d}, {@code kids}), the key shifted to its stride. */
    private NextHop walk(long[] d, Object[] kids, long hi, long lo) {
        for (;;) {
            int e = LpmNode.entry(d, LpmNode.run(d, (int) (hi >>> 56)));
            if (e >= 0) {
                return values[e];
            }
            int c = ~e << 1;
            d = (long[]) kids[c];
            kids = (Object[]) kids[c + 1];
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
     * {@link #lookup} gives with the prefix that gave it. Walks the nodes from the root and
     * searches each one's own routes; makes a new route object (for tools and tests, not the
     * packet path).
     */
    public V lookupRoute(long hi, long lo) {
        LpmNode n = root;
        long pathHi = 0;
        long pathLo = 0;
        int bestDepth = -1;
        long best = 0;
        long bestHi = 0;
        long bestLo = 0;
        for (int depth = 0; n != null; depth++) {
            long[] d = n.data();
            int s = LpmNode.slotAt(hi, lo, depth);
            for (int i = d.length - 1, from = n.ownFrom(); i >= from; i--) {
                long o = d[i];
                if (s >= LpmNode.base(o) && s < LpmNode.base(o) + LpmNode.span(o)) {
                    bestDepth = depth;
                    best = o;
                    bestHi = pathHi;
                    bestLo = pathLo;
                    break;
                }
            }
            n = n.child(s);
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

    private void forEach(LpmNode n, int depth, long hi, long lo, Consumer<? super V> action) {
        long[] d = n.data();
        for (int i = n.ownFrom(); i < d.length; i++) {
            action.accept(route(hi, lo, depth, d[i]));
        }
        LpmNode[] kids = n.children();
        for (int s = 0; kids != null && s < LpmNode.SLOTS; s++) {
            if (kids[s] != null) {
                forEach(kids[s], depth + 1, withSlot(hi, depth, s, true), withSlot(lo, depth, s, false), action);
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
     * compressed oops (16-byte array headers, 8-byte alignment): nodes, the directory with its
     * shared one-run nodes, the next-hop table and its {@code NextHop} objects. Nodes shared with
     * older versions count in each.
     */
    public Footprint footprint() {
        long[] acc = new long[4];
        Set<Object> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        walk(root, n -> {
            acc[0]++;
            acc[1] += n.runs();
            acc[2] += n.data().length - n.ownFrom();
            acc[3] += arrayBytes(8, n.data().length) + (n.hasKids() ? arrayBytes(4, n.kids().length) : 0);
            seen.add(n.data());
        });
        long bytes = acc[3] + 2 * arrayBytes(4, directory.length) + arrayBytes(4, values.length);
        for (long[] line : inline) {
            bytes += seen.add(line) ? arrayBytes(8, line.length) : 0;
        }
        for (Object[] chunk : directory) {
            if (seen.add(chunk)) {
                bytes += arrayBytes(4, chunk.length);
                for (int s = 0; s < chunk.length; s += 2) {
                    bytes += seen.add(chunk[s]) ? arrayBytes(8, ((long[]) chunk[s]).length) : 0;
                }
            }
        }
        for (NextHop h : values) {
            bytes += h == null ? 0 : 40;
        }
        return new Footprint(acc[0], acc[1], acc[2], bytes);
    }

    /** What {@link #footprint()} counts. */
    public record Footprint(long nodes, long runs, long routes, long bytes) {
    }

    /** The /16s of the /8 {@code top} whose node is kept inline, one-run nodes included (for tests). */
    int inlineSlash16s(int top) {
        int n = 0;
        for (int at = 0; at < inline[top].length; at += LpmNode.INLINE) {
            n += inline[top][at] != LpmNode.OUT_OF_LINE ? 1 : 0;
        }
        return n;
    }

    /** Length of the next-hop table: ids handed out, in use or free (for tests). */
    int nextHopSlots() {
        return values.length;
    }

    private static long arrayBytes(int element, long length) {
        return (16 + element * length + 7) & ~7L;
    }

    private static void walk(LpmNode n, Consumer<LpmNode> visit) {
        visit.accept(n);
        for (int c = 0; c < n.kids().length / 2; c++) {
            walk(n.kid(c), visit);
        }
    }

    /** A writer that edits this version; O(routes) to set up (it counts the next hops' uses). */
    public Writer<V> writer() {
        int[] uses = new int[values.length];
        walk(root, n -> {
            long[] d = n.data();
            for (int i = n.ownFrom(); i < d.length; i++) {
                uses[LpmNode.id(d[i])]++;
            }
        });
        return new Writer<>(this, new NextHopTable(family, values, uses));
    }

    /**
     * The directory chunk for key bits 0-7 ({@code top}), made from the first two strides;
     * {@code leaf} gives the shared one-run node of an id.
     */
    private static Object[] directoryChunk(LpmNode root, int top, IntFunction<long[]> leaf) {
        Object[] chunk = new Object[2 * LpmNode.SLOTS];
        LpmNode level1 = root.child(top);
        Object data = null;
        Object kids = null;
        for (int s = 0, run = 0; s < LpmNode.SLOTS; s++) {
            if (level1 == null) {
                if (s == 0) {
                    data = leaf.apply(root.entryAt(top));
                    kids = LpmNode.NO_KIDS;
                }
            } else if (level1.starts(s)) {
                int e = LpmNode.entry(level1.data(), run++);
                data = e < 0 ? level1.kids()[2 * ~e] : leaf.apply(e);
                kids = e < 0 ? level1.kids()[2 * ~e + 1] : LpmNode.NO_KIDS;
            }
            chunk[2 * s] = data;
            chunk[2 * s + 1] = kids;
        }
        return chunk;
    }

    /**
     * The inline form of a directory chunk ({@link LpmNode#inline} of each /16's node), or the
     * shared {@link #ALL_OUT_OF_LINE} when fewer than {@value #DENSE} nodes in it are worth it.
     */
    private static long[] inlineChunk(Object[] chunk) {
        int small = 0; // nodes of 2 to 10 runs, from their bitmaps: at least those worth it
        for (int s = 0; s < LpmNode.SLOTS; s++) {
            int runs = LpmNode.runs((long[]) chunk[2 * s]);
            small += runs > 1 && runs <= LpmNode.INLINE_RUNS ? 1 : 0;
        }
        if (small < DENSE) {
            return ALL_OUT_OF_LINE;
        }
        long[] line = new long[LpmNode.INLINE * LpmNode.SLOTS];
        for (int s = 0; s < LpmNode.SLOTS; s++) {
            LpmNode.inline((long[]) chunk[2 * s], line, LpmNode.INLINE * s);
        }
        return shared(line);
    }

    /**
     * {@link #ALL_OUT_OF_LINE} if fewer than {@value #DENSE} /16s in {@code line} have a node of
     * more than one run inline (a first word above 0: out of line is negative, one run is 0),
     * else {@code line}.
     */
    private static long[] shared(long[] line) {
        int worth = 0;
        for (int at = 0; at < line.length && worth < DENSE; at += LpmNode.INLINE) {
            worth += line[at] > 0 ? 1 : 0;
        }
        return worth < DENSE ? ALL_OUT_OF_LINE : line;
    }

    /** The one-run node that holds {@code id} (and inherits it). */
    private static long[] leafOf(int id) {
        return LpmNode.build(LpmNode.NO_ROUTES, id, null, 2).data();
    }

    /**
     * Checks the structure's invariants (for tests): pushed ids, inherited ids, canonical runs,
     * no empty nodes, sorted own routes, every id resolving to a next hop, the directory made
     * from the current nodes and next hops.
     */
    void check() {
        check(root, 0, 0);
        for (int top = 0; top < LpmNode.SLOTS; top++) {
            Object[] expected = directoryChunk(root, top, LpmTrie::leafOf);
            Object[] actual = directory[top];
            for (int i = 0; i < expected.length; i++) {
                Object e = expected[i];
                Object a = actual[i];
                if (e != a && !(e instanceof long[] leaf && a instanceof long[] d && Arrays.equals(leaf, d))) {
                    throw new IllegalStateException("directory entry " + top + "." + i / 2 + " is stale");
                }
            }
            if (!Arrays.equals(inlineChunk(actual), inline[top])) {
                throw new IllegalStateException("inline directory chunk " + top + " is stale");
            }
            for (int s = 0; s < LpmNode.SLOTS; s++) {
                checkInline((long[]) actual[2 * s], inline[top], LpmNode.INLINE * s, top + "." + s, inline[top] == ALL_OUT_OF_LINE);
            }
        }
    }

    /**
     * The inline form at {@code at} answers as node {@code d} for every slot (when it is there),
     * and it is there when the node fits (at most {@value LpmNode#INLINE_RUNS} runs, ids of 16
     * bits) unless the whole chunk is {@code sparse} (shared, every /16 out of line).
     */
    private static void checkInline(long[] d, long[] line, int at, String where, boolean sparse) {
        LpmNode n = new LpmNode(d, LpmNode.NO_KIDS);
        boolean fits = n.runs() <= LpmNode.INLINE_RUNS;
        for (int i = 0; fits && i < n.runs(); i++) {
            fits = LpmNode.entry(d, i) <= Short.MAX_VALUE;
        }
        fits &= !sparse;
        long starts = line[at];
        boolean zeros = true;
        for (int k = 1; k < LpmNode.INLINE; k++) {
            zeros &= line[at + k] == 0;
        }
        if (fits != (starts >= 0) || !fits && (starts != LpmNode.OUT_OF_LINE || !zeros)) {
            throw new IllegalStateException("/16 " + where + ": inline form " + Long.toHexString(starts) + ", node fits: " + fits);
        }
        for (int s = 0; fits && s < LpmNode.SLOTS; s++) {
            int run = LpmNode.inlineRun(starts, line[at + 1], s);
            if (run != LpmNode.run(d, s) || LpmNode.inlineEntry(line, at, run) != n.entryAt(s)) {
                throw new IllegalStateException("/16 " + where + " slot " + s + ": inline run " + run + ", node run " + LpmNode.run(d, s));
            }
        }
    }

    private void check(LpmNode n, int inherited, int depth) {
        long[] d = n.data();
        String at = "depth " + depth;
        if (n.inherited() != inherited) {
            throw new IllegalStateException(at + ": inherited " + n.inherited() + ", expected " + inherited);
        }
        int from = n.ownFrom();
        if (depth > 0 && from == d.length && !n.hasKids()) {
            throw new IllegalStateException("empty node at " + at);
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
            int e = n.entryAt(s);
            boolean child = e < 0;
            if (n.starts(s)) {
                run++;
                if (s > 0 && !child && previous == e) {
                    throw new IllegalStateException(at + " slot " + s + ": run not maximal");
                }
            } else if (child) {
                throw new IllegalStateException(at + " slot " + s + ": child spans several slots");
            }
            previous = e;
            int best = n.bestAt(s);
            if (child) {
                if (~e != kids++) {
                    throw new IllegalStateException(at + " slot " + s + ": child " + ~e + ", expected " + (kids - 1));
                }
                check(n.kid(~e), best, depth + 1);
            } else if (e != best || e != 0 && values[e] == null) {
                throw new IllegalStateException(at + " slot " + s + ": id " + e + ", expected " + best);
            }
        }
        if (run + 1 != n.runs() || n.kids().length != 2 * kids) {
            throw new IllegalStateException(at + ": " + kids + " children, node holds " + n.kids().length / 2);
        }
    }

    /** The own entry of the route with exactly this prefix, or -1. */
    private static long find(LpmNode n, long hi, long lo, int length) {
        int owner = LpmNode.ownerDepth(length);
        for (int depth = 0; depth < owner; depth++) {
            n = n.child(LpmNode.slotAt(hi, lo, depth));
            if (n == null) {
                return -1;
            }
        }
        int rel = length - LpmNode.STRIDE * owner;
        int i = indexOf(n, LpmNode.prefix(LpmNode.own(rel, LpmNode.slotAt(hi, lo, owner), 0)));
        return i < 0 ? -1 : n.data()[i];
    }

    /** Binary search of the own routes by (length, slot): the data index, or -(insertion point) - 1. */
    private static int indexOf(LpmNode n, long prefix) {
        long[] d = n.data();
        int low = n.ownFrom();
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
        private static final int STALE_SLOTS = 64;
        private final Family family;
        private final NextHopTable nextHops;
        private LpmNode root;
        private int size;
        private Object[][] directory;
        private long[][] inline;
        /** The shared one-run node of each id, for the directory (made on first use). */
        private long[][] leaves = new long[16][];
        /** Directory chunks to make again before the next version is handed out: bit t of word t / 64. */
        private final long[] stale = new long[4];
        /**
         * /16s (key bits 0-15) whose depth-2 node changed since then, in chunks not stale as a
         * whole; past {@value #STALE_SLOTS}, a batch makes whole chunks again instead.
         */
        private final int[] staleSlots = new int[STALE_SLOTS];
        private int staleSlotCount;
        /**
         * Scratch for {@link #trie()}: chunks copied in this batch (inline chunks: emptied again
         * as each is settled), and one /16's inline form.
         */
        private final Object[][] copied = new Object[LpmNode.SLOTS][];
        private final long[][] copiedLines = new long[LpmNode.SLOTS][];
        /** Inline chunks to make in full (/8s that share {@link #ALL_OUT_OF_LINE} and may no longer): bit t of word t / 64. */
        private final long[] remake = new long[4];
        private final long[] form = new long[LpmNode.INLINE];
        /** The version {@link #trie()} returned last, while nothing has changed since; else null. */
        private LpmTrie<V> built;

        private Writer(LpmTrie<V> from, NextHopTable nextHops) {
            this.family = from.family;
            this.nextHops = nextHops;
            this.root = from.root;
            this.size = from.size;
            this.directory = from.directory;
            this.inline = from.inline;
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
         * directory chunks the edits since then touched (one for a prefix of /8 or longer).
         */
        public LpmTrie<V> trie() {
            if (built == null) {
                Arrays.fill(copied, null);
                directory = directory.clone();
                inline = inline.clone();
                for (int q = 0; q < 4; q++) {
                    for (long bits = stale[q]; bits != 0; bits &= bits - 1) {
                        int top = q << 6 | Long.numberOfTrailingZeros(bits);
                        directory[top] = directoryChunk(root, top, this::leaf);
                        inline[top] = inlineChunk(directory[top]);
                    }
                }
                for (int i = 0; i < staleSlotCount; i++) {
                    int top = staleSlots[i] >>> 8;
                    int slot = staleSlots[i] & 0xFF;
                    if ((stale[top >>> 6] & (1L << top)) == 0) {
                        if (copied[top] == null) {
                            copied[top] = directory[top].clone();
                            directory[top] = copied[top];
                        }
                        setPair(copied[top], root.child(top), slot);
                        // the inline chunk is copied only if the node's inline form changed (not when
                        // only its children did, nor when it stays out of line)
                        LpmNode.inline((long[]) copied[top][2 * slot], form, 0);
                        int at = LpmNode.INLINE * slot;
                        if (inline[top] == ALL_OUT_OF_LINE) {
                            // a /8 below the threshold: only a node worth keeping inline can lift it
                            // over, and then the chunk is made in full (it lacks the others)
                            remake[top >>> 6] |= form[0] > 0 ? 1L << top : 0;
                        } else if (!Arrays.equals(form, 0, LpmNode.INLINE, inline[top], at, at + LpmNode.INLINE)) {
                            if (copiedLines[top] == null) {
                                copiedLines[top] = inline[top].clone();
                                inline[top] = copiedLines[top];
                            }
                            System.arraycopy(form, 0, inline[top], at, LpmNode.INLINE);
                        }
                    }
                }
                for (int i = 0; i < staleSlotCount; i++) {
                    int top = staleSlots[i] >>> 8;
                    if (copiedLines[top] != null) {
                        inline[top] = shared(inline[top]);
                        copiedLines[top] = null;
                    }
                }
                for (int q = 0; q < 4; q++) {
                    for (long bits = remake[q]; bits != 0; bits &= bits - 1) {
                        int top = q << 6 | Long.numberOfTrailingZeros(bits);
                        inline[top] = inlineChunk(directory[top]);
                    }
                }
                Arrays.fill(stale, 0);
                Arrays.fill(remake, 0);
                staleSlotCount = 0;
                built = new LpmTrie<>(family, root, size, nextHops.publish(), directory, inline);
            }
            return built;
        }

        /** True if {@code version} is this writer's current version (nothing changed since it was handed out). */
        public boolean isAt(LpmTrie<V> version) {
            return built == version;
        }

        /** Distinct next hops in use (for tests). */
        int nextHops() {
            return nextHops.size();
        }

        private long[] leaf(int id) {
            if (id >= leaves.length) {
                leaves = Arrays.copyOf(leaves, Math.max(id + 1, leaves.length * 2));
            }
            if (leaves[id] == null) {
                leaves[id] = leafOf(id);
            }
            return leaves[id];
        }

        /** Sets the pair of {@code slot} in a chunk from the first-stride node ({@code level1}, not null). */
        private void setPair(Object[] chunk, LpmNode level1, int slot) {
            int e = level1.entryAt(slot);
            chunk[2 * slot] = e < 0 ? level1.kids()[2 * ~e] : leaf(e);
            chunk[2 * slot + 1] = e < 0 ? level1.kids()[2 * ~e + 1] : LpmNode.NO_KIDS;
        }

        /** Marks what a changed prefix makes stale in the directory: one /16 or one or more chunks. */
        private void changed(long hi, int length) {
            int first = (int) (hi >>> 56);
            if (length > 2 * LpmNode.STRIDE && staleSlotCount < STALE_SLOTS && root.child(first) != null) {
                staleSlots[staleSlotCount++] = (int) (hi >>> 48);
                return;
            }
            int count = length >= LpmNode.STRIDE ? 1 : 1 << (LpmNode.STRIDE - length);
            for (int top = first; top < first + count; top++) {
                stale[top >>> 6] |= 1L << top;
            }
        }

        private static LpmNode insert(LpmNode node, int inherited, int depth, int owner, long hi, long lo, long own) {
            if (node == null) {
                node = LpmNode.build(LpmNode.NO_ROUTES, inherited, null, depth);
            }
            if (depth == owner) {
                return LpmNode.build(withOwn(node, own), inherited, node.children(), depth);
            }
            int s = LpmNode.slotAt(hi, lo, depth);
            LpmNode child = node.child(s);
            LpmNode updated = insert(child, node.bestAt(s), depth + 1, owner, hi, lo, own);
            if (child != null) {
                return node.replaceChild(s, updated);
            }
            return node.withChild(s, updated);
        }

        /** The node without the route (which is there); null if the node is left empty. */
        private static LpmNode delete(LpmNode node, int depth, int owner, long hi, long lo, int length) {
            if (depth == owner) {
                int rel = length - LpmNode.STRIDE * owner;
                int at = indexOf(node, LpmNode.prefix(LpmNode.own(rel, LpmNode.slotAt(hi, lo, owner), 0))) - node.ownFrom();
                long[] own = node.ownRoutes();
                long[] left = new long[own.length - 1];
                System.arraycopy(own, 0, left, 0, at);
                System.arraycopy(own, at + 1, left, at, left.length - at);
                if (left.length == 0 && !node.hasKids() && depth > 0) {
                    return null;
                }
                return LpmNode.build(left, node.inherited(), node.children(), depth);
            }
            int s = LpmNode.slotAt(hi, lo, depth);
            LpmNode updated = delete(node.child(s), depth + 1, owner, hi, lo, length);
            if (updated != null) {
                return node.replaceChild(s, updated);
            }
            if (depth > 0 && node.ownFrom() == node.data().length && node.kids().length == 2) {
                return null;
            }
            return node.withChild(s, null);
        }

        /** The own routes with {@code own} in its sorted place, replacing a route with the same prefix. */
        private static long[] withOwn(LpmNode node, long own) {
            int from = node.ownFrom();
            int i = indexOf(node, LpmNode.prefix(own));
            long[] routes = node.ownRoutes();
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
