package io.muslin.dataplane.path;

import io.muslin.dataplane.packet.Ipv6;
import io.muslin.dataplane.table.Family;
import io.muslin.dataplane.table.Underlay;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Path MTU per peer of one underlay family: the largest outer packet that reaches each underlay
 * address, learned from ICMP "fragmentation needed" (IPv4, RFC 1191) or ICMPv6 Packet Too Big
 * (IPv6, RFC 8201), and the underlay link's MTU for every peer without an estimate. An estimate
 * ages out after {@link #DEFAULT_EXPIRY_NANOS} (RFC 1191 §6.3 and RFC 8201 §4: "an estimate
 * should be raised again after 10 minutes"): the next full-size packet probes the path again,
 * and a router that still cannot carry it answers with a new ICMP.
 *
 * <p>The family is a constructor parameter: addresses are keys in {@link Family}'s layout (two
 * words; IPv4 in the top 32 bits of the first), and the smallest estimate taken is the family's
 * ({@link #MIN_PMTU} for IPv4, {@link Ipv6#MIN_MTU} for IPv6: RFC 8201 §4 discards anything
 * lower).
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
    /** The smallest IPv4 estimate taken (Linux's {@code min_pmtu}); a smaller ICMP value is raised to it. */
    public static final int MIN_PMTU = 552;
    private static final int INITIAL_CAPACITY = 64;

    private final Family family;
    private final int minPmtu;
    private final long expiryNanos;
    private volatile int linkMtu;
    private long[] his = new long[INITIAL_CAPACITY];
    private long[] los = new long[INITIAL_CAPACITY];
    private int[] mtus = new int[INITIAL_CAPACITY];
    private long[] learned = new long[INITIAL_CAPACITY];
    private int size;

    /** For an IPv4 underlay. @param linkMtu the underlay device's MTU: the limit for every peer without an estimate */
    public PathMtu(int linkMtu, long expiryNanos) {
        this(Family.IPV4, linkMtu, expiryNanos);
    }

    /** For an underlay of {@code family}. */
    public PathMtu(Family family, int linkMtu, long expiryNanos) {
        this.family = family;
        this.minPmtu = family == Family.IPV4 ? MIN_PMTU : Ipv6.MIN_MTU;
        this.linkMtu = linkMtu;
        this.expiryNanos = expiryNanos;
    }

    public Family family() {
        return family;
    }

    /** The smallest estimate this table takes: 552 (IPv4) or 1280 (IPv6). */
    public int minPmtu() {
        return minPmtu;
    }

    public int linkMtu() {
        return linkMtu;
    }

    /** The underlay device's MTU changed (any thread). Estimates above it stop mattering. */
    public void linkMtu(int mtu) {
        this.linkMtu = mtu;
    }

    /** {@link #outerLimit(long, long)} of an IPv4 address. */
    public int outerLimit(int underlay) {
        return outerLimit(Family.ipv4Key(underlay), 0);
    }

    /** The largest outer packet for the underlay address ({@code hi}, {@code lo}) now. Event loop only. */
    public int outerLimit(long hi, long lo) {
        int link = linkMtu;
        if (size == 0) {
            return link;
        }
        int slot = find(hi, lo);
        if (slot < 0) {
            return link;
        }
        if (System.nanoTime() - learned[slot] > expiryNanos) {
            remove(slot);
            return link;
        }
        return Math.min(link, mtus[slot]);
    }

    /** {@link #learn(long, long, int, long)} of an IPv4 address. */
    public boolean learn(int underlay, int mtu, long nowNanos) {
        return learn(Family.ipv4Key(underlay), 0, mtu, nowNanos);
    }

    /**
     * A router said packets to ({@code hi}, {@code lo}) must be at most {@code mtu} bytes (raised
     * to {@link #minPmtu}). Returns true when that changed the estimate. Event loop only.
     */
    public boolean learn(long hi, long lo, int mtu, long nowNanos) {
        if (hi == 0 && lo == 0) {
            return false;
        }
        int value = Math.max(mtu, minPmtu);
        int slot = find(hi, lo);
        if (slot >= 0) {
            boolean changed = mtus[slot] != value;
            mtus[slot] = value;
            learned[slot] = nowNanos;
            return changed;
        }
        if (value >= linkMtu) {
            return false;
        }
        if ((size + 1) * 2 > his.length) {
            grow();
        }
        insert(hi, lo, value, nowNanos);
        return true;
    }

    /** One estimate, for display: the address in {@link Family}'s key layout. */
    public record Entry(Family family, long hi, long lo, int mtu, long ageNanos) {
        /** An IPv4 entry. */
        public Entry(int underlay, int mtu, long ageNanos) {
            this(Family.IPV4, Family.ipv4Key(underlay), 0, mtu, ageNanos);
        }

        /** The IPv4 address (meaningless for IPv6). */
        public int underlay() {
            return (int) (hi >>> 32);
        }

        /** The address as text. */
        public String address() {
            return Underlay.format(family, hi, lo);
        }
    }

    /** The current estimates (any thread; a recent view). */
    public List<Entry> entries() {
        long[] h = his;
        long[] l = los;
        int[] m = mtus;
        long[] t = learned;
        long now = System.nanoTime();
        List<Entry> out = new ArrayList<>();
        int n = Math.min(Math.min(h.length, l.length), Math.min(m.length, t.length));
        for (int i = 0; i < n; i++) {
            if ((h[i] != 0 || l[i] != 0) && now - t[i] <= expiryNanos) {
                out.add(new Entry(family, h[i], l[i], m[i], now - t[i]));
            }
        }
        out.sort((a, b) -> {
            int c = Long.compareUnsigned(a.hi(), b.hi());
            return c != 0 ? c : Long.compareUnsigned(a.lo(), b.lo());
        });
        return out;
    }

    private static int hash(long hi, long lo) {
        long h = (hi ^ Long.rotateLeft(lo, 29)) * 0x9E37_79B9_7F4A_7C15L;
        return (int) (h ^ (h >>> 32));
    }

    private boolean empty(int i) {
        return his[i] == 0 && los[i] == 0;
    }

    private int find(long hi, long lo) {
        int mask = his.length - 1;
        for (int i = hash(hi, lo) & mask; ; i = (i + 1) & mask) {
            if (his[i] == hi && los[i] == lo) {
                return i;
            }
            if (empty(i)) {
                return -1;
            }
        }
    }

    private void insert(long hi, long lo, int mtu, long at) {
        int mask = his.length - 1;
        int i = hash(hi, lo) & mask;
        while (!empty(i)) {
            i = (i + 1) & mask;
        }
        his[i] = hi;
        los[i] = lo;
        mtus[i] = mtu;
        learned[i] = at;
        size++;
    }

    /** Backward-shift deletion keeps every probe run unbroken. */
    private void remove(int slot) {
        int mask = his.length - 1;
        int hole = slot;
        for (int i = (slot + 1) & mask; !empty(i); i = (i + 1) & mask) {
            int home = hash(his[i], los[i]) & mask;
            boolean movable = hole <= i ? home <= hole || home > i : home <= hole && home > i;
            if (movable) {
                his[hole] = his[i];
                los[hole] = los[i];
                mtus[hole] = mtus[i];
                learned[hole] = learned[i];
                hole = i;
            }
        }
        his[hole] = 0;
        los[hole] = 0;
        size--;
    }

    private void grow() {
        long[] oldHis = his;
        long[] oldLos = los;
        int[] oldMtus = mtus;
        long[] oldLearned = learned;
        int capacity = oldHis.length * 2;
        his = new long[capacity];
        los = new long[capacity];
        mtus = new int[capacity];
        learned = new long[capacity];
        size = 0;
        for (int i = 0; i < oldHis.length; i++) {
            if (oldHis[i] != 0 || oldLos[i] != 0) {
                insert(oldHis[i], oldLos[i], oldMtus[i], oldLearned[i]);
            }
        }
    }
}
