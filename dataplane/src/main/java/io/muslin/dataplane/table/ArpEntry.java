package io.muslin.dataplane.table;

import io.muslin.dataplane.packet.Ipv4Address;
import io.muslin.dataplane.packet.MacAddress;

/** A neighbor (ARP) entry: the next hop {@code ip} is the VTEP with this MAC. */
public record ArpEntry(int ip, long mac) implements Keyed {
    @Override
    public long key() {
        return ip & 0xFFFF_FFFFL;
    }

    @Override
    public String toString() {
        return Ipv4Address.format(ip) + " lladdr " + MacAddress.format(mac);
    }
}
