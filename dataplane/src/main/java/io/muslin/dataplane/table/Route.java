package io.muslin.dataplane.table;

import io.muslin.dataplane.packet.Ipv4Address;
import io.muslin.dataplane.packet.Ipv4Prefix;

/**
 * A route: packets for {@code prefix} go to {@code nextHop} (flannel's peer-subnet network
 * address, e.g. {@code 10.244.2.0}), which the ARP table maps to a VTEP MAC.
 */
public record Route(Ipv4Prefix prefix, int nextHop) {
    @Override
    public String toString() {
        return prefix + " via " + Ipv4Address.format(nextHop);
    }
}
