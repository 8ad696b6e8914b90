package io.muslin.dataplane.table;

import io.muslin.dataplane.packet.Ipv6Text;

import io.muslin.dataplane.packet.MacAddress;

/**
 * An IPv6 neighbor entry (what {@code ip -6 neigh} holds; RFC 4861's neighbor cache): the next
 * hop ({@code hi}, {@code lo}) is the VTEP with this MAC. flannel programs one per peer on
 * {@code flannel-v6.1}: the peer's IPv6 subnet address, e.g. {@code fd00:10:244:2:: lladdr
 * VtepMACv6}. The IPv4 counterpart is {@link ArpEntry}.
 */
public record NdEntry(long hi, long lo, long mac) implements Addressed {
    @Override
    public long addressHi() {
        return hi;
    }

    @Override
    public long addressLo() {
        return lo;
    }

    @Override
    public String toString() {
        return Ipv6Text.format(hi, lo) + " lladdr " + MacAddress.format(mac);
    }
}
