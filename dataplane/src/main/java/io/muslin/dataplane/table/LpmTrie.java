package io.muslin.dataplane.table;

import java.util.Arrays;
import java.util.function.Consumer;

/**
 * A persistent longest-prefix-match table for IPv4 or IPv6 (the {@link Family} is a parameter:
 * one trie walks 128-bit keys; IPv4 keys are the first 32 bits).
 *
 * <p>A multibit trie of 8-bit strides (4 levels for IPv4, 16 for IPv6). Each node keeps its
 * 256 slots as runs indexed by popcount ({@link LpmNode}), with routes pushed down to the
 * slots they cover, so a lookup is at most one load-popcount-load per stride and stops at the
 * first slot that holds no child. The walk allocates nothing.
 *
 * <p>Immutable: {@link #put} and {@link #remove} return a new trie that shares every node off
 * the changed path (path copying: O(depth x 256) work, not O(table)). A reader holding a trie
 * sees it whole forever. Writers must be serialized by the caller ({@link Tables} does it).
 *
 * <p>Cost of leaf pushing: changing a short prefix re-pushes it into the nodes below it that
 * it covers; a default route (/0) added to a full table rebuilds every node. Long prefixes,
 * the usual churn, touch one path.
 *
 * @param <V> the route type
 */
public final class LpmTrie<V extends RouteEntry> {
    private final Family family;
    private final LpmNode root;
    private final int size;

    private LpmTrie(Family family, LpmNode root, int size) {
        this.family = family;
        this.root = root;
        this.size = size;
    }

    public static <V extends RouteEntry> LpmTrie<V> empty(Family family) {
        return new LpmTrie<>(family, LpmNode.EMPTY, 0);
    }

    public Family family() {
        return family;
    }

    /** Number of routes. */
    public int size() {
        return size;
    }

    /**
     * The longest prefix covering the key (left-aligned, see {@link Family}), or null. Wait-free:
     * no lock, no allocation, at most bits/8 strides.
     */
    @SuppressWarnings("unchecked")
    public V lookup(long hi, long lo) {
        LpmNode n = root;
        for (;;) {
            Object e = n.entry((int) (hi >>> 56));
            if (!(e instanceof LpmNode child)) {
                return (V) e;
            }
            n = child;
            hi = (hi << 8) | (lo >>> 56);
            lo <<= 8;
        }
    }

    /** {@link #lookup(long, long)} for an IPv4 address. */
    public V lookup(int ipv4) {
        return lookup(Family.ipv4Key(ipv4), 0L);
    }

    /** The route with exactly this prefix, or null. */
    @SuppressWarnings("unchecked")
    public V get(long hi, long lo, int length) {
        family.checkLength(length);
        int owner = LpmNode.ownerDepth(length);
        LpmNode n = root;
        for (int d = 0; d < owner; d++) {
            if (!(n.entry(LpmNode.slotAt(hi, lo, d)) instanceof LpmNode child)) {
                return null;
            }
            n = child;
        }
        int i = indexOf(n.own, hi, lo, length);
        return i < 0 ? null : (V) n.own[i];
    }

    /** This trie with {@code route} added, or replacing the route with the same prefix. */
    public LpmTrie<V> put(V route) {
        family.checkHostBits(route.keyHi(), route.keyLo(), route.length());
        V old = get(route.keyHi(), route.keyLo(), route.length());
        if (old == route) {
            return this;
        }
        LpmNode r = insert(root, null, 0, LpmNode.ownerDepth(route.length()), route);
        return new LpmTrie<>(family, r, old == null ? size + 1 : size);
    }

    /** This trie without the route to this prefix; itself when there is none (idempotent). */
    public LpmTrie<V> remove(long hi, long lo, int length) {
        family.checkHostBits(hi, lo, length);
        LpmNode r = delete(root, 0, LpmNode.ownerDepth(length), hi, lo, length);
        if (r == root) {
            return this;
        }
        return new LpmTrie<>(family, r == null ? LpmNode.EMPTY : r, size - 1);
    }

    /** Every route, depth first (shorter prefixes of a stride first). */
    @SuppressWarnings("unchecked")
    public void forEach(Consumer<? super V> action) {
        walk(root, n -> {
            for (RouteEntry e : n.own) {
                action.accept((V) e);
            }
        });
    }

    /**
     * The trie's own footprint in bytes, from its arrays' lengths, for a 64-bit JVM with
     * compressed oops (12-byte object headers, 16-byte array headers, 8-byte alignment); the
     * routes themselves are not counted. Nodes shared with older versions count in each.
     */
    public Footprint footprint() {
        long[] acc = new long[4];
        walk(root, n -> {
            acc[0]++;
            acc[1] += n.entries.length;
            acc[2] += n.own.length;
            acc[3] += align(12 + 4 + 4 * 4) + align(16 + 4 * 8) + align(16 + 4L * n.entries.length)
                + (n.own.length == 0 ? 0 : align(16 + 4L * n.own.length));
        });
        return new Footprint(acc[0], acc[1], acc[2], acc[3]);
    }

    /** What {@link #footprint()} counts. */
    public record Footprint(long nodes, long entries, long routes, long bytes) {
    }

