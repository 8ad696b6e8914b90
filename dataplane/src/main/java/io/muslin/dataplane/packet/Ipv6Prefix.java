package io.muslin.dataplane.packet;

/**
 * An IPv6 prefix such as {@code fd00:10:244:1::/64}. The address is always the network address
 * (host bits zero); {@link #parse} rejects text whose host bits are set. The IPv6 counterpart of
 * {@link Ipv4Prefix}: the same forms, flannel's key form included ({@link #toKey}).
 */
public record Ipv6Prefix(long hi, long lo, int length) {

    public Ipv6Prefix {
        if (length < 0 || length > 128) {
            throw new IllegalArgumentException("IPv6 prefix length must be 0-128, not " + length);
        }
        if ((hi & ~maskHi(length)) != 0 || (lo & ~maskLo(length)) != 0) {
            throw new IllegalArgumentException("host bits set in " + Ipv6Text.format(hi, lo) + "/" + length
                + " (expected the network address " + Ipv6Text.format(hi & maskHi(length), lo & maskLo(length)) + ")");
        }
    }

    /**
     * Parses {@code addr/len}: an IPv6 literal, a slash and a length of 1-3 ASCII digits, with
     * nothing between them (blanks around the whole text are ignored).
     */
    public static Ipv6Prefix parse(String text) {
        if (text == null) {
            throw new IllegalArgumentException("IPv6 prefix is missing (expected: addr/len, e.g. fd00:10:244::/56)");
        }
        String t = text.trim();
        int slash = t.indexOf('/');
        if (slash < 0) {
            throw new IllegalArgumentException("not an IPv6 prefix: \"" + text + "\" (expected: addr/len, e.g. fd00:10:244::/56)");
        }
        String address = t.substring(0, slash);
        String lenText = t.substring(slash + 1);
        if (lenText.isEmpty() || lenText.length() > 3 || !lenText.chars().allMatch(c -> c >= '0' && c <= '9')
            || !address.equals(address.trim())) {
            throw new IllegalArgumentException("not an IPv6 prefix: \"" + text + "\" (expected: addr/len, len 0-128)");
        }
        int len = Integer.parseInt(lenText);
        if (len > 128) {
            throw new IllegalArgumentException("IPv6 prefix length must be 0-128: \"" + text + "\"");
        }
        return new Ipv6Prefix(Ipv6Text.hi(address), Ipv6Text.lo(address), len);
    }

    /** The high word of the netmask of a prefix length 0..128. */
    public static long maskHi(int length) {
        return length == 0 ? 0 : length >= 64 ? -1L : -1L << (64 - length);
    }

    /** The low word of the netmask of a prefix length 0..128. */
    public static long maskLo(int length) {
        return length <= 64 ? 0 : length == 128 ? -1L : -1L << (128 - length);
    }

    public boolean contains(long addrHi, long addrLo) {
        return (addrHi & maskHi(length)) == hi && (addrLo & maskLo(length)) == lo;
    }

    /** True when every address of {@code other} is inside this prefix. */
    public boolean contains(Ipv6Prefix other) {
        return other.length >= length && contains(other.hi, other.lo);
    }

    /** True when the two prefixes share an address (one holds the other). */
    public boolean overlaps(Ipv6Prefix other) {
        return contains(other) || other.contains(this);
    }

    /** The network address (the VTEP address flannel gives {@code flannel-v6.1}: the subnet's first address). */
    public Ipv6Address address() {
        return new Ipv6Address(hi, lo);
    }

    /** The address {@code n} after the network address, e.g. 1 for the first usable one ({@code subnet.env}). */
    public Ipv6Address plus(long n) {
        long l = lo + n;
        long h = hi + (Long.compareUnsigned(l, lo) < 0 ? 1 : 0);
        return new Ipv6Address(h, l);
    }

    /** flannel's key form: {@code fd00:10:244:1::-64} ({@code IP6Net.StringSep(":", "-")}). */
    public String toKey() {
        return Ipv6Text.format(hi, lo) + "-" + length;
    }

    @Override
    public String toString() {
        return Ipv6Text.format(hi, lo) + "/" + length;
    }
}
