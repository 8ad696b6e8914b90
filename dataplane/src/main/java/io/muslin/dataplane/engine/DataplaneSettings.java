package io.muslin.dataplane.engine;

import io.muslin.dataplane.Encapsulation;
import io.muslin.dataplane.packet.Ipv4Prefix;
import io.muslin.dataplane.path.SourceCheck;

/**
 * What the overlay dataplane of one node needs, already validated by the caller.
 *
 * @param interfaceName TUN device name (e.g. {@code muslin0})
 * @param encapsulation VXLAN or IP-in-IP
 * @param network       the cluster pod network (kernel route via the device)
 * @param nodeSubnet    this node's subnet; the device gets its network address /32
 * @param publicIp      this node's underlay IPv4 address (outer source)
 * @param vtepMac       this node's VTEP MAC (inner Ethernet source; VXLAN only)
 * @param vni           VXLAN network identifier, 0..16777215 (VXLAN only)
 * @param port          UDP destination port we listen on and send to, 8472 (VXLAN only)
 * @param mtu           TUN MTU (underlay MTU minus the encapsulation's overhead, or configured)
 * @param autoMtu       the TUN MTU follows the underlay device's (else {@code mtu} was configured)
 * @param underlayIndex interface index of the underlay device, whose MTU changes are followed (0: none)
 * @param underlayMtu   MTU of the underlay device: the path MTU of every peer until ICMP says less
 * @param mssClamp      {@link io.muslin.dataplane.path.MtuGuard#NO_MSS_CLAMP}, {@link
 *                      io.muslin.dataplane.path.MtuGuard#AUTO_MSS} or a fixed MSS
 * @param sourceCheck   how received packets' senders are checked ({@link SourceCheck})
 */
public record DataplaneSettings(String interfaceName, Encapsulation encapsulation, Ipv4Prefix network,
                                Ipv4Prefix nodeSubnet, int publicIp, long vtepMac, int vni, int port, int mtu,
                                boolean autoMtu, int underlayIndex, int underlayMtu, int mssClamp,
                                SourceCheck.Mode sourceCheck) {
}
