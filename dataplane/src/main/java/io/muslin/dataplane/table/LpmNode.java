package io.muslin.dataplane.table;

import java.util.Arrays;

/**
 * One 8-bit stride of an {@link LpmTrie}: a {@code long[]} with the node's runs and own
 * routes, and an {@code Object[]} with its children. The trie stores the two arrays, not this
 * record: a parent keeps each child as a pair of slots in its children array, so a lookup
 * loads a child's two arrays side by side from the parent's, without a type test, and then
 * misses the cache once on the child's data. Immutable once built.
 *
 * <pre>
 *   long[] data:
 *   [0..3]  run bitmap      bit s of word s/64 set = slot s starts a run
 *   [4]     ranks | inh     runs before word q in bits 8q..8q+7 (q = 1..3); the inherited
 *                           next-hop id in the high 32 bits
 *   [5..]   entries         one int per run, two per long (run 2k low half, 2k+1 high half):
 *                           a next-hop id (0 = no route) or, negative, ~c for child c
 *   [..]    own routes      one long per route that ends in this stride, sorted:
 *                           length within the stride (bits 40+) | first slot (32-39) | id (0-31)
 *   Object[] kids:          child c's data at 2c, its kids at 2c + 1 ({@link #NO_KIDS}: none)
 *
 *   slot:     0   1   2 ... 9  10  11 ... 255
 *   value:    A   A   A ... A  [n] B  ...  B        A, B: next-hop ids; [n]: a child
 *   bitmap:   1   0   0 ... 0   1  1  ...  0
 *   entries:  [ A, ~0, B ]                          kids: [ n.data, n.kids ]
 * </pre>
 * A slot's entry is {@code entries[ranks[q] + popcount(word q up to s) - 1]}: one word load, a
 * shift, one {@link Long#bitCount} (POPCNT), one load from the same array. Routes are pushed
 * down to the slots they cover (leaf pushing), so a lookup stops at the first entry that is
 * not a child. A child always has a run of its own.
 *
 * @param data the runs and own routes
 * @param kids the children, in pairs
 */
record LpmNode(long[] data, Object[] kids) {
    static final int STRIDE = 8;
    static final int SLOTS = 1 << STRIDE;
    /** Longs before the entries: four bitmap words and the ranks/inherited word. */
    static final int HEADER = 5;
    private static final int META = 4;
    static final long[] NO_ROUTES = {};
    static final Object[] NO_KIDS = {};
    /** An empty root: one run, no route. */
    static final LpmNode EMPTY = build(NO_ROUTES, 0, null, 0);

    // ---- reader side: what a lookup does ----

    /** The run that holds {@code slot} (0-255): runs started at or before it, minus one. */
    static int run(long[] d, int slot) {
        int q = slot >>> 6;
        // d[q] << ~slot keeps bits 0..(slot & 63) of the word: the runs started up to and including slot.
        return ((int) d[META] >>> (q << 3) & 0xFF) + Long.bitCount(d[q] << ~slot) - 1;
    }

    /** Run {@code i}'s entry: a next-hop id (0: none), or ~c (negative) for child c. */
    static int entry(long[] d, int i) {
        return (int) (d[HEADER + (i >>> 1)] >>> ((i & 1) << 5));
    }

    /** The entry of {@code slot}. */
    int entryAt(int slot) {
        return entry(data, run(data, slot));
    }

    // ---- the inline form of a small node, kept in the directory for each /16 ----

    /**
     * Longs per /16 in an inline directory chunk (32 bytes): the starts of runs 1-7 and their
     * count, the starts of runs 8-9, then 10 entries of 16 bits from bit 80 on.
     */
    static final int INLINE = 4;
    /** The most runs an inline node has: run 0 starts at slot 0, the other 9 starts take a byte each. */
    static final int INLINE_RUNS = 10;
    /** The first word of a /16 whose node does not fit inline (sign bit set): the lookup reads the node. */
    static final long OUT_OF_LINE = Long.MIN_VALUE;
    /** One in each of the 7 low byte lanes. */
    private static final long LANES = 0x0001_0101_0101_0101L;
    private static final long LOW7 = 0x007F_7F7F_7F7F_7F7FL;
    private static final long HIGH = 0x0080_8080_8080_8080L;
    /** Where the entries start in an inline node, in bits. */
    private static final int INLINE_ENTRIES = 80;

