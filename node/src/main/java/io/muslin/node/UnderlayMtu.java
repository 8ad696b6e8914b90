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
        return tunnelMtu(device(publicIp), encapsulation);
    }

    /** The underlay device: the interface holding PublicIP. */
    static NetworkInterface device(int publicIp) throws IOException {
        NetworkInterface nif = NetworkInterface.getByInetAddress(Ipv4Address.toInet(publicIp));
        if (nif == null) {
            throw new IOException("Node.PublicIP " + Ipv4Address.format(publicIp)
                + " is not assigned to any local interface (needed to compute the MTU; or set Backend.MTU)");
        }
        return nif;
    }

    /** The IPv6 underlay device: the interface holding PublicIPv6. */
    static NetworkInterface device(io.muslin.dataplane.packet.Ipv6Address publicIpv6) throws IOException {
        byte[] a = java.nio.ByteBuffer.allocate(16).putLong(publicIpv6.hi()).putLong(publicIpv6.lo()).array();
        NetworkInterface nif = NetworkInterface.getByInetAddress(java.net.InetAddress.getByAddress(a));
        if (nif == null) {
            throw new IOException("Node.PublicIPv6 " + publicIpv6
                + " is not assigned to any local interface (needed to compute the MTU; or set Backend.MTU)");
        }
        return nif;
    }

    /** The tunnel MTU over {@code nif} as it is now. */
    static int tunnelMtu(NetworkInterface nif, Encapsulation encapsulation) throws IOException {
        return tunnelMtu(nif.getName(), nif.getMTU(), encapsulation);
    }

    /** The tunnel MTU over an underlay device {@code name} of MTU {@code underlay}; fails below the IPv4 minimum. */
    static int tunnelMtu(String name, int underlay, Encapsulation encapsulation) throws IOException {
        int mtu = underlay - encapsulation.bytes(4);
        if (mtu < Backend.MIN_MTU) {
            throw new IOException("underlay interface " + name + " has MTU " + underlay + ", leaving " + mtu
                + " for the tunnel (accepted: " + Backend.MIN_MTU + "+)");
        }
        return Math.min(mtu, Backend.MTU.max());
    }
}
