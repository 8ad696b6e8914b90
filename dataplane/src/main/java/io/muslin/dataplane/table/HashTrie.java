package io.muslin.dataplane.table;

import java.util.function.Consumer;

/**
 * A persistent exact-match table on a primitive {@code long} key (a MAC, an IPv4 address): a
 * hash array mapped trie. The key is mixed into 64 bits by a bijection, so two keys never
 * share a hash; each level consumes 6 bits and keeps its 64 slots as a bitmap plus a dense
 * array indexed by {@link Long#bitCount} (one POPCNT). Tables of a few thousand peers are
 * two or three levels deep.
 *
 * <p>Immutable: {@link #put} and {@link #remove} copy one path (at most 64 references a
 * level) and return a new table. {@link #get} takes no lock, boxes nothing and allocates
 * nothing.
 *
 * @param <E> the entry type; an entry carries its own key
 */
public final class HashTrie<E extends Keyed> {
    private static final Node EMPTY_ROOT = new Node(0, new Object[0]);
    private static final HashTrie<?> EMPTY = new HashTrie<>(EMPTY_ROOT, 0);

    private final Node root;
    private final int size;

    private HashTrie(Node root, int size) {
        this.root = root;
        this.size = size;
    }

    @SuppressWarnings("unchecked")
    public static <E extends Keyed> HashTrie<E> empty() {
        return (HashTrie<E>) EMPTY;
    }

    public int size() {
        return size;
    }

    /** The entry with this key, or null. */
    @SuppressWarnings("unchecked")
    public E get(long key) {
        long h = mix(key);
        Node n = root;
        for (;;) {
            long bit = 1L << h;
            if ((n.bitmap & bit) == 0) {
                return null;
            }
            Object o = n.slots[Long.bitCount(n.bitmap & (bit - 1))];
            if (o instanceof Node child) {
                n = child;
                h >>>= 6;
            } else {
                E e = (E) o;
                return e.key() == key ? e : null;
            }
        }
    }

    /** This table with {@code entry} added, or replacing the entry with the same key. */
    public HashTrie<E> put(E entry) {
        E old = get(entry.key());
        if (old == entry) {
            return this;
        }
        return new HashTrie<>(insert(root, mix(entry.key()), 0, entry), old == null ? size + 1 : size);
    }

    /** This table without the entry for {@code key}; itself when there is none (idempotent). */
    public HashTrie<E> remove(long key) {
        if (get(key) == null) {
            return this;
        }
        Object r = delete(root, mix(key), key, true);
        return new HashTrie<>((Node) r, size - 1);
    }

    @SuppressWarnings("unchecked")
    public void forEach(Consumer<? super E> action) {
        walk(root, o -> action.accept((E) o));
    }

    /** Nodes and bytes (same conventions as {@link LpmTrie#footprint()}; entries not counted). */
    public long footprintBytes() {
        long[] bytes = {0};
        countNodes(root, bytes);
        return bytes[0];
    }

    private static void countNodes(Node n, long[] bytes) {
        bytes[0] += 24 + ((16 + 4L * n.slots.length + 7) & ~7L);
        for (Object o : n.slots) {
            if (o instanceof Node c) {
                countNodes(c, bytes);
            }
        }
    }

    private static void walk(Node n, Consumer<Object> action) {
        for (Object o : n.slots) {
            if (o instanceof Node c) {
                walk(c, action);
            } else {
                action.accept(o);
            }
        }
    }

    /** A bijection on 64 bits (odd multiply, then xor-shift), so distinct keys keep distinct hashes. */
    static long mix(long key) {
        long h = key * 0x9E37_79B9_7F4A_7C15L;
        return h ^ (h >>> 29);
    }

    private static Node insert(Node n, long h, int shift, Keyed entry) {
        long bit = 1L << (h >>> shift);
        int i = Long.bitCount(n.bitmap & (bit - 1));
        if ((n.bitmap & bit) == 0) {
            Object[] slots = new Object[n.slots.length + 1];
            System.arraycopy(n.slots, 0, slots, 0, i);
            slots[i] = entry;
            System.arraycopy(n.slots, i, slots, i + 1, n.slots.length - i);
            return new Node(n.bitmap | bit, slots);
        }
        Object o = n.slots[i];
        Object replacement;
        if (o instanceof Node child) {
            replacement = insert(child, h, shift + 6, entry);
        } else if (((Keyed) o).key() == entry.key()) {
            replacement = entry;
        } else {
            replacement = pair((Keyed) o, mix(((Keyed) o).key()), entry, h, shift + 6);
        }
        Object[] slots = n.slots.clone();
        slots[i] = replacement;
        return new Node(n.bitmap, slots);
    }

    /** A node (or chain of nodes) holding two entries whose hashes agree below {@code shift}. */
    private static Node pair(Keyed a, long ha, Keyed b, long hb, int shift) {
        int ia = (int) (ha >>> shift) & 63;
        int ib = (int) (hb >>> shift) & 63;
        if (ia == ib) {
            return new Node(1L << ia, new Object[] {pair(a, ha, b, hb, shift + 6)});
        }
        return ia < ib
            ? new Node(1L << ia | 1L << ib, new Object[] {a, b})
            : new Node(1L << ia | 1L << ib, new Object[] {b, a});
    }

    /**
     * The node without {@code key} (present below it): a node, a lone entry left to be pulled
     * up into the parent, or null when nothing is left.
     */
    private static Object delete(Node n, long h, long key, boolean root) {
        long bit = 1L << h;
        int i = Long.bitCount(n.bitmap & (bit - 1));
        Object o = n.slots[i];
        Object replacement = o instanceof Node child ? delete(child, h >>> 6, key, false) : null;
        if (replacement == null) {
            if (n.slots.length == 1) {
                return root ? EMPTY_ROOT : null;
            }
            if (n.slots.length == 2 && !root) {
                Object other = n.slots[1 - i];
                if (!(other instanceof Node)) {
                    return other;
                }
            }
            Object[] slots = new Object[n.slots.length - 1];
            System.arraycopy(n.slots, 0, slots, 0, i);
            System.arraycopy(n.slots, i + 1, slots, i, slots.length - i);
            return new Node(n.bitmap & ~bit, slots);
        }
        if (n.slots.length == 1 && !root && !(replacement instanceof Node)) {
            return replacement;
        }
        Object[] slots = n.slots.clone();
        slots[i] = replacement;
        return new Node(n.bitmap, slots);
    }

    /** 64 slots: a bitmap of those in use and one array element per slot in use (an entry or a child). */
    private record Node(long bitmap, Object[] slots) {
    }
}