    /**
     * The run of an inline node that holds {@code slot}. {@code starts} has the first slots of
     * runs 1-7 in byte lanes 0-6 and the number n of starts (0-9) in byte 7; {@code more} has
     * those of runs 8 and 9 in lanes 0 and 1 (ascending, each 1-255; unused lanes 0). The run is
     * n minus the starts above the slot, counted without a branch: per lane, start + (255 -
     * slot) carries out of the byte exactly when start > slot (SWAR: the low 7 bits are added
     * apart so no carry crosses a lane; the carry out is the majority of the top bits and the
     * carry into them).
     */
    static int inlineRun(long starts, long more, int slot) {
        long y = (255 - slot) * LANES;
        long t = (starts & LOW7) + (y & LOW7);
        long above = (starts & y | t & (starts ^ y)) & HIGH;
        long u = (more & LOW7) + (y & LOW7);
        long above2 = (more & y | u & (more ^ y)) & 0x8080L;
        return (int) (starts >>> 56) - Long.bitCount(above | above2 >>> 7);
    }

    /** Entry {@code run} (0-9) of the inline node whose first word is at {@code at}: 16 bits, sign-extended. */
    static int inlineEntry(long[] line, int at, int run) {
        return (short) (line[at + ((INLINE_ENTRIES >>> 4) + run >>> 2)] >>> (run << 4) + INLINE_ENTRIES);
    }

