package io.muslin.dataplane.table;

import io.muslin.dataplane.packet.Ipv4Address;
import io.muslin.dataplane.packet.MacAddress;

/**
 * Forwarding database entry: a remote VTEP MAC lives behind this underlay (public) address,
 * IPv4 ({@link #underlay()}) or IPv6 ({@link #underlay6Hi()}, {@link #underlay6Lo()}), as
 * {@link #family()} says. {@code underlay()} is 0 for an IPv6 entry.
 */
public record FdbEntry(long mac, Family family, int underlay, long underlay6Hi, long underlay6Lo) implements Keyed {

    /** An entry with an IPv4 underlay. */
    public FdbEntry(long mac, int underlay) {
        this(mac, Family.IPV4, underlay, 0, 0);
    }

    public FdbEntry {
        if (family == null) {
            throw new IllegalArgumentException("FDB entry family is missing");
        }
        if (family == Family.IPV6 && underlay != 0) {
            throw new IllegalArgumentException("IPv6 FDB entry with an IPv4 underlay " + Ipv4Address.format(underlay));
        }
    }

    /** An entry with an IPv6 underlay. */
    public static FdbEntry ipv6(long mac, long underlayHi, long underlayLo) {
        return new FdbEntry(mac, Family.IPV6, 0, underlayHi, underlayLo);
    }

    @Override
    public long key() {
        return mac;
    }

    @Override
    public String toString() {
        return MacAddress.format(mac) + " dst " + (family == Family.IPV4
            ? Ipv4Address.format(underlay) : Ipv6Text.format(underlay6Hi, underlay6Lo));
    }
}
