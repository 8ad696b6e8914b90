package io.muslin.node;

import io.muslin.dataplane.packet.Ipv4Address;
import io.muslin.dataplane.packet.Ipv4Prefix;
import io.muslin.node.state.AtomicFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * flannel's {@code subnet.env}, which the flannel CNI plugin reads to configure pods:
 * <pre>
 *   FLANNEL_NETWORK=10.244.0.0/16
 *   FLANNEL_SUBNET=10.244.1.1/24      first usable address of the node subnet, with its length
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

    /** The file's content. */
    public static String render(Ipv4Prefix network, Ipv4Prefix subnet, int mtu, boolean ipMasq) {
        return "FLANNEL_NETWORK=" + network + "\n"
            + "FLANNEL_SUBNET=" + Ipv4Address.format(subnet.address() + 1) + "/" + subnet.length() + "\n"
            + "FLANNEL_MTU=" + mtu + "\n"
            + "FLANNEL_IPMASQ=" + ipMasq + "\n";
    }

    /** Writes the file atomically (a reader never sees half of it). */
    public void write(Ipv4Prefix network, Ipv4Prefix subnet, int mtu, boolean ipMasq) throws IOException {
        AtomicFiles.write(file, render(network, subnet, mtu, ipMasq), AtomicFiles.WORLD_READABLE);
    }

    /** Removes the file; true if it existed. */
    public boolean remove() throws IOException {
        return Files.deleteIfExists(file);
    }
}
