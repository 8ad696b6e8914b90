package io.muslin.control.hub;

import io.muslin.control.tls.PeerIdentity;
import io.muslin.dataplane.packet.Ipv4Address;
import java.util.List;
import java.util.Objects;
import javax.net.ssl.SSLSession;

/**
 * Who is at the other end of a hub session, and what it may announce: the name and IPv4
 * addresses of its certificate, or, on an insecure hub, the name it said with any address.
 *
 * @param name      the node's name (the certificate's CN)
 * @param addresses the PublicIPs its leases may carry (the certificate's IP SANs)
 * @param anyAddress true on an insecure hub: nothing binds the node to an address
 */
public record NodeIdentity(String name, List<Integer> addresses, boolean anyAddress) {
    public NodeIdentity {
        Objects.requireNonNull(name, "name");
        addresses = List.copyOf(addresses);
    }

    /** A node by its verified TLS session: its certificate's CN and IP SANs ({@link PeerIdentity}). */
    public static NodeIdentity of(SSLSession session) {
        PeerIdentity peer = PeerIdentity.of(session);
        return new NodeIdentity(peer.name(), peer.addresses(), false);
    }

    /** A node of a hub configured as insecure: trusted by its word. */
    public static NodeIdentity insecure(String name) {
        return new NodeIdentity(name, List.of(), true);
    }

    /** True if a lease of this node may carry {@code publicIp}. */
    public boolean owns(int publicIp) {
        return anyAddress || addresses.contains(publicIp);
    }

    @Override
    public String toString() {
        return anyAddress ? name + " (insecure)"
            : name + " " + addresses.stream().map(Ipv4Address::format).toList();
    }
}
