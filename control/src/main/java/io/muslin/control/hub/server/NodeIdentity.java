package io.muslin.control.hub.server;

import io.muslin.control.tls.PeerIdentity;
import io.muslin.dataplane.packet.Ipv4Address;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Objects;
import javax.net.ssl.SSLPeerUnverifiedException;
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

    /** extKeyUsage serverAuth: what a hub's certificate has and a node's has not. */
    static final String SERVER_AUTH = "1.3.6.1.5.5.7.3.1";

    /**
     * A node by its verified TLS session: its certificate's CN and IP SANs ({@link PeerIdentity}).
     * A hub's certificate (serverAuth) is refused: it names the hub's addresses, and a hub is not
     * a node that may lease a subnet at them.
     */
    public static NodeIdentity of(SSLSession session) {
        PeerIdentity peer = PeerIdentity.of(session);
        try {
            if (session.getPeerCertificates()[0] instanceof X509Certificate cert && cert.getExtendedKeyUsage() != null
                && cert.getExtendedKeyUsage().contains(SERVER_AUTH)) {
                throw new IllegalArgumentException("\"" + peer.name() + "\" presents a hub's certificate (extKeyUsage "
                    + "serverAuth); a node needs a node certificate (muslin ca issue without --hub)");
            }
        } catch (SSLPeerUnverifiedException | CertificateParsingException e) {
            throw new IllegalArgumentException("certificate not readable: " + e.getMessage(), e);
        }
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
