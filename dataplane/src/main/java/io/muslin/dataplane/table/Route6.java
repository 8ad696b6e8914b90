package io.muslin.dataplane.table;

import io.muslin.dataplane.packet.Ipv6Text;

/**
 * An IPv6 route: the prefix ({@code hi}, {@code lo}, {@code length}) goes to the IPv6 next hop
 * ({@code nextHopHi}, {@code nextHopLo}) as the flags say ({@link Route#ENCAP},
 * {@link Route#DIRECT}). Addresses are two longs in network order (see {@link Ipv6Text}).
 */
public record Route6(long hi, long lo, int length, long nextHopHi, long nextHopLo, int flags) implements RouteEntry {

    public Route6 {
        Family.IPV6.checkHostBits(hi, lo, length);
        if (flags < 0 || flags > 0xFF) {
            throw new IllegalArgumentException("route flags must be 0-255, not " + flags);
        }
    }

    /** Parses {@code fd00:1::/64} and {@code fd00::1}, for tests and the CLI. */
    public static Route6 parse(String prefix, String nextHop, int flags) {
        int slash = prefix.indexOf('/');
        if (slash < 0) {
            throw new IllegalArgumentException("not an IPv6 prefix: \"" + prefix + "\" (expected: addr/len)");
        }
        String addr = prefix.substring(0, slash);
        int len;
        try {
            len = Integer.parseInt(prefix.substring(slash + 1).trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("not an IPv6 prefix: \"" + prefix + "\" (expected: addr/len, len 0-128)");
        }
        return new Route6(Ipv6Text.hi(addr), Ipv6Text.lo(addr), len, Ipv6Text.hi(nextHop), Ipv6Text.lo(nextHop), flags);
    }

    @Override
    public long keyHi() {
        return hi;
    }

    @Override
    public long keyLo() {
        return lo;
    }

    /** True when the packet goes to the next hop without encapsulation. */
    public boolean direct() {
        return (flags & Route.DIRECT) != 0;
    }

    @Override
    public String toString() {
        return Ipv6Text.format(hi, lo) + "/" + length + " via " + Ipv6Text.format(nextHopHi, nextHopLo)
            + (direct() ? " direct" : "");
    }
}
