package io.muslin.dataplane.table;

/**
 * Where a route sends a packet: the next hop's address and the route's flags ({@link Route#ENCAP},
 * {@link Route#DIRECT}). What {@link Tables.Snapshot#lookupNextHop} returns on the packet path.
 *
 * <p>Interned by the route table's writer: every route with the same next hop and flags shares
 * one {@code NextHop}, so a table of a million routes holds as many of these as it has distinct
 * next hops (a few hundred in a FIB, one per peer in an overlay), and a lookup returns one of
 * a few hot objects instead of a per-route one. Compared by value; immutable.
 *
 * <p>The address is a key as {@link Family} lays it out: for IPv4 {@link #address()} is the
 * address; for IPv6 {@link #hi()} and {@link #lo()} are its two words in network order.
 */
public final class NextHop implements Underlay {
    private final Family family;
    private final long hi;
    private final long lo;
    private final int flags;

    NextHop(Family family, long hi, long lo, int flags) {
        this.family = family;
        this.hi = hi;
        this.lo = lo;
        this.flags = flags;
    }

    public Family family() {
        return family;
    }

    /** The IPv4 next hop (the top 32 bits of the key). */
    public int address() {
        return (int) (hi >>> 32);
    }

    /** Address bits 0-63. */
    public long hi() {
        return hi;
    }

    /** Address bits 64-127 (0 for IPv4). */
    public long lo() {
        return lo;
    }

    public int flags() {
        return flags;
    }

    @Override
    public long addressHi() {
        return hi;
    }

    @Override
    public long addressLo() {
        return lo;
    }

    /** True when the packet goes to the next hop without encapsulation. */
    public boolean direct() {
        return (flags & Route.DIRECT) != 0;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof NextHop n && n.family == family && n.hi == hi && n.lo == lo && n.flags == flags;
    }

    @Override
    public int hashCode() {
        return Long.hashCode(hi * 0x9E37_79B9_7F4A_7C15L ^ lo) * 31 + flags;
    }

    @Override
    public String toString() {
        return "via " + Underlay.format(family, hi, lo) + (direct() ? " direct" : "");
    }
}
