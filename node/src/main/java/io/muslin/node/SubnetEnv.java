package io.muslin.node;

import io.muslin.dataplane.packet.Ipv4Address;
import io.muslin.dataplane.engine.DataplaneSettings;
import io.muslin.dataplane.packet.Ipv4Prefix;
import io.muslin.dataplane.packet.Ipv6Prefix;
import io.muslin.node.state.AtomicFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * flannel's {@code subnet.env}, which the flannel CNI plugin reads to configure pods:
 * <pre>
 *   FLANNEL_NETWORK=10.244.0.0/16
 *   FLANNEL_SUBNET=10.244.1.1/24      first usable address of the node subnet, with its length
 *   FLANNEL_IPV6_NETWORK=fd00:10:244::/56      with EnableIPv6 only, as flannel writes them
 *   FLANNEL_IPV6_SUBNET=fd00:10:244:1::1/64    (first usable address of the IPv6 subnet)
 *   FLANNEL_MTU=1450
 *   FLANNEL_IPMASQ=true               the node masquerades traffic leaving the network (IPMasq)
 * </pre>
 * It is the readiness signal: written (atomically) only once forwarding is up, removed on
 * shutdown.
 */
public final class SubnetEnv {
    public static final String DEFAULT_FILE = "/run/muslin/subnet.env";

    private final Path file;

    public SubnetEnv(Path file) {
        this.file = file;
    }

    public Path file() {
        return file;
    }

    /** The file's content for an IPv4-only network. */
    public static String render(Ipv4Prefix network, Ipv4Prefix subnet, int mtu, boolean ipMasq) {
        return render(network, subnet, null, null, mtu, ipMasq);
    }

    /**
     * The file's content, in flannel's order.
     *
     * @param network6 the IPv6 network, or null (then {@code subnet6} too)
     */
    public static String render(Ipv4Prefix network, Ipv4Prefix subnet, Ipv6Prefix network6, Ipv6Prefix subnet6, int mtu,
                                boolean ipMasq) {
        StringBuilder b = new StringBuilder()
            .append("FLANNEL_NETWORK=").append(network).append('\n')
            .append("FLANNEL_SUBNET=").append(Ipv4Address.format(subnet.address() + 1)).append('/').append(subnet.length())
            .append('\n');
        if (network6 != null) {
            b.append("FLANNEL_IPV6_NETWORK=").append(network6).append('\n')
                .append("FLANNEL_IPV6_SUBNET=").append(subnet6.plus(1)).append('/').append(subnet6.length()).append('\n');
        }
        return b.append("FLANNEL_MTU=").append(mtu).append('\n')
            .append("FLANNEL_IPMASQ=").append(ipMasq).append('\n').toString();
    }

    /** Writes the file atomically (a reader never sees half of it). */
    public void write(Ipv4Prefix network, Ipv4Prefix subnet, int mtu, boolean ipMasq) throws IOException {
        write(network, subnet, null, mtu, ipMasq);
    }

    /** As {@link #write(Ipv4Prefix, Ipv4Prefix, int, boolean)}, with the IPv6 lines of {@code ipv6} (null: none). */
    public void write(Ipv4Prefix network, Ipv4Prefix subnet, DataplaneSettings.Ipv6 ipv6, int mtu, boolean ipMasq)
        throws IOException {
        String text = ipv6 == null ? render(network, subnet, mtu, ipMasq)
            : render(network, subnet, ipv6.network(), ipv6.nodeSubnet(), mtu, ipMasq);
        AtomicFiles.write(file, text, AtomicFiles.WORLD_READABLE);
    }

    /** Removes the file; true if it existed. */
    public boolean remove() throws IOException {
        return Files.deleteIfExists(file);
    }
}
