package io.muslin.dataplane.table;

import java.util.Arrays;

/**
 * One 8-bit stride of an {@link LpmTrie}, as plain arrays: a node is a {@code long[]} when it
 * has no children, else an {@code Object[]} holding that {@code long[]} at index 0 and its
 * children after it. Immutable once built. The methods here read and build nodes; there are
 * no instances.
 *
 * <pre>
 *   long[] data:
 *   [0..3]  run bitmap      bit s of word s/64 set = slot s starts a run
 *   [4]     ranks | inh     runs before word q in bits 8q..8q+7 (q = 1..3); the inherited
 *                           next-hop id in the high 32 bits
 *   [5..]   entries         one int per run, two per long (run 2k low half, 2k+1 high half):
 *                           a next-hop id (0 = no route) or, negative, -(index of the child)
 *   [..]    own routes      one long per route that ends in this stride, sorted:
 *                           length within the stride (bits 40+) | first slot (32-39) | id (0-31)
 *
 *   slot:     0   1   2 ... 9  10  11 ... 255
 *   value:    A   A   A ... A  [n] B  ...  B        A, B: next-hop ids; [n]: a child
 *   bitmap:   1   0   0 ... 0   1  1  ...  0
 *   entries:  [ A, -1, B ]                          Object[] node: { data, n }
 * </pre>
 * A slot's entry is {@code entries[ranks[q] + popcount(word q up to s) - 1]}: one word load, a
 * shift, one {@link Long#bitCount} (POPCNT), one load from the same array. A node without
 * children is one object, so a lookup that ends in it misses the cache once there, not once for
 * the node, once for its bitmap and once for its entries. Routes are pushed down to the slots
 * they cover (leaf pushing), so a lookup stops at the first entry that is not a child. A child
 * always has a run of its own.
 */
final class LpmNode {
    static final int STRIDE = 8;
    static final int SLOTS = 1 << STRIDE;
    /** Longs before the entries: four bitmap words and the ranks/inherited word. */
    static final int HEADER = 5;
    private static final int META = 4;
    static final long[] NO_ROUTES = {};
    /** An empty root: one run, no route. */
    static final long[] EMPTY = (long[]) build(NO_ROUTES, 0, null, 0);

    private LpmNode() {
    }

    // ---- reader side: what a lookup does ----

    /** The node's data array. */
    static long[] data(Object node) {
        return node instanceof long[] d ? d : (long[]) ((Object[]) node)[0];
    }

    /** The run that holds {@code slot} (0-255): runs started at or before it, minus one. */
    static int run(long[] d, int slot) {
        int q = slot >>> 6;
        // d[q] << ~slot keeps bits 0..(slot & 63) of the word: the runs started up to and including slot.
        return ((int) d[META] >>> (q << 3) & 0xFF) + Long.bitCount(d[q] << ~slot) - 1;
    }

    /** Run {@code i}'s entry: a next-hop id (0: none), or -(child index) when negative. */
    static int entry(long[] d, int i) {
        return (int) (d[HEADER + (i >>> 1)] >>> ((i & 1) << 5));
    }

    // ---- own routes, packed ----

    static long own(int rel, int base, int id) {
        return (long) rel << 40 | (long) base << 32 | (id & 0xFFFF_FFFFL);
    }

    /** The route's length within the stride: 1-8 (0-8 at the root). */
    static int rel(long own) {
        return (int) (own >>> 40);
    }

    /** The first slot the route covers. */
    static int base(long own) {
        return (int) (own >>> 32) & 0xFF;
    }

    static int id(long own) {
        return (int) own;
    }

    /** Slots the route covers. */
    static int span(long own) {
        return 1 << (STRIDE - rel(own));
    }

    /** What own routes are sorted and searched by: (length, first slot), the id left out. */
    static long prefix(long own) {
        return own >>> 32;
    }

    // ---- writer side: everything below builds new nodes, never changes one ----

    /** Bits [8d, 8d+8) of a key: the slot at depth {@code d}. */
    static int slotAt(long hi, long lo, int depth) {
        return depth < 8 ? (int) (hi >>> (56 - 8 * depth)) & 0xFF : (int) (lo >>> (120 - 8 * depth)) & 0xFF;
    }

    /** The depth of the node that owns a prefix of {@code length}. */
    static int ownerDepth(int length) {
        return length == 0 ? 0 : (length - 1) >>> 3;
    }

    static int runs(long[] d) {
        return Long.bitCount(d[0]) + Long.bitCount(d[1]) + Long.bitCount(d[2]) + Long.bitCount(d[3]);
    }

    static boolean starts(long[] d, int slot) {
        return (d[slot >>> 6] & (1L << slot)) != 0;
    }

