package io.muslin.control.bgp.speaker;

import io.muslin.dataplane.packet.Ipv4Address;

/**
 * One configured neighbor: a route reflector, or another node of a full mesh.
 *
 * @param address its IPv4 address (where we connect, and where its connections come from)
 * @param as      its AS: the same as ours for iBGP (Calico's 64512), another for eBGP
 * @param port    its BGP port (179)
 */
public record BgpPeerConfig(int address, long as, int port) {
    public BgpPeerConfig {
        if (as < 1 || as > 0xFFFF_FFFFL) {
            throw new IllegalArgumentException("AS " + as + " is out of range (accepted: 1-4294967295)");
        }
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("port " + port + " is out of range (accepted: 1-65535)");
        }
    }

    @Override
    public String toString() {
        return Ipv4Address.format(address) + (port == io.muslin.control.bgp.Bgp.PORT ? "" : ":" + port) + " as " + as;
    }
}
