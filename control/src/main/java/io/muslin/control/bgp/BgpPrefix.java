package io.muslin.control.bgp;

import io.muslin.dataplane.packet.Ipv4Prefix;
import io.muslin.dataplane.table.Family;
import io.muslin.dataplane.packet.Ipv6Text;

/**
 * One NLRI prefix (RFC 4271 §4.3; RFC 4760 §5): a family, the address left-aligned in two
 * {@code long}s (the dataplane's {@link Family} convention: IPv4 {@code a.b.c.d} is
 * {@code hi = 0xaabbccdd_00000000L}), and the prefix length. On the wire it is a length octet
 * and the fewest octets that hold it; trailing bits are ignored on receipt and zero here.
 */
public record BgpPrefix(Family family, long hi, long lo, int length) {
    public BgpPrefix {
        if (length < 0 || length > family.bits()) {
            throw new IllegalArgumentException(family + " prefix length must be 0-" + family.bits() + ", not " + length);
        }
        long hiMask = length >= 64 ? -1L : length == 0 ? 0 : -1L << (64 - length);
        long loMask = length <= 64 ? 0 : length == 128 ? -1L : -1L << (128 - length);
        hi &= hiMask;
        lo &= loMask;
    }

    public static BgpPrefix of(Ipv4Prefix p) {
        return new BgpPrefix(Family.IPV4, Family.ipv4Key(p.address()), 0, p.length());
    }

    public static BgpPrefix ipv4(String text) {
        return of(Ipv4Prefix.parse(text));
    }

    public static BgpPrefix ipv6(String text) {
        int slash = text.indexOf('/');
        String addr = text.substring(0, slash);
        return new BgpPrefix(Family.IPV6, Ipv6Text.hi(addr), Ipv6Text.lo(addr), Integer.parseInt(text.substring(slash + 1)));
    }

    /** The IPv4 prefix; only for {@link Family#IPV4}. */
    public Ipv4Prefix toIpv4() {
        if (family != Family.IPV4) {
            throw new IllegalStateException(this + " is not an IPv4 prefix");
        }
        return new Ipv4Prefix((int) (hi >>> 32), length);
    }

    /** Octets on the wire: the length octet and the address octets. */
    int wireLength() {
        return 1 + (length + 7) / 8;
    }

    @Override
    public String toString() {
        return family == Family.IPV4 ? toIpv4().toString() : Ipv6Text.format(hi, lo) + "/" + length;
    }
}
