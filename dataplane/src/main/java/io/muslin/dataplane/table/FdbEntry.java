package io.muslin.dataplane.table;

import io.muslin.dataplane.packet.MacAddress;

/**
 * Forwarding database entry: a remote VTEP MAC lives behind this underlay (public) address,
 * IPv4 or IPv6 as {@link #family()} says, in {@link Family}'s key layout ({@link #hi},
 * {@link #lo}). flannel programs {@code VtepMAC → PublicIP} on {@code flannel.1} and
 * {@code VtepMACv6 → PublicIPv6} on {@code flannel-v6.1}.
 */
public record FdbEntry(long mac, Family family, long hi, long lo) implements Keyed, Underlay {

    /** An entry with an IPv4 underlay. */
    public FdbEntry(long mac, int underlay) {
        this(mac, Family.IPV4, Family.ipv4Key(underlay), 0);
    }

    public FdbEntry {
        if (family == null) {
            throw new IllegalArgumentException("FDB entry family is missing");
        }
        if (family == Family.IPV4 && ((hi & 0xFFFF_FFFFL) != 0 || lo != 0)) {
            throw new IllegalArgumentException("IPv4 FDB entry with bits past 32: " + Long.toHexString(hi) + "/" + lo);
        }
    }

    /** An entry with an IPv6 underlay. */
    public static FdbEntry ipv6(long mac, long underlayHi, long underlayLo) {
        return new FdbEntry(mac, Family.IPV6, underlayHi, underlayLo);
    }

    /** The IPv4 underlay address; 0 for an IPv6 entry. */
    public int underlay() {
        return family == Family.IPV4 ? ipv4() : 0;
    }

    @Override
    public long key() {
        return mac;
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
        return MacAddress.format(mac) + " dst " + Underlay.format(this);
    }
}
