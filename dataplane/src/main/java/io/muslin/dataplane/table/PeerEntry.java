package io.muslin.dataplane.table;

/**
 * A peer node known by one of its underlay (public) addresses, IPv4 or IPv6 (a dual-stack node
 * has one of each). The inbound paths ask whether a packet's outer source is a peer at all
 * ({@link Tables.Snapshot#isPeer}).
 */
public record PeerEntry(Family family, long hi, long lo) implements Keyed, Underlay {
    /** A peer at an IPv4 address. */
    public PeerEntry(int underlay) {
        this(Family.IPV4, Family.ipv4Key(underlay), 0);
    }

    /** The key of an IPv4 peer in its {@link HashTrie}. */
    @Override
    public long key() {
        return hi >>> 32;
    }

    @Override
    public long addressHi() {
        return hi;
    }

    @Override
    public long addressLo() {
        return lo;
    }

    @Override
    public String toString() {
        return Underlay.format(this);
    }
}
