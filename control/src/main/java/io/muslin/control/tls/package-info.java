/**
 * The cluster's certificates and the TLS of the hub: {@link io.muslin.control.tls.ClusterCa}
 * makes a CA and issues certificates from it, {@link io.muslin.control.tls.TlsContexts} makes
 * Netty contexts that trust only that CA, and {@link io.muslin.control.tls.PeerIdentity} reads
 * who a verified peer is.
 *
 * <p>One CA per cluster; one certificate per node and per hub, EC P-256, signed with ECDSA and
 * SHA-256. What a certificate binds:
 * <pre>
 *   subject CN        the node's (or hub's) name: 1-64 characters from A-Z a-z 0-9 . _ -
 *   SAN iPAddress     node: the PublicIPs its leases may carry; hub: the addresses nodes dial
 *   SAN dNSName       optional; hub: the names nodes dial
 *   extKeyUsage       node: clientAuth; hub: serverAuth, clientAuth (RFC 5280 4.2.1.12)
 *   keyUsage          digitalSignature (critical); CA: keyCertSign, cRLSign
 *   basicConstraints  CA:FALSE (critical); CA: CA:TRUE, pathlen 0
 * </pre>
 *
 * <p>A node presents its certificate as a TLS client; the hub requires one and reads the
 * node's name and addresses from it, so a node can announce only its own lease. A node
 * checks the hub's certificate against the CA, the address it dialled against the SANs
 * (RFC 6125, endpoint identification "HTTPS"), and the extended key usage: a node's
 * certificate, clientAuth only, cannot serve as a hub. Files are PEM: certificates
 * ({@code BEGIN CERTIFICATE}) and unencrypted PKCS#8 keys ({@code BEGIN PRIVATE KEY},
 * written with mode 0600).
 */
package io.muslin.control.tls;