    /**
     * Writes the inline form of node {@code d} into {@code out} at {@code at} ({@value #INLINE}
     * longs), or {@link #OUT_OF_LINE} and zeros when it has more than {@value #INLINE_RUNS} runs
     * or an id that does not fit in 16 bits (ids above 32767; a child's ~c always fits).
     */
    static void inline(long[] d, long[] out, int at) {
        int runs = runs(d);
        boolean fits = runs <= INLINE_RUNS;
        long w0 = (long) (runs - 1) << 56;
        long w1 = 0;
        long w2 = 0;
        long w3 = 0;
        // the starts of runs 1-9, from the set bits of the bitmap after slot 0
        for (int q = 0, j = 0; fits && q < 4; q++) {
            for (long bits = q == 0 ? d[0] & ~1L : d[q]; bits != 0; bits &= bits - 1) {
                long s = q << 6 | Long.numberOfTrailingZeros(bits);
                j++;
                if (j < 8) {
                    w0 |= s << 8 * (j - 1);
                } else {
                    w1 |= s << 8 * (j - 8);
                }
            }
        }
        for (int i = 0; fits && i < runs; i++) {
            int e = entry(d, i);
            fits = e <= Short.MAX_VALUE;
            int bit = INLINE_ENTRIES + 16 * i;
            long v = (e & 0xFFFFL) << (bit & 63);
            switch (bit >>> 6) {
                case 1 -> w1 |= v;
                case 2 -> w2 |= v;
                default -> w3 |= v;
            }
        }
        out[at] = fits ? w0 : OUT_OF_LINE;
        out[at + 1] = fits ? w1 : 0;
        out[at + 2] = fits ? w2 : 0;
        out[at + 3] = fits ? w3 : 0;
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

    int runs() {
        return runs(data);
    }

    /** The runs of the node whose data is {@code d}: the bits set in its bitmap. */
    static int runs(long[] d) {
        return Long.bitCount(d[0]) + Long.bitCount(d[1]) + Long.bitCount(d[2]) + Long.bitCount(d[3]);
    }

    boolean starts(int slot) {
        return (data[slot >>> 6] & (1L << slot)) != 0;
    }

    boolean hasKids() {
        return kids.length > 0;
    }

    /** The id of the route the node inherits from above (0: none). */
    int inherited() {
        return (int) (data[META] >>> 32);
    }

    /** Where the own routes start in the data array. */
    int ownFrom() {
        return HEADER + (runs() + 1) / 2;
    }

    /** The own routes (a copy). */
    long[] ownRoutes() {
        return Arrays.copyOfRange(data, ownFrom(), data.length);
    }

    /** The id of the longest own route covering {@code slot}, else the inherited one. */
    int bestAt(int slot) {
        for (int i = data.length - 1, from = ownFrom(); i >= from; i--) {
            long o = data[i];
            if (slot >= base(o) && slot < base(o) + span(o)) {
                return id(o);
            }
        }
        return inherited();
    }

    /** Child {@code c}. */
    LpmNode kid(int c) {
        return new LpmNode((long[]) kids[2 * c], (Object[]) kids[2 * c + 1]);
    }

    /** The child at {@code slot}, or null when the slot holds a next hop. */
    LpmNode child(int slot) {
        int e = entryAt(slot);
        return e < 0 ? kid(~e) : null;
    }

    /** The children by slot, or null when there are none. */
    LpmNode[] children() {
        if (!hasKids()) {
            return null;
        }
        LpmNode[] bySlot = new LpmNode[SLOTS];
        int j = -1;
        for (int s = 0; s < SLOTS; s++) {
            if (starts(s)) {
                int e = entry(data, ++j);
                if (e < 0) {
                    bySlot[s] = kid(~e);
                }
            }
        }
        return bySlot;
    }

    /** This node with the child at {@code slot} (which holds a child now) replaced: the same data array. */
    LpmNode replaceChild(int slot, LpmNode child) {
        Object[] copy = kids.clone();
        int c = ~entryAt(slot);
        copy[2 * c] = child.data;
        copy[2 * c + 1] = child.kids;
        return new LpmNode(data, copy);
    }

    /** This node pushed under a different inherited route: rebuilt (with its subtree) if that changes anything. */
    LpmNode withInherited(int inherited, int depth) {
        return inherited() == inherited ? this : build(ownRoutes(), inherited, children(), depth);
    }

    /**
     * A node from its own routes (sorted), the id it inherits and its children by slot (null:
     * none; the array is reused), the children re-pushed where the route above them changed.
     */
    static LpmNode build(long[] own, int inherited, LpmNode[] bySlot, int depth) {
        int[] ids = pushed(own, inherited);
        int nKids = 0;
        Object[] refs = null;
        if (bySlot != null) {
            for (int s = 0; s < SLOTS; s++) {
                if (bySlot[s] != null) {
                    LpmNode kid = bySlot[s].withInherited(ids[s], depth + 1);
                    refs = refs == null ? new Object[2 * SLOTS] : refs;
                    refs[2 * s] = kid.data;
                    refs[2 * s + 1] = kid.kids;
                    nKids++;
                }
            }
        }
        return encode(ids, refs, nKids, inherited, own);
    }

    /** The id pushed to each slot: the longest own route covering it, else the inherited id. */
    private static int[] pushed(long[] own, int inherited) {
        int[] ids = new int[SLOTS];
        Arrays.fill(ids, inherited);
        for (long o : own) {
            Arrays.fill(ids, base(o), base(o) + span(o), id(o));
        }
        return ids;
    }

    /**
     * This node with {@code child} at {@code slot} (null: none there any more), its own routes
     * and so every other child unchanged: the other children are carried over as they are,
     * without being read (re-pushing them, as {@link #build} does, reads each one: up to 256
     * cache misses for a node at depth 1).
     */
    LpmNode withChild(int slot, LpmNode child) {
        Object[] refs = new Object[2 * SLOTS];
        int nKids = 0;
        for (int s = 0, j = 0; s < SLOTS; s++) {
            if (starts(s)) {
                int e = entry(data, j++);
                if (e < 0 && s != slot) {
                    refs[2 * s] = kids[2 * ~e];
                    refs[2 * s + 1] = kids[2 * ~e + 1];
                    nKids++;
                }
            }
        }
        if (child != null) {
            refs[2 * slot] = child.data;
            refs[2 * slot + 1] = child.kids;
            nKids++;
        }
        long[] own = ownRoutes();
        return encode(pushed(own, inherited()), refs, nKids, inherited(), own);
    }

    /**
     * Run-length encodes 256 slots (a child, where there is one, else the id) with the own
     * routes; {@code refs} has each child's data and kids at 2 x its slot (null: no children).
     */
    private static LpmNode encode(int[] ids, Object[] refs, int nKids, int inherited, long[] own) {
        Object[] bySlot = nKids == 0 ? null : refs;
        long[] w = new long[4];
        int runs = 0;
        for (int s = 0; s < SLOTS; s++) {
            if (s == 0 || ids[s] != ids[s - 1] || bySlot != null && (bySlot[2 * s] != null || bySlot[2 * s - 2] != null)) {
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
        Object[] kids = nKids == 0 ? NO_KIDS : new Object[2 * nKids];
        int j = 0;
        int c = 0;
        for (int s = 0; s < SLOTS; s++) {
            if ((w[s >>> 6] & (1L << s)) != 0) {
                int e = ids[s];
                if (bySlot != null && bySlot[2 * s] != null) {
                    kids[2 * c] = bySlot[2 * s];
                    kids[2 * c + 1] = bySlot[2 * s + 1];
                    e = ~c++;
                }
                d[HEADER + (j >>> 1)] |= (e & 0xFFFF_FFFFL) << ((j & 1) << 5);
                j++;
            }
        }
        System.arraycopy(own, 0, d, entriesEnd, own.length);
        return new LpmNode(d, kids);
    }
}
