package io.muslin.dataplane.packet;

/**
 * An IPv6 address as two words in network order ({@code hi} holds the first 8 bytes), e.g. a
 * node's {@code PublicIPv6}. Text in and out as {@link Ipv6Text} reads and writes it (RFC 5952).
 */
public record Ipv6Address(long hi, long lo) {
    /** The unspecified address {@code ::}. */
    public static final Ipv6Address UNSPECIFIED = new Ipv6Address(0, 0);

    /** Parses an IPv6 literal, never resolving names; throws IllegalArgumentException naming the text. */
    public static Ipv6Address parse(String text) {
        return new Ipv6Address(Ipv6Text.hi(text), Ipv6Text.lo(text));
    }

    /** True for {@code ::}. */
    public boolean isUnspecified() {
        return hi == 0 && lo == 0;
    }

    /** True for ff00::/8. */
    public boolean isMulticast() {
        return Ipv6.isMulticast(hi);
    }

    @Override
    public String toString() {
        return Ipv6Text.format(hi, lo);
    }
}
