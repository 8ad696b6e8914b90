package io.muslin.dataplane.path;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Path MTU per peer: the largest outer packet that reaches each underlay address, learned from
 * ICMP "fragmentation needed" (RFC 1191), and the underlay link's MTU for every peer without
 * an estimate. An estimate ages out after {@link #DEFAULT_EXPIRY_NANOS} (RFC 1191 §6.3: "an
 * estimate should be raised again after 10 minutes"): the next full-size packet probes the path
 * again, and a router that still cannot carry it answers with a new ICMP.
 *
 * <p>Owned by the event loop: {@link #learn} and {@link #outerLimit} run there only. The link
 * MTU may be set from any thread (it follows the underlay device). {@link #entries} may be read
 * from another thread for display; it then sees a recent, possibly torn, view. The table is an
 * open-addressing map of primitives: a lookup allocates nothing, and with no estimate at all it
 * is one field read.
 */
public final class PathMtu {
    /** RFC 1191 §6.3. */
    public static final long DEFAULT_EXPIRY_NANOS = TimeUnit.MINUTES.toNanos(10);
    /** The smallest estimate taken (Linux's {@code min_pmtu}); a smaller ICMP value is raised to it. */
    public static final int MIN_PMTU = 552;
    private static final int INITIAL_CAPACITY = 64;

    private final long expiryNanos;
    private volatile int linkMtu;
    private int[] keys = new int[INITIAL_CAPACITY];
    private int[] mtus = new int[INITIAL_CAPACITY];
    private long[] learned = new long[INITIAL_CAPACITY];
    private int size;

    /** @param linkMtu the underlay device's MTU: the limit for every peer without an estimate */
    public PathMtu(int linkMtu, long expiryNanos) {
        this.linkMtu = linkMtu;
        this.expiryNanos = expiryNanos;
    }

    public int linkMtu() {
        return linkMtu;
    }

    /** The underlay device's MTU changed (any thread). Estimates above it stop mattering. */
    public void linkMtu(int mtu) {
        this.linkMtu = mtu;
    }

    /** The largest outer packet for {@code underlay} now. Event loop only. */
    public int outerLimit(int underlay) {
        int link = linkMtu;
        if (size == 0) {
            return link;
        }
        int slot = find(underlay);
        if (slot < 0) {
            return link;
        }
        if (System.nanoTime() - learned[slot] > expiryNanos) {
            remove(slot);
            return link;
        }
        return Math.min(link, mtus[slot]);
    }

    /**
     * A router said packets to {@code underlay} must be at most {@code mtu} bytes (raised to
     * {@link #MIN_PMTU}). Returns true when that changed the estimate. Event loop only.
     */
    public boolean learn(int underlay, int mtu, long nowNanos) {
        if (underlay == 0) {
            return false;
        }
        int value = Math.max(mtu, MIN_PMTU);
        int slot = find(underlay);
        if (slot >= 0) {
            boolean changed = mtus[slot] != value;
            mtus[slot] = value;
            learned[slot] = nowNanos;
            return changed;
        }
        if (value >= linkMtu) {
            return false;
        }
        if ((size + 1) * 2 > keys.length) {
            grow();
        }
        insert(underlay, value, nowNanos);
        return true;
    }

    /** One estimate, for display. */
    public record Entry(int underlay, int mtu, long ageNanos) {
    }

    /** The current estimates (any thread; a recent view). */
    public List<Entry> entries() {
        int[] k = keys;
        int[] m = mtus;
        long[] t = learned;
        long now = System.nanoTime();
        List<Entry> out = new ArrayList<>();
        for (int i = 0; i < Math.min(k.length, Math.min(m.length, t.length)); i++) {
            if (k[i] != 0 && now - t[i] <= expiryNanos) {
                out.add(new Entry(k[i], m[i], now - t[i]));
            }
        }
        out.sort((a, b) -> Integer.compareUnsigned(a.underlay(), b.underlay()));
        return out;
    }

    private static int hash(int key) {
        int h = key * 0x9E3779B9;
        return h ^ (h >>> 16);
    }

    private int find(int key) {
        int mask = keys.length - 1;
        for (int i = hash(key) & mask; ; i = (i + 1) & mask) {
            int k = keys[i];
            if (k == key) {
                return i;
            }
            if (k == 0) {
                return -1;
            }
        }
    }

    private void insert(int key, int mtu, long at) {
        int mask = keys.length - 1;
        int i = hash(key) & mask;
        while (keys[i] != 0) {
            i = (i + 1) & mask;
        }
        keys[i] = key;
        mtus[i] = mtu;
        learned[i] = at;
        size++;
    }

    /** Backward-shift deletion keeps every probe run unbroken. */
    private void remove(int slot) {
        int mask = keys.length - 1;
        int hole = slot;
        for (int i = (slot + 1) & mask; keys[i] != 0; i = (i + 1) & mask) {
            int home = hash(keys[i]) & mask;
            boolean movable = hole <= i ? home <= hole || home > i : home <= hole && home > i;
            if (movable) {
                keys[hole] = keys[i];
                mtus[hole] = mtus[i];
                learned[hole] = learned[i];
                hole = i;
            }
        }
        keys[hole] = 0;
        size--;
    }

    private void grow() {
        int[] oldKeys = keys;
        int[] oldMtus = mtus;
        long[] oldLearned = learned;
        int capacity = oldKeys.length * 2;
        int[] k = new int[capacity];
        int[] m = new int[capacity];
        long[] t = new long[capacity];
        keys = k;
        mtus = m;
        learned = t;
        size = 0;
        for (int i = 0; i < oldKeys.length; i++) {
            if (oldKeys[i] != 0) {
                insert(oldKeys[i], oldMtus[i], oldLearned[i]);
            }
        }
    }
}
