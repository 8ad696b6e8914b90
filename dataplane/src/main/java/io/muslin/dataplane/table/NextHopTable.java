package io.muslin.dataplane.table;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * The route table writer's next hops: each distinct (address, flags) interned as one
 * {@link NextHop}, numbered by a small id that the trie's nodes store, and counted by the
 * routes that use it. Writer side only; not thread-safe.
 *
 * <p>Readers map an id to its {@code NextHop} through the array of the trie version they hold
 * ({@link #publish}). A published array is never written again: the first change after a
 * publication copies it (O(distinct next hops), once per batch), so an id freed here can be
 * given to a new next hop while older snapshots still resolve it to the old one.
 *
 * <p>Bound: an id is freed when its last route goes and is reused before the array grows, so
 * the array holds at most twice the largest number of distinct next hops in use at one time
 * (it doubles when full). A freed slot keeps its old {@code NextHop} until it is reused.
 */
final class NextHopTable {
    /** Id 0: no route. */
    static final NextHop[] NONE = {null};

    private final Family family;
    private final Map<NextHop, Integer> ids = new HashMap<>();
    private NextHop[] values;
    private int[] uses;
    private int[] free = new int[8];
    private int freeCount;
    /** True while {@link #values} may be reachable by a reader: copy before writing. */
    private boolean shared = true;

    /** The table of a trie version whose routes use each id {@code uses[id]} times. */
    NextHopTable(Family family, NextHop[] values, int[] uses) {
        this.family = family;
        this.values = values;
        this.uses = Arrays.copyOf(uses, values.length);
        for (int id = values.length - 1; id > 0; id--) {
            if (this.uses[id] > 0) {
                ids.put(values[id], id);
            } else {
                pushFree(id);
            }
        }
    }

    /** The id of this next hop, interned if new, with one more use. */
    int intern(long hi, long lo, int flags) {
        NextHop hop = new NextHop(family, hi, lo, flags);
        Integer known = ids.get(hop);
        if (known != null) {
            uses[known]++;
            return known;
        }
        int id = freeCount > 0 ? free[--freeCount] : values.length;
        if (id >= values.length) {
            values = Arrays.copyOf(values, values.length * 2);
            uses = Arrays.copyOf(uses, values.length);
            for (int i = values.length - 1; i > id; i--) {
                pushFree(i);
            }
            shared = false;
        } else if (shared) {
            values = values.clone();
            shared = false;
        }
        values[id] = hop;
        uses[id] = 1;
        ids.put(hop, id);
        return id;
    }

    /** One use fewer; the id is free once no route uses it. */
    void release(int id) {
        if (--uses[id] == 0) {
            ids.remove(values[id]);
            pushFree(id);
        }
    }

    /** The id array for a trie version about to be published; later changes copy it. */
    NextHop[] publish() {
        shared = true;
        return values;
    }

    /** Distinct next hops in use. */
    int size() {
        return ids.size();
    }

    private void pushFree(int id) {
        if (freeCount == free.length) {
            free = Arrays.copyOf(free, free.length * 2);
        }
        free[freeCount++] = id;
    }
}
