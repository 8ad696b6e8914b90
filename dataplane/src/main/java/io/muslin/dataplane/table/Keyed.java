package io.muslin.dataplane.table;

/** What {@link HashTrie} stores: a value that knows its primitive key. */
public interface Keyed {
    /** The key: a MAC in its low 48 bits, an IPv4 address as an unsigned int, ... */
    long key();
}
