package io.muslin.dataplane.table;

/**
 * What {@link LpmTrie} stores: a route that knows its prefix and next hop. The key is
 * left-aligned in two words (see {@link Family}); bits past {@link #length()} are zero. The
 * trie keeps routes packed and makes these objects again when asked ({@link #of}).
 */
public interface RouteEntry {
    /** Key bits 0-63. */
    long keyHi();

    /** Key bits 64-127 (0 for IPv4). */
    long keyLo();

    /** Prefix length in bits. */
    int length();

    /** The next hop as a key of the same family: bits 0-63. */
    long nextHopHi();

    /** The next hop's bits 64-127 (0 for IPv4). */
    long nextHopLo();

    /** {@link Route#ENCAP}, {@link Route#DIRECT}, ... */
    int flags();

    /** The route of the next hop's family to the prefix ({@code hi}, {@code lo}, {@code length}). */
    static RouteEntry of(long hi, long lo, int length, NextHop via) {
        return via.family() == Family.IPV4
            ? new Route((int) (hi >>> 32), length, via.address(), via.flags())
            : new Route6(hi, lo, length, via.hi(), via.lo(), via.flags());
    }
}
