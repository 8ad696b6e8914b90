package io.muslin.dataplane.table;

/**
 * An address family, as the route table sees it: a key width. Keys of either family travel as
 * two {@code long}s holding the address left-aligned (IPv4 {@code a.b.c.d} is
 * {@code hi = 0xaabbccdd_00000000L, lo = 0}), so one trie walks both.
 */
public enum Family {
    IPV4(32),
    IPV6(128);

    private final int bits;

    Family(int bits) {
        this.bits = bits;
    }

    /** Address width: 32 or 128. */
    public int bits() {
        return bits;
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
            throw new IllegalArgumentException("host bits set in " + Ipv6Text.formatKey(this, hi, lo) + "/" + length);
        }
    }
}
