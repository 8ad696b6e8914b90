package io.muslin.dataplane.table;

/**
 * What {@link AddressMap} stores: a value that knows its 128-bit key, an address laid out as
 * {@link Family} says (two words, network order).
 */
public interface Addressed {
    /** Address bits 0-63. */
    long addressHi();

    /** Address bits 64-127 (0 for IPv4). */
    long addressLo();
}
