package io.muslin.dataplane.packet;

/**
 * An IPv4 prefix such as {@code 10.244.1.0/24}. The address is always the network address
 * (host bits zero); {@link #parse} rejects text whose host bits are set.
 */
public record Ipv4Prefix(int address, int length) {

    public Ipv4Prefix {
        if (length < 0 || length > 32) {
            throw new IllegalArgumentException("IPv4 prefix length must be 0-32, not " + length);
        }
        if ((address & ~Ipv4Address.mask(length)) != 0) {
            throw new IllegalArgumentException("host bits set in " + Ipv4Address.format(address) + "/" + length
                + " (expected the network address " + Ipv4Address.format(address & Ipv4Address.mask(length)) + ")");
        }
    }

    /**
     * Parses {@code a.b.c.d/len}: a dotted quad, a slash and a length of 1-2 ASCII digits, with
     * nothing between them (blanks around the whole text are ignored).
     */
    public static Ipv4Prefix parse(String text) {
        if (text == null) {
            throw new IllegalArgumentException("IPv4 prefix is missing (expected: a.b.c.d/len)");
        }
        String t = text.trim();
        int slash = t.indexOf('/');
        if (slash < 0) {
            throw new IllegalArgumentException("not an IPv4 prefix: \"" + text + "\" (expected: a.b.c.d/len)");
        }
        String address = t.substring(0, slash);
        String lenText = t.substring(slash + 1);
        if (lenText.isEmpty() || lenText.length() > 2 || !lenText.chars().allMatch(c -> c >= '0' && c <= '9')
            || !address.equals(address.trim())) {
            throw new IllegalArgumentException("not an IPv4 prefix: \"" + text + "\" (expected: a.b.c.d/len, len 0-32)");
        }
        int len = Integer.parseInt(lenText);
        if (len > 32) {
            throw new IllegalArgumentException("IPv4 prefix length must be 0-32: \"" + text + "\"");
        }
        return new Ipv4Prefix(Ipv4Address.parse(address), len);
    }

    public boolean contains(int addr) {
        return (addr & Ipv4Address.mask(length)) == address;
    }

    /** True when every address of {@code other} is inside this prefix. */
    public boolean contains(Ipv4Prefix other) {
        return other.length >= length && contains(other.address);
    }

    public int mask() {
        return Ipv4Address.mask(length);
    }

    /** flannel's key form: {@code 10.244.1.0-24}. */
    public String toKey() {
        return Ipv4Address.format(address) + "-" + length;
    }

    @Override
    public String toString() {
        return Ipv4Address.format(address) + "/" + length;
    }
}
