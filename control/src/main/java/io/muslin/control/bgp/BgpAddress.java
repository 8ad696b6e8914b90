package io.muslin.control.bgp;

import io.muslin.dataplane.packet.Ipv4Address;
import io.muslin.dataplane.table.Family;
import io.muslin.dataplane.packet.Ipv6Text;

/** An IPv4 or IPv6 address, left-aligned in two {@code long}s as {@link BgpPrefix} holds them (a next hop). */
public record BgpAddress(Family family, long hi, long lo) {
    public BgpAddress {
        if (family == Family.IPV4 && ((hi & 0xFFFF_FFFFL) != 0 || lo != 0)) {
            throw new IllegalArgumentException("an IPv4 address has 32 bits");
        }
    }

    public static BgpAddress ipv4(int address) {
        return new BgpAddress(Family.IPV4, Family.ipv4Key(address), 0);
    }

    public static BgpAddress ipv6(String text) {
        return new BgpAddress(Family.IPV6, Ipv6Text.hi(text), Ipv6Text.lo(text));
    }

    /** The IPv4 address as an int; only for {@link Family#IPV4}. */
    public int ipv4() {
        if (family != Family.IPV4) {
            throw new IllegalStateException(this + " is not an IPv4 address");
        }
        return (int) (hi >>> 32);
    }

    /** Octets on the wire: 4 or 16. */
    int wireLength() {
        return family.bits() / 8;
    }

    @Override
    public String toString() {
        return family == Family.IPV4 ? Ipv4Address.format(ipv4()) : Ipv6Text.format(hi, lo);
    }
}
