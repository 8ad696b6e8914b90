package io.muslin.control.hub.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.muslin.control.hub.client.HubClientSettings;
import io.muslin.control.hub.client.HubEndpoint;
import io.muslin.control.hub.client.HubLeaseStore;
import io.muslin.control.lease.Lease;
import io.muslin.control.store.EmbeddedLeaseStore;
import io.muslin.control.store.LeaseStore;
import io.muslin.control.tls.CertificateSpec;
import io.muslin.control.tls.ClusterCa;
import io.muslin.control.tls.TlsContexts;
import io.muslin.dataplane.packet.Ipv4Address;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslProvider;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The hub with TLS and client certificates, as {@code muslin hub} runs it: a node's name and
 * PublicIPs are its certificate's; a client without a valid certificate is refused and changes
 * nothing; a node cannot announce, renew or release another node's subnet. On both TLS engines,
 * the JDK's and OpenSSL's (hub and nodes alike).
 */
@ParameterizedClass
@EnumSource(value = SslProvider.class, names = {"JDK", "OPENSSL"})
class HubTlsTest {
    @Parameter
    SslProvider provider;
    private static final Duration TTL = Duration.ofMinutes(10);
    @TempDir
    Path dir;
    private final List<AutoCloseable> open = new ArrayList<>();
    private ClusterCa ca;
    private HubServer hub;
    private SslContext serverContext;
    private LeaseStore backend;

    @BeforeEach
    void startHub() throws IOException {
        ca = ClusterCa.create("test cluster CA", 30);
        ca.write(dir.resolve("pki"), false);
        issue(ca, "pki", CertificateSpec.hub("hub1", List.of(Ipv4Address.parse("127.0.0.1")), List.of()));
        EmbeddedLeaseStore store = EmbeddedLeaseStore.open(dir.resolve("store"), Optional.of("{\"Network\":\"10.244.0.0/16\"}"));
        open.add(store);
        assumeTrue(OpenSsl.isAvailable(), "netty-tcnative's native library is on the class path: " + OpenSsl.unavailabilityCause());
        SslContext server = TlsContexts.server(pki("ca.crt"), pki("hub1.crt"), pki("hub1.key"), provider);
        serverContext = server;
        backend = store;
        hub = HubServer.start(HubServer.Settings.tls(new InetSocketAddress("127.0.0.1", 0), server)
            .withHeartbeat(Duration.ofSeconds(1)), store);
        open.add(hub);
    }

    @AfterEach
    void closeAll() throws Exception {
        for (int i = open.size() - 1; i >= 0; i--) {
            open.get(i).close();
        }
    }

    private Path pki(String file) {
        return dir.resolve("pki").resolve(file);
    }

    private void issue(ClusterCa by, String where, CertificateSpec spec) throws IOException {
        by.issue(spec).write(dir.resolve(where).resolve(spec.name() + ".crt"), dir.resolve(where).resolve(spec.name() + ".key"),
            false);
    }

    /** A node with a certificate for {@code name} naming node n's address, saying {@code hello} in its Hello. */
    private HubLeaseStore node(String certName, String hello) throws IOException {
        SslContext client = TlsContexts.client(pki("ca.crt"), pki(certName + ".crt"), pki(certName + ".key"), provider);
        HubLeaseStore store = HubLeaseStore.open(HubClientSettings.of(
                List.of(new HubEndpoint("127.0.0.1", hub.address().getPort())), client, hello)
            .withTimeouts(Duration.ofSeconds(5), Duration.ofSeconds(10)));
        open.add(store);
        return store;
    }

    private HubLeaseStore node(int n) throws IOException {
        issue(ca, "pki", CertificateSpec.node("node" + n, List.of(HubServerTest.lease(n).publicIp())));
        return node("node" + n, "node" + n);
    }

    @Test
    void nodesWithCertificatesConvergeAndTheirNamesAreTheCertificates() throws Exception {
        HubLeaseStore n1 = node(1);
        HubLeaseStore n2 = node(2);
        assertTrue(n1.acquire(HubServerTest.lease(1), TTL));
        assertTrue(n2.acquire(HubServerTest.lease(2), TTL));
        LeaseTable table = LeaseTable.follow(n1, open);
        assertTrue(n2.acquire(HubServerTest.at(HubServerTest.lease(3), HubServerTest.lease(2)), TTL),
            "a node may hold several subnets at its own address");
        table.awaitExactly(Set.of(HubServerTest.lease(1), HubServerTest.lease(2),
            HubServerTest.at(HubServerTest.lease(3), HubServerTest.lease(2))));
    }

    @Test
    void aNodeThatReconnectsResumesItsTlsSession() throws Exception {
        HubLeaseStore n1 = node(1);
        assertTrue(n1.acquire(HubServerTest.lease(1), TTL));
        assertEquals(1, hub.stats().get("tlsHandshakes"));
        // the hub restarts on the same port with the same context (its ticket keys): the node's session drops
        int port = hub.address().getPort();
        hub.close();
        open.remove(hub);
        hub = HubServer.start(HubServer.Settings.tls(new InetSocketAddress("127.0.0.1", port), serverContext)
            .withHeartbeat(Duration.ofSeconds(1)), backend);
        open.add(hub);
        assertEquals(List.of(HubServerTest.lease(1)), n1.list().leases()); // on the new session
        assertEquals(1, hub.stats().get("tlsHandshakes"));
        if (provider == SslProvider.OPENSSL) {
            assertEquals(1, hub.stats().get("tlsResumed"), "resumed with the ticket of the first session");
        } // the JDK's engine resumes too (MutualTlsTest), but does not say so
    }

