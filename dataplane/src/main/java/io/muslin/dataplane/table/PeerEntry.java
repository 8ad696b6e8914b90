package io.muslin.dataplane.table;

import io.muslin.dataplane.packet.Ipv4Address;

/**
 * A peer node known by its underlay (public) IPv4 address. The inbound paths ask whether a
 * packet's outer source is a peer at all ({@link Tables.Snapshot#isPeer}).
 */
public record PeerEntry(int underlay) implements Keyed {
    @Override
    public long key() {
        return underlay & 0xFFFF_FFFFL;
    }

    @Override
    public String toString() {
        return Ipv4Address.format(underlay);
    }
}
