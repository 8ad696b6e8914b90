package io.muslin.control.tls;

import io.muslin.dataplane.packet.Ipv4Address;
import java.io.UncheckedIOException;
import java.security.cert.Certificate;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;
import org.bouncycastle.asn1.ASN1String;
import org.bouncycastle.asn1.x500.RDN;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.style.BCStyle;

/**
 * Who a verified TLS peer is: its certificate's CN and IPv4 SANs.
 *
 * @param name      the CN, a valid node name ({@link CertificateSpec#checkName})
 * @param addresses the IPv4 addresses of the certificate's IP SANs, in order; at least one
 */
public record PeerIdentity(String name, List<Integer> addresses) {
    /** {@link X509Certificate#getSubjectAlternativeNames()}: the type of an iPAddress entry. */
    private static final int SAN_IP_ADDRESS = 7;

    public PeerIdentity {
        Objects.requireNonNull(name, "name");
        addresses = List.copyOf(addresses);
    }

    /**
     * The identity of the peer of a TLS session whose handshake has completed, from the peer's
     * certificate (already verified against the CA by the trust manager). Unchecked, so that it
     * serves as a {@code Function<SSLSession, ...>}.
     *
     * @throws UncheckedIOException with an {@link SSLPeerUnverifiedException} as its cause, and
     *                              its message, if the peer sent no certificate, or its
     *                              certificate has no valid node name as CN or no IPv4 address SAN
     */
    public static PeerIdentity of(SSLSession session) {
        Certificate[] chain;
        try {
            chain = session.getPeerCertificates();
        } catch (SSLPeerUnverifiedException e) {
            throw unverified("peer certificate: none (" + e.getMessage() + ")", e);
        }
        if (chain.length == 0 || !(chain[0] instanceof X509Certificate cert)) {
            throw unverified("peer certificate: none, or not X.509", null);
        }
        try {
            return of(cert);
        } catch (IllegalArgumentException e) {
            throw unverified("peer certificate: " + e.getMessage(), e);
        }
    }

    /**
     * The identity a certificate carries.
     *
     * @throws IllegalArgumentException if it has no valid node name as CN or no IPv4 address SAN
     */
    public static PeerIdentity of(X509Certificate cert) {
        RDN[] cns = X500Name.getInstance(cert.getSubjectX500Principal().getEncoded()).getRDNs(BCStyle.CN);
        if (cns.length != 1 || cns[0].isMultiValued() || !(cns[0].getFirst().getValue() instanceof ASN1String cn)) {
            throw new IllegalArgumentException("subject " + cert.getSubjectX500Principal().getName()
                + ": expected exactly one CN, the node's name");
        }
        String name = cn.getString();
        try {
            CertificateSpec.checkName(name);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("CN: " + e.getMessage(), e);
        }
        List<Integer> addresses = new ArrayList<>();
        Collection<List<?>> sans;
        try {
            sans = cert.getSubjectAlternativeNames();
        } catch (CertificateParsingException e) {
            throw new IllegalArgumentException(name + ": subjectAltName not readable: " + e.getMessage(), e);
        }
        for (List<?> san : sans == null ? List.<List<?>>of() : sans) {
            // The JDK gives IP SANs as text: "a.b.c.d", or IPv6 with colons (not ours).
            if (san.get(0) instanceof Integer type && type == SAN_IP_ADDRESS
                && san.get(1) instanceof String ip && ip.indexOf(':') < 0) {
                addresses.add(Ipv4Address.parse(ip));
            }
        }
        if (addresses.isEmpty()) {
            throw new IllegalArgumentException(name + ": no IPv4 address in subjectAltName (expected: the node's"
                + " PublicIPs, as `muslin ca issue --ip` writes them)");
        }
        return new PeerIdentity(name, addresses);
    }

    private static UncheckedIOException unverified(String message, Throwable cause) {
        SSLPeerUnverifiedException e = new SSLPeerUnverifiedException(message);
        e.initCause(cause);
        return new UncheckedIOException(message, e);
    }

    /** True if the certificate names {@code ipv4}: a lease of this peer may carry it as PublicIP. */
    public boolean owns(int ipv4) {
        return addresses.contains(ipv4);
    }

    @Override
    public String toString() {
        return name + " " + addresses.stream().map(Ipv4Address::format).toList();
    }
}
