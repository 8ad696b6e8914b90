package io.muslin.control.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.muslin.dataplane.packet.Ipv4Address;
import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.ssl.SslContext;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.List;
import javax.net.ssl.SSLPeerUnverifiedException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PeerIdentityTest {
    private static final int IP1 = Ipv4Address.parse("192.168.50.1");
    private static final int IP2 = Ipv4Address.parse("10.0.0.1");

    @TempDir
    Path dir;

    @Test
    void ownsTheAddressesOfItsCertificateOnly() {
        ClusterCa ca = ClusterCa.create("test CA", 30);
        PeerIdentity node = PeerIdentity.of(ca.issue(CertificateSpec.node("node-1", List.of(IP1, IP2))).certificate());
        assertTrue(node.owns(IP1));
        assertTrue(node.owns(IP2));
        assertFalse(node.owns(Ipv4Address.parse("192.168.50.2")));
        assertEquals("node-1 [192.168.50.1, 10.0.0.1]", node.toString());
    }

    @Test
    void aSessionWithoutPeerCertificateHasNoIdentity() throws Exception {
        ClusterCa ca = ClusterCa.create("test CA", 30);
        ca.write(dir, false);
        ca.issue(CertificateSpec.hub("hub", List.of(IP1), List.of())).write(dir.resolve("hub.crt"), dir.resolve("hub.key"), false);
        SslContext hub = TlsContexts.server(dir.resolve("ca.crt"), dir.resolve("hub.crt"), dir.resolve("hub.key"));
        // An engine that has not shaken hands: its session has no peer.
        UncheckedIOException e = assertThrows(UncheckedIOException.class,
            () -> PeerIdentity.of(hub.newEngine(ByteBufAllocator.DEFAULT).getSession()));
        assertInstanceOf(SSLPeerUnverifiedException.class, e.getCause());
        assertTrue(e.getMessage().startsWith("peer certificate: none ("), e.getMessage());
    }
}