    @Test
    void aNodeCannotAnnounceRenewOrReleaseAnotherNodesSubnet() throws Exception {
        HubLeaseStore n1 = node(1);
        HubLeaseStore n2 = node(2);
        assertTrue(n1.acquire(HubServerTest.lease(1), TTL));
        long revision = n1.list().revision();

        // node 2 announces a lease at node 1's address: its certificate does not name it
        IOException e = assertThrows(IOException.class, () -> n2.acquire(HubServerTest.at(HubServerTest.lease(9), HubServerTest.lease(1)), TTL));
        assertTrue(e.getMessage().contains("refused Acquire (denied): PublicIP 192.168.50.1 is not an address of node2"),
            e.getMessage());
        // ... nor node 1's own subnet at node 1's address, nor renew or release it
        assertThrows(IOException.class, () -> n2.acquire(HubServerTest.lease(1), TTL));
        assertThrows(IOException.class, () -> n2.renew(HubServerTest.lease(1)));
        IOException release = assertThrows(IOException.class, () -> n2.release(HubServerTest.lease(1).subnet(), HubServerTest.lease(1).publicIp()));
        assertTrue(release.getMessage().contains("refused Release (denied): PublicIP 192.168.50.1 is not an address of node2"),
            release.getMessage());
        // ... and releasing it at its own address compares the holder and deletes nothing
        assertFalse(n2.release(HubServerTest.lease(1).subnet(), HubServerTest.lease(2).publicIp()));
        // ... and at its own address the subnet is held
        assertEquals(false, n2.acquire(Lease.vxlan(HubServerTest.lease(1).subnet(), HubServerTest.lease(2).publicIp(), 1,
            HubServerTest.lease(2).vtepMac()), TTL));

        assertEquals(List.of(HubServerTest.lease(1)), n1.list().leases());
        assertEquals(revision, n1.list().revision(), "nothing changed");
        assertEquals(4, hub.stats().get("denied"));
    }

    @Test
    void aClientWithoutAValidCertificateIsRefusedAndChangesNothing() throws Exception {
        HubLeaseStore n1 = node(1);
        assertTrue(n1.acquire(HubServerTest.lease(1), TTL));
        long revision = n1.list().revision();

        // a certificate of another CA, naming node 1's address
        ClusterCa other = ClusterCa.create("another CA", 30);
        issue(other, "pki", CertificateSpec.node("intruder", List.of(HubServerTest.lease(1).publicIp())));
        IOException e = assertThrows(IOException.class, () -> node("intruder", "intruder"));
        assertTrue(e.getMessage().startsWith("no hub reachable"), e.getMessage());

        // no certificate at all: a context that trusts the CA but has no key
        SslContext anonymous = io.netty.handler.ssl.SslContextBuilder.forClient().sslProvider(provider)
            .trustManager(pki("ca.crt").toFile()).build();
        IOException none = assertThrows(IOException.class, () -> HubLeaseStore.open(HubClientSettings.of(
                List.of(new HubEndpoint("127.0.0.1", hub.address().getPort())), anonymous, "anon")
            .withTimeouts(Duration.ofSeconds(5), Duration.ofSeconds(5))));
        // the JDK says "certificate_required", OpenSSL TLSV1_ALERT_CERTIFICATE_REQUIRED
        assertTrue(none.getMessage().startsWith("no hub reachable")
            && none.getMessage().toLowerCase(java.util.Locale.ROOT).contains("certificate_required"), none.getMessage());

        // a valid certificate whose name is not the one the node says
        issue(ca, "pki", CertificateSpec.node("node2", List.of(HubServerTest.lease(2).publicIp())));
        IOException name = assertThrows(IOException.class, () -> node("node2", "node1"));
        assertTrue(name.getMessage().contains("Hello.Node \"node1\" is not the certificate's name \"node2\""),
            name.getMessage());

        // a hub's certificate (serverAuth) of this CA, naming node 1's address: a hub is not a node
        issue(ca, "pki", CertificateSpec.hub("hub2", List.of(HubServerTest.lease(1).publicIp()), List.of()));
        IOException hubCert = assertThrows(IOException.class, () -> node("hub2", "hub2"));
        assertTrue(hubCert.getMessage().contains("\"hub2\" presents a hub's certificate (extKeyUsage serverAuth)"),
            hubCert.getMessage());

        assertEquals(List.of(HubServerTest.lease(1)), n1.list().leases());
        assertEquals(revision, n1.list().revision());
        assertEquals(2, hub.stats().get("refusedHandshake"), "each failed handshake counted once: " + hub.stats().values());
        assertEquals(2, hub.stats().get("refusedHello"));
        assertEquals(0, hub.stats().get("refusedMalformed"));
    }
}
