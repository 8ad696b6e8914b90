package io.muslin.node;

import io.muslin.control.program.KernelRoutes;
import io.muslin.dataplane.packet.Ipv4Address;
import io.muslin.dataplane.packet.Ipv4Prefix;
import io.muslin.tun.linux.LinuxException;
import io.muslin.tun.linux.RouteNetlink;
import io.muslin.tun.linux.RouteNetlink.RouteInfo;
import java.io.IOException;
import java.net.NetworkInterface;
import java.net.SocketException;

/**
 * {@link KernelRoutes} over rtnetlink: {@code ip route replace S via P dev <underlay> proto 109}
 * for peers routed directly, and {@code ip route get} to tell whether a peer is on-link (as
 * flannel decides DirectRouting: the kernel's route to the peer has no gateway).
 *
 * <p>The routes carry protocol 109, so what a crashed run left behind is recognisable:
 * {@link #removeStale} deletes it at start.
 */
final class NetlinkKernelRoutes implements KernelRoutes {
    private final RouteNetlink netlink;

    NetlinkKernelRoutes() throws LinuxException {
        this.netlink = new RouteNetlink();
    }

    @Override
    public synchronized Reach reach(int address) throws IOException {
        RouteInfo r = netlink.lookup(address);
        return new Reach(r.onLink(), (r.gateway() != 0 ? "via " + Ipv4Address.format(r.gateway()) + " " : "")
            + "dev " + interfaceName(r.oif()));
    }

    @Override
    public synchronized void add(Ipv4Prefix subnet, int gateway) throws IOException {
        RouteInfo r = netlink.lookup(gateway);
        if (!r.onLink()) {
            throw new IOException(Ipv4Address.format(gateway) + " is not on-link (the kernel routes it "
                + (r.gateway() != 0 ? "via " + Ipv4Address.format(r.gateway()) : "as type " + r.type()) + ")");
        }
        netlink.addRoute(subnet.address(), subnet.length(), r.oif(), gateway, false);
    }

    @Override
    public synchronized void remove(Ipv4Prefix subnet, int gateway) throws IOException {
        netlink.deleteRoute(subnet.address(), subnet.length(), 0, gateway);
    }

    /**
     * Deletes the routes with a gateway into {@code network} that carry muslin's protocol (109):
     * what a daemon that died without its teardown left. Returns how many went.
     */
    synchronized int removeStale(Ipv4Prefix network) throws IOException {
        int removed = 0;
        for (RouteInfo r : netlink.routes(RouteNetlink.RTPROT_MUSLIN)) {
            if (r.gateway() != 0 && network.contains(new Ipv4Prefix(r.dst(), r.dstLen()))) {
                netlink.deleteRoute(r.dst(), r.dstLen(), r.oif(), r.gateway());
                removed++;
            }
        }
        return removed;
    }

    private static String interfaceName(int index) {
        try {
            NetworkInterface nif = index == 0 ? null : NetworkInterface.getByIndex(index);
            return nif != null ? nif.getName() : "#" + index;
        } catch (SocketException e) {
            return "#" + index;
        }
    }

    @Override
    public synchronized void close() {
        netlink.close();
    }
}
