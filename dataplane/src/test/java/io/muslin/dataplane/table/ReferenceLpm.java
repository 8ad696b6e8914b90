package io.muslin.dataplane.table;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The obvious longest-prefix match, to check {@link LpmTrie} against: one hash map per prefix
 * length, probed from the longest length down. {@link #scan} is plainer still: every route,
 * every time.
 */
final class ReferenceLpm<V extends RouteEntry> {
    private record Key(long hi, long lo) {
    }

    private final int bits;
    private final List<Map<Key, V>> byLength = new ArrayList<>();

    ReferenceLpm(Family family) {
        this.bits = family.bits();
        for (int len = 0; len <= bits; len++) {
            byLength.add(new HashMap<>());
        }
    }

    ReferenceLpm<V> copy() {
        ReferenceLpm<V> c = new ReferenceLpm<>(bits == 32 ? Family.IPV4 : Family.IPV6);
        for (int len = 0; len <= bits; len++) {
            c.byLength.get(len).putAll(byLength.get(len));
        }
        return c;
    }

    static long maskHi(int length) {
        return length == 0 ? 0 : length >= 64 ? -1L : -1L << (64 - length);
    }

    static long maskLo(int length) {
        return length <= 64 ? 0 : length == 128 ? -1L : -1L << (128 - length);
    }

    void put(V route) {
        byLength.get(route.length()).put(new Key(route.keyHi(), route.keyLo()), route);
    }

    void remove(long hi, long lo, int length) {
        byLength.get(length).remove(new Key(hi, lo));
    }

    V get(long hi, long lo, int length) {
        return byLength.get(length).get(new Key(hi, lo));
    }

    int size() {
        return byLength.stream().mapToInt(Map::size).sum();
    }

    List<V> all() {
        List<V> out = new ArrayList<>();
        byLength.forEach(m -> out.addAll(m.values()));
        return out;
    }

    V lookup(long hi, long lo) {
        for (int len = bits; len >= 0; len--) {
            V v = byLength.get(len).get(new Key(hi & maskHi(len), lo & maskLo(len)));
            if (v != null) {
                return v;
            }
        }
        return null;
    }

    /** Brute force: the longest of all routes that cover the key. */
    static <V extends RouteEntry> V scan(List<V> routes, long hi, long lo) {
        V best = null;
        for (V r : routes) {
            int len = r.length();
            if ((hi & maskHi(len)) == r.keyHi() && (lo & maskLo(len)) == r.keyLo()
                && (best == null || len > best.length())) {
                best = r;
            }
        }
        return best;
    }
}
