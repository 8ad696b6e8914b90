package io.muslin.dataplane.engine;

import io.muslin.dataplane.packet.Ipv4Prefix;

/**
 * What the VXLAN dataplane of one node needs, already validated by the caller.
 *
 * @param interfaceName TUN device name (e.g. {@code muslin0})
 * @param network       the cluster pod network (kernel route via the device)
 * @param nodeSubnet    this node's subnet; the device gets its network address /32
 * @param publicIp      this node's underlay IPv4 address (outer source)
 * @param vtepMac       this node's VTEP MAC (inner Ethernet source)
 * @param vni           VXLAN network identifier, 0..16777215
 * @param port          UDP destination port we listen on and send to (8472)
 * @param mtu           TUN MTU (underlay MTU - 50, or configured)
 */
public record VxlanSettings(String interfaceName, Ipv4Prefix network, Ipv4Prefix nodeSubnet,
                            int publicIp, long vtepMac, int vni, int port, int mtu) {
}
