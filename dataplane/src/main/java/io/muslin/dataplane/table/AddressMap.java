package io.muslin.dataplane.table;

import java.util.function.Consumer;

/**
 * A persistent exact-match table on 128-bit keys (IPv6 addresses): a {@link HashTrie} of
 * buckets, each bucket holding the entries whose two key words fold to one 64-bit key (nearly
 * always one entry). Immutable like {@link HashTrie}: {@link #put} and {@link #remove} return
 * a new table; {@link #get} takes no lock and allocates nothing.
 *
 * <p>Why buckets: {@link HashTrie} is exact on a 64-bit key, and 128 bits do not fold into 64
 * without collisions, so the fold picks a bucket and the entries in it are compared whole.
 *
 * @param <E> the entry type; an entry carries its own address
 */
public final class AddressMap<E extends Addressed> {
    private static final AddressMap<?> EMPTY = new AddressMap<>(HashTrie.empty(), 0);

    private final HashTrie<Bucket> buckets;
    private final int size;

    private AddressMap(HashTrie<Bucket> buckets, int size) {
        this.buckets = buckets;
        this.size = size;
    }

    @SuppressWarnings("unchecked")
    public static <E extends Addressed> AddressMap<E> empty() {
        return (AddressMap<E>) EMPTY;
    }

    public int size() {
        return size;
    }

    /** The entry for address ({@code hi}, {@code lo}), or null. */
    @SuppressWarnings("unchecked")
    public E get(long hi, long lo) {
        Bucket b = buckets.get(fold(hi, lo));
        if (b == null) {
            return null;
        }
        for (Addressed e : b.entries) {
            if (e.addressHi() == hi && e.addressLo() == lo) {
                return (E) e;
            }
        }
        return null;
    }

    /** This table with {@code entry} added, or replacing the entry for the same address. */
    public AddressMap<E> put(E entry) {
        long hi = entry.addressHi();
        long lo = entry.addressLo();
        long key = fold(hi, lo);
        Bucket b = buckets.get(key);
        if (b == null) {
            return new AddressMap<>(buckets.put(new Bucket(key, new Addressed[] {entry})), size + 1);
        }
        Addressed[] old = b.entries;
        for (int i = 0; i < old.length; i++) {
            if (old[i].addressHi() == hi && old[i].addressLo() == lo) {
                if (old[i] == entry) {
                    return this;
                }
                Addressed[] replaced = old.clone();
                replaced[i] = entry;
                return new AddressMap<>(buckets.put(new Bucket(key, replaced)), size);
            }
        }
        Addressed[] grown = java.util.Arrays.copyOf(old, old.length + 1);
        grown[old.length] = entry;
        return new AddressMap<>(buckets.put(new Bucket(key, grown)), size + 1);
    }

    /** This table without the entry for ({@code hi}, {@code lo}); itself when there is none. */
    public AddressMap<E> remove(long hi, long lo) {
        long key = fold(hi, lo);
        Bucket b = buckets.get(key);
        if (b == null) {
            return this;
        }
        Addressed[] old = b.entries;
        for (int i = 0; i < old.length; i++) {
            if (old[i].addressHi() == hi && old[i].addressLo() == lo) {
                if (old.length == 1) {
                    return new AddressMap<>(buckets.remove(key), size - 1);
                }
                Addressed[] shrunk = new Addressed[old.length - 1];
                System.arraycopy(old, 0, shrunk, 0, i);
                System.arraycopy(old, i + 1, shrunk, i, old.length - i - 1);
                return new AddressMap<>(buckets.put(new Bucket(key, shrunk)), size - 1);
            }
        }
        return this;
    }

    @SuppressWarnings("unchecked")
    public void forEach(Consumer<? super E> action) {
        buckets.forEach(b -> {
            for (Addressed e : b.entries) {
                action.accept((E) e);
            }
        });
    }

    /** The bucket key: both words mixed (HashTrie mixes the result again). Package-private for tests. */
    static long fold(long hi, long lo) {
        return hi ^ Long.rotateLeft(lo * 0x9E37_79B9_7F4A_7C15L, 31);
    }

    private record Bucket(long key, Addressed[] entries) implements Keyed {
    }
}
