package io.muslin.dataplane.table;

import java.util.Arrays;

/**
 * One 8-bit stride of an {@link LpmTrie}: 256 slots stored as runs. Immutable once built.
 *
 * <pre>
 *   slot:     0   1   2 ... 9  10  11 ... 255
 *   value:    A   A   A ... A  [n] B  ...  B        A, B: routes (or null); [n]: a child node
 *   words:    1   0   0 ... 0   1  1  ...  0        bit s set = slot s starts a run
 *   entries:  [ A, n, B ]                           one per run, in slot order
 * </pre>
 * A slot's entry is {@code entries[popcount(bits 0..s) - 1]}: one word load, a shift, one
 * {@link Long#bitCount} (POPCNT) and one array load. Routes are pushed down to the slots they
 * cover (leaf pushing), so a lookup stops at the first entry that is not a node: no
 * backtracking. A child always has a run of its own.
 */
final class LpmNode {
    static final int STRIDE = 8;
    static final int SLOTS = 1 << STRIDE;
    static final RouteEntry[] NO_ROUTES = {};
    /** An empty root: one run, no route. */
    static final LpmNode EMPTY = empty(null);

    /**
     * Four words: bit s of word s / 64 set = slot s starts a run. An array, not four fields:
     * indexing it is branch-free, and a conditional pick of the word (a random key picks a
     * random one) mispredicted often enough to double the lookup time on a table in cache.
     */
    final long[] words;
    /** Runs started before word q, in bits 8q..8q+7 (q = 1, 2, 3; the byte for q = 0 is 0). */
    final int ranks;
    /** One per run: a child {@code LpmNode}, a route, or null (no route). */
    final Object[] entries;
    /** The longest route of an ancestor that covers this node's whole range (null: none). */
    final RouteEntry inherited;
    /**
     * Routes whose prefix ends in this stride (lengths 8d+1..8d+8 at depth d; 0..8 at the root),
     * shortest first, then by address: the exact table, kept for updates and listing.
     */
    final RouteEntry[] own;

    private LpmNode(long[] w, Object[] entries, RouteEntry inherited, RouteEntry[] own) {
        this.words = w;
        int c1 = Long.bitCount(w[0]);
        int c2 = c1 + Long.bitCount(w[1]);
        int c3 = c2 + Long.bitCount(w[2]);
        this.ranks = c1 << 8 | c2 << 16 | c3 << 24;
        this.entries = entries;
        this.inherited = inherited;
        this.own = own;
    }

    static LpmNode empty(RouteEntry inherited) {
        return new LpmNode(new long[] {1L, 0, 0, 0}, new Object[] {inherited}, inherited, NO_ROUTES);
    }

    /** The entry of {@code slot} (0-255): a child node, a route or null. The lookup's inner step. */
    Object entry(int slot) {
        return entries[index(slot)];
    }

    /**
     * Runs started at or before {@code slot}, minus one.
     */
    int index(int slot) {
        int q = slot >>> 6;
        long w = words[q];
        // w << ~slot keeps bits 0..(slot & 63) of the word: the run starts up to and including slot.
        return ((ranks >>> (q << 3)) & 0xFF) + Long.bitCount(w << ~slot) - 1;
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

    /** The longest own route covering {@code slot}, else the inherited one. */
    RouteEntry bestAt(int slot, int depth) {
        for (int i = own.length - 1; i >= 0; i--) {
            RouteEntry e = own[i];
            int span = 1 << (STRIDE - (e.length() - STRIDE * depth));
            int base = slotAt(e.keyHi(), e.keyLo(), depth);
            if (slot >= base && slot < base + span) {
                return e;
            }
        }
        return inherited;
    }

    /** All 256 slots. */
    Object[] expand() {
        Object[] slots = new Object[SLOTS];
        int j = -1;
        for (int s = 0; s < SLOTS; s++) {
            if (starts(s)) {
                j++;
            }
            slots[s] = entries[j];
        }
        return slots;
    }

    private boolean starts(int s) {
        return (words[s >>> 6] & (1L << s)) != 0;
    }

    /** The children by slot, or null when there are none. */
    LpmNode[] children() {
        LpmNode[] kids = null;
        int j = -1;
        for (int s = 0; s < SLOTS; s++) {
            if (starts(s)) {
                j++;
                if (entries[j] instanceof LpmNode c) {
                    if (kids == null) {
                        kids = new LpmNode[SLOTS];
                    }
                    kids[s] = c;
                }
            }
        }
        return kids;
    }

    boolean hasChildren() {
        for (Object e : entries) {
            if (e instanceof LpmNode) {
                return true;
            }
        }
        return false;
    }

    /** This node with the child at {@code slot} (which holds a child now) replaced: same runs. */
    LpmNode replaceChild(int slot, LpmNode child) {
        Object[] copy = entries.clone();
        copy[index(slot)] = child;
        return new LpmNode(words, copy, inherited, own);
    }

    /** This node with a new child at {@code slot} (which holds a route or null now). */
    LpmNode addChild(int slot, LpmNode child) {
        Object[] slots = expand();
        slots[slot] = child;
        return compress(slots, inherited, own);
    }

    /** This node pushed under a different inherited route: rebuilt (with its subtree) if that changes anything. */
    LpmNode withInherited(RouteEntry newInherited, int depth) {
        return newInherited == inherited ? this : build(own, newInherited, children(), depth);
    }

    /** A node from its own routes, the route it inherits and its children (re-pushed as needed). */
    static LpmNode build(RouteEntry[] own, RouteEntry inherited, LpmNode[] kids, int depth) {
        Object[] slots = new Object[SLOTS];
        Arrays.fill(slots, inherited);
        for (RouteEntry e : own) {
            int base = slotAt(e.keyHi(), e.keyLo(), depth);
            Arrays.fill(slots, base, base + (1 << (STRIDE - (e.length() - STRIDE * depth))), e);
        }
        if (kids != null) {
            for (int s = 0; s < SLOTS; s++) {
                if (kids[s] != null) {
                    slots[s] = kids[s].withInherited((RouteEntry) slots[s], depth + 1);
                }
            }
        }
        return compress(slots, inherited, own);
    }

    /** Run-length encodes 256 slots. */
    static LpmNode compress(Object[] slots, RouteEntry inherited, RouteEntry[] own) {
        long[] w = new long[4];
        int runs = 0;
        for (int s = 0; s < SLOTS; s++) {
            if (s == 0 || slots[s] != slots[s - 1]) {
                w[s >>> 6] |= 1L << s;
                runs++;
            }
        }
        Object[] entries = new Object[runs];
        int j = 0;
        for (int s = 0; s < SLOTS; s++) {
            if (s == 0 || slots[s] != slots[s - 1]) {
                entries[j++] = slots[s];
            }
        }
        return new LpmNode(w, entries, inherited, own);
    }
}
