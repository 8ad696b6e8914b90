package io.muslin.dataplane.table;

/**
 * An address family, as the route table sees it: a key width. Keys of either family travel as
 * two {@code long}s holding the address left-aligned (IPv4 {@code a.b.c.d} is
 * {@code hi = 0xaabbccdd_00000000L, lo = 0}), so one trie walks both.
 */
public enum Family {
    IPV4(32, 4, 20),
    IPV6(128, 6, 40);

    private static final Family[] BY_VERSION = {null, null, null, null, IPV4, null, IPV6, null,
        null, null, null, null, null, null, null, null};

    private final int bits;
    private final int version;
    private final int headerLength;

    Family(int bits, int version, int headerLength) {
        this.bits = bits;
        this.version = version;
        this.headerLength = headerLength;
    }

    /** Address width: 32 or 128. */
    public int bits() {
        return bits;
    }

    /** The IP version number: 4 or 6 (what an IP header's first nibble says). */
    public int version() {
        return version;
    }

    /** The length of this family's IP header without options or extension headers: 20 or 40. */
    public int headerLength() {
        return headerLength;
    }

    /** The family of IP version {@code version} (a header's first nibble, 0-15), or null for any other. */
    public static Family ofVersion(int version) {
        return BY_VERSION[version & 0xF];
    }

    /** The family of an IPv4 or IPv6 {@code InetAddress}. */
    public static Family of(java.net.InetAddress address) {
        return address instanceof java.net.Inet6Address ? IPV6 : IPV4;
    }

    /** The high key word of an IPv4 address. */
    public static long ipv4Key(int address) {
        return (address & 0xFFFF_FFFFL) << 32;
    }

    /** Throws unless {@code length} is a prefix length of this family, naming the family and range. */
    void checkLength(int length) {
        if (length < 0 || length > bits) {
            throw new IllegalArgumentException(name() + " prefix length must be 0-" + bits + ", not " + length);
        }
    }

    /** Throws unless the bits past {@code length} of ({@code hi}, {@code lo}) are zero. */
    void checkHostBits(long hi, long lo, int length) {
        checkLength(length);
        long hostHi = length >= 64 ? 0 : length == 0 ? -1L : -1L >>> length;
        long hostLo = length >= 128 ? 0 : length <= 64 ? -1L : -1L >>> (length - 64);
        if (this == IPV4) {
            hostLo = 0;
            hostHi &= 0xFFFF_FFFF_0000_0000L;
            if ((hi & 0xFFFF_FFFFL) != 0 || lo != 0) {
                throw new IllegalArgumentException("IPv4 key has bits past 32: " + Long.toHexString(hi) + "/" + lo);
            }
        }
        if ((hi & hostHi) != 0 || (lo & hostLo) != 0) {
            throw new IllegalArgumentException("host bits set in " + Underlay.format(this, hi, lo) + "/" + length);
        }
    }
}