    private static long align(long bytes) {
        return (bytes + 7) & ~7L;
    }

    private static void walk(LpmNode n, Consumer<LpmNode> visit) {
        visit.accept(n);
        for (Object e : n.entries) {
            if (e instanceof LpmNode c) {
                walk(c, visit);
            }
        }
    }

    /** Checks the structure's invariants (for tests): pushed routes, inherited routes, no empty nodes. */
    void check() {
        check(root, null, 0);
    }

    private void check(LpmNode n, RouteEntry inherited, int depth) {
        if (n.inherited != inherited) {
            throw new IllegalStateException("depth " + depth + ": inherited " + n.inherited + ", expected " + inherited);
        }
        if (depth > 0 && n.own.length == 0 && !n.hasChildren()) {
            throw new IllegalStateException("empty node at depth " + depth);
        }
        Object[] slots = n.expand();
        for (int s = 0; s < LpmNode.SLOTS; s++) {
            RouteEntry best = n.bestAt(s, depth);
            if (slots[s] instanceof LpmNode c) {
                check(c, best, depth + 1);
            } else if (slots[s] != best) {
                throw new IllegalStateException("depth " + depth + " slot " + s + ": " + slots[s] + ", expected " + best);
            }
        }
        for (int i = 1; i < n.own.length; i++) {
            if (compare(n.own[i - 1], n.own[i].keyHi(), n.own[i].keyLo(), n.own[i].length()) >= 0) {
                throw new IllegalStateException("own routes out of order at depth " + depth);
            }
        }
    }

    // ---- path copying ----

    private static LpmNode insert(LpmNode node, RouteEntry inherited, int depth, int owner, RouteEntry route) {
        if (node == null) {
            node = LpmNode.empty(inherited);
        }
        if (depth == owner) {
            return LpmNode.build(withRoute(node.own, route), inherited, node.children(), depth);
        }
        int s = LpmNode.slotAt(route.keyHi(), route.keyLo(), depth);
        LpmNode child = node.entry(s) instanceof LpmNode c ? c : null;
        LpmNode updated = insert(child, node.bestAt(s, depth), depth + 1, owner, route);
        return child != null ? node.replaceChild(s, updated) : node.addChild(s, updated);
    }

    /** The node without the route; the same node if there is no such route; null if the node is left empty. */
    private static LpmNode delete(LpmNode node, int depth, int owner, long hi, long lo, int length) {
        if (depth == owner) {
            int i = indexOf(node.own, hi, lo, length);
            if (i < 0) {
                return node;
            }
            RouteEntry[] own = new RouteEntry[node.own.length - 1];
            System.arraycopy(node.own, 0, own, 0, i);
            System.arraycopy(node.own, i + 1, own, i, own.length - i);
            if (own.length == 0) {
                own = LpmNode.NO_ROUTES;
            }
            LpmNode[] kids = node.children();
            if (own.length == 0 && kids == null && depth > 0) {
                return null;
            }
            return LpmNode.build(own, node.inherited, kids, depth);
        }
        int s = LpmNode.slotAt(hi, lo, depth);
        if (!(node.entry(s) instanceof LpmNode child)) {
            return node;
        }
        LpmNode updated = delete(child, depth + 1, owner, hi, lo, length);
        if (updated == child) {
            return node;
        }
        if (updated != null) {
            return node.replaceChild(s, updated);
        }
        Object[] slots = node.expand();
        slots[s] = node.bestAt(s, depth);
        if (depth > 0 && node.own.length == 0 && !anyChild(slots)) {
            return null;
        }
        return LpmNode.compress(slots, node.inherited, node.own);
    }

    private static boolean anyChild(Object[] slots) {
        for (Object o : slots) {
            if (o instanceof LpmNode) {
                return true;
            }
        }
        return false;
    }

    /** {@code own} with {@code route} in its sorted place, replacing a route with the same prefix. */
    private static RouteEntry[] withRoute(RouteEntry[] own, RouteEntry route) {
        int i = indexOf(own, route.keyHi(), route.keyLo(), route.length());
        if (i >= 0) {
            RouteEntry[] copy = own.clone();
            copy[i] = route;
            return copy;
        }
        int at = -i - 1;
        RouteEntry[] grown = Arrays.copyOf(own, own.length + 1);
        System.arraycopy(own, at, grown, at + 1, own.length - at);
        grown[at] = route;
        return grown;
    }

    /** Binary search by (length, key): the index, or -(insertion point) - 1. */
    private static int indexOf(RouteEntry[] own, long hi, long lo, int length) {
        int low = 0;
        int high = own.length - 1;
        while (low <= high) {
            int mid = (low + high) >>> 1;
            int c = compare(own[mid], hi, lo, length);
            if (c < 0) {
                low = mid + 1;
            } else if (c > 0) {
                high = mid - 1;
            } else {
                return mid;
            }
        }
        return -(low + 1);
    }

    private static int compare(RouteEntry e, long hi, long lo, int length) {
        int c = Integer.compare(e.length(), length);
        if (c == 0) {
            c = Long.compareUnsigned(e.keyHi(), hi);
        }
        if (c == 0) {
            c = Long.compareUnsigned(e.keyLo(), lo);
        }
        return c;
    }
}