    /** The id of the route the node inherits from above (0: none). */
    static int inherited(long[] d) {
        return (int) (d[META] >>> 32);
    }

    /** Where the own routes start in the data array. */
    static int ownFrom(long[] d) {
        return HEADER + (runs(d) + 1) / 2;
    }

    /** The own routes (a copy). */
    static long[] ownRoutes(long[] d) {
        return Arrays.copyOfRange(d, ownFrom(d), d.length);
    }

    /** The id of the longest own route covering {@code slot}, else the inherited one. */
    static int bestAt(long[] d, int slot) {
        for (int i = d.length - 1, from = ownFrom(d); i >= from; i--) {
            long o = d[i];
            if (slot >= base(o) && slot < base(o) + span(o)) {
                return id(o);
            }
        }
        return inherited(d);
    }

    /** The child at {@code slot}, or null when the slot holds a next hop. */
    static Object child(Object node, int slot) {
        if (!(node instanceof Object[] w)) {
            return null;
        }
        long[] d = (long[]) w[0];
        int e = entry(d, run(d, slot));
        return e < 0 ? w[-e] : null;
    }

    /** The children by slot, or null when there are none. */
    static Object[] children(Object node) {
        if (!(node instanceof Object[] w)) {
            return null;
        }
        long[] d = (long[]) w[0];
        Object[] kids = new Object[SLOTS];
        int j = -1;
        for (int s = 0; s < SLOTS; s++) {
            if (starts(d, s)) {
                int e = entry(d, ++j);
                if (e < 0) {
                    kids[s] = w[-e];
                }
            }
        }
        return kids;
    }

    /** This node with the child at {@code slot} (which holds a child now) replaced: the same data array. */
    static Object replaceChild(Object node, int slot, Object child) {
        Object[] copy = ((Object[]) node).clone();
        long[] d = (long[]) copy[0];
        copy[-entry(d, run(d, slot))] = child;
        return copy;
    }

    /** This node pushed under a different inherited route: rebuilt (with its subtree) if that changes anything. */
    static Object withInherited(Object node, int inherited, int depth) {
        long[] d = data(node);
        return inherited(d) == inherited ? node : build(ownRoutes(d), inherited, children(node), depth);
    }

    /**
     * A node from its own routes (sorted), the id it inherits and its children by slot (null:
     * none; the array is reused), the children re-pushed where the route above them changed.
     */
    static Object build(long[] own, int inherited, Object[] kids, int depth) {
        int[] ids = new int[SLOTS];
        Arrays.fill(ids, inherited);
        for (long o : own) {
            Arrays.fill(ids, base(o), base(o) + span(o), id(o));
        }
        int nKids = 0;
        if (kids != null) {
            for (int s = 0; s < SLOTS; s++) {
                if (kids[s] != null) {
                    kids[s] = withInherited(kids[s], ids[s], depth + 1);
                    nKids++;
                }
            }
        }
        return encode(ids, nKids == 0 ? null : kids, nKids, inherited, own);
    }

    /** Run-length encodes 256 slots (a child, where there is one, else the id) with the own routes. */
    private static Object encode(int[] ids, Object[] kids, int nKids, int inherited, long[] own) {
        long[] w = new long[4];
        int runs = 0;
        for (int s = 0; s < SLOTS; s++) {
            if (s == 0 || ids[s] != ids[s - 1] || kids != null && (kids[s] != null || kids[s - 1] != null)) {
                w[s >>> 6] |= 1L << s;
                runs++;
            }
        }
        int entriesEnd = HEADER + (runs + 1) / 2;
        long[] d = new long[entriesEnd + own.length];
        System.arraycopy(w, 0, d, 0, 4);
        int c1 = Long.bitCount(w[0]);
        int c2 = c1 + Long.bitCount(w[1]);
        int c3 = c2 + Long.bitCount(w[2]);
        d[META] = (long) inherited << 32 | (c1 << 8 | c2 << 16 | c3 << 24) & 0xFFFF_FFFFL;
        Object[] wrapper = nKids == 0 ? null : new Object[nKids + 1];
        int j = 0;
        int k = 1;
        for (int s = 0; s < SLOTS; s++) {
            if (starts(d, s)) {
                int e = ids[s];
                if (wrapper != null && kids[s] != null) {
                    wrapper[k] = kids[s];
                    e = -k++;
                }
                d[HEADER + (j >>> 1)] |= (e & 0xFFFF_FFFFL) << ((j & 1) << 5);
                j++;
            }
        }
        System.arraycopy(own, 0, d, entriesEnd, own.length);
        if (wrapper == null) {
            return d;
        }
        wrapper[0] = d;
        return wrapper;
    }
}
