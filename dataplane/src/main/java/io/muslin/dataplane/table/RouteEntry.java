package io.muslin.dataplane.table;

/**
 * What {@link LpmTrie} stores: a value that knows its prefix. The key is left-aligned in two
 * words (see {@link Family}); bits past {@link #length()} are zero.
 */
public interface RouteEntry {
    /** Key bits 0-63. */
    long keyHi();

    /** Key bits 64-127 (0 for IPv4). */
    long keyLo();

    /** Prefix length in bits. */
    int length();

    /** {@link Route#ENCAP}, {@link Route#DIRECT}, ... */
    int flags();
}
