package io.muslin.control.program;

import io.muslin.dataplane.packet.Ipv4Prefix;
import java.io.IOException;

/**
 * The kernel routes {@link PeerProgrammer} installs for peers it reaches without encapsulation
 * (host-gw, and on-link peers with DirectRouting): {@code subnet via publicIp}. Implemented over
 * rtnetlink in the node; tests use a fake.
 */
public interface KernelRoutes extends AutoCloseable {
    /** For a node that never routes directly: every call fails. */
    KernelRoutes NONE = new KernelRoutes() {
        @Override
        public Reach reach(int address) throws IOException {
            throw new IOException("no kernel routes in this mode");
        }

        @Override
        public void add(Ipv4Prefix subnet, int gateway) throws IOException {
            throw new IOException("no kernel routes in this mode");
        }

        @Override
        public void remove(Ipv4Prefix subnet, int gateway) throws IOException {
            throw new IOException("no kernel routes in this mode");
        }
    };

    /**
     * How the kernel reaches an underlay address now.
     *
     * @param onLink true when the address is on a directly attached network (no gateway)
     * @param how    what the kernel said, for messages (e.g. {@code "via 192.168.50.254 dev eth0"})
     */
    record Reach(boolean onLink, String how) {
    }

    /** Asks the kernel how it reaches {@code address} (a peer's PublicIP). */
    Reach reach(int address) throws IOException;

    /** Adds or replaces the route {@code subnet via gateway}. */
    void add(Ipv4Prefix subnet, int gateway) throws IOException;

    /** Removes the route {@code subnet via gateway}; one that is gone already is not an error. */
    void remove(Ipv4Prefix subnet, int gateway) throws IOException;

    /** Releases what this object holds (not the routes it added). */
    @Override
    default void close() {
    }
}
