package io.muslin.dataplane.table;

import io.muslin.dataplane.packet.Ipv4Address;
import io.muslin.dataplane.packet.MacAddress;

/** Forwarding database entry: a remote VTEP MAC lives behind this underlay (public) IPv4 address. */
public record FdbEntry(long mac, int underlay) {
    @Override
    public String toString() {
        return MacAddress.format(mac) + " dst " + Ipv4Address.format(underlay);
    }
}
