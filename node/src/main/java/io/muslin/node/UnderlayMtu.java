package io.muslin.node;

import io.muslin.dataplane.Encapsulation;
import io.muslin.dataplane.packet.Ipv4Address;
import io.muslin.node.config.NodeConfig.Backend;
import java.io.IOException;
import java.net.NetworkInterface;

/** The automatic tunnel MTU: the MTU of the underlay interface holding PublicIP, less the encapsulation's overhead. */
final class UnderlayMtu {
    private UnderlayMtu() {
    }

    /** E.g. 1500 - 50 = 1450 for VXLAN on an Ethernet underlay, 1480 for IP-in-IP, 1500 for host-gw. */
    static int tunnelMtu(int publicIp, Encapsulation encapsulation) throws IOException {
        NetworkInterface nif = NetworkInterface.getByInetAddress(Ipv4Address.toInet(publicIp));
        if (nif == null) {
            throw new IOException("Node.PublicIP " + Ipv4Address.format(publicIp)
                + " is not assigned to any local interface (needed to compute the MTU; or set Backend.MTU)");
        }
        int underlay = nif.getMTU();
        int mtu = underlay - encapsulation.bytes(4);
        if (mtu < Backend.MIN_MTU) {
            throw new IOException("underlay interface " + nif.getName() + " has MTU " + underlay + ", leaving " + mtu
                + " for the tunnel (accepted: " + Backend.MIN_MTU + "+)");
        }
        return Math.min(mtu, Backend.MTU.max());
    }
}
