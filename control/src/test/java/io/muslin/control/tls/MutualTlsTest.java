package io.muslin.control.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.muslin.dataplane.packet.Ipv4Address;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.handler.ssl.SslProvider;
import io.netty.util.concurrent.Future;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertificateExpiredException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLPeerUnverifiedException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Mutual TLS over real loopback sockets: a hub context and a node context from the cluster CA
 * shake hands and the hub reads the node's identity; every impostor fails its handshake. Each
 * test runs on both engines, the JDK's and OpenSSL's: the checks are the same (the JDK's PKIX
 * trust manager), only the engines' words for some refusals differ.
 */
@ParameterizedClass
@EnumSource(value = SslProvider.class, names = {"JDK", "OPENSSL"})
class MutualTlsTest {
    private static final String LOOPBACK = "127.0.0.1";
    private static final int IP1 = Ipv4Address.parse("192.168.50.1");
    private static final int IP2 = Ipv4Address.parse("10.0.0.1");
    private static final int HUB_IP = Ipv4Address.parse(LOOPBACK);
    /** An upper bound for a handshake on loopback; the tests assert outcomes, not times. */
    private static final long WAIT_S = 10;

    @Parameter
    SslProvider provider;

    @TempDir
    static Path dir;
    static EventLoopGroup group;
    static ClusterCa ca;
    static ClusterCa otherCa;
    static Path caFile;
    static Path otherCaFile;

    @BeforeAll
    static void setUp() throws IOException {
        assumeTrue(OpenSsl.isAvailable(), "netty-tcnative's native library is on the class path: " + OpenSsl.unavailabilityCause());
        group = new MultiThreadIoEventLoopGroup(2, NioIoHandler.newFactory());
        ca = ClusterCa.create("test CA", 30);
        ca.write(dir.resolve("ca"), false);
        caFile = dir.resolve("ca/ca.crt");
        otherCa = ClusterCa.create("test CA", 30);
        otherCa.write(dir.resolve("other"), false);
        otherCaFile = dir.resolve("other/ca.crt");
    }

    @AfterAll
    static void tearDown() {
        group.shutdownGracefully(0, 0, TimeUnit.SECONDS).syncUninterruptibly();
    }

    @Test
    void clusterCertificatesShakeHandsAndTheHubSeesTheNode() throws Exception {
        SslContext hub = TlsContexts.server(caFile, write(ca, CertificateSpec.hub("hub-1", List.of(HUB_IP), List.of())),
            key("hub-1"), provider);
        SslContext node = TlsContexts.client(caFile, write(ca, CertificateSpec.node("node-1", List.of(IP1, IP2))),
            key("node-1"), provider);
        try (Server server = new Server(hub); Client client = new Client(node, LOOPBACK, server.port())) {
            client.handshake().get(WAIT_S, TimeUnit.SECONDS);
            PeerIdentity seen = server.identity().get(WAIT_S, TimeUnit.SECONDS);
            assertEquals(new PeerIdentity("node-1", List.of(IP1, IP2)), seen);
            assertTrue(seen.owns(IP2));
            assertFalse(seen.owns(HUB_IP));
            SslHandler ssl = client.ssl;
            assertEquals("TLSv1.3", ssl.engine().getSession().getProtocol());
            assertEquals(new PeerIdentity("hub-1", List.of(HUB_IP)), PeerIdentity.of(ssl.engine().getSession()));
        }
    }

    @Test
    void aReconnectingNodeIsSeenAgain() throws Exception {
        // The second connection may resume the first one's session (TLS 1.3 tickets, kept by the
        // context); the hub still reads the node from it.
        SslContext node = nodeContext(ca, "node-8");
        try (Server server = new Server(hubContext())) {
            for (int i = 0; i < 2; i++) {
                try (Client client = new Client(node, LOOPBACK, server.port())) {
                    client.handshake().get(WAIT_S, TimeUnit.SECONDS);
                    assertEquals(new PeerIdentity("node-8", List.of(IP1)), server.identity(i).get(WAIT_S, TimeUnit.SECONDS));
                }
            }
        }
    }

    @Test
    void aReconnectingNodeResumesItsTlsSession() throws Exception {
        SslContext node = nodeContext(ca, "node-9");
        try (Server server = new Server(hubContext())) {
            List<Handshake> handshakes = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
                try (Client client = new Client(node, LOOPBACK, server.port())) {
                    client.handshake().get(WAIT_S, TimeUnit.SECONDS);
                    assertEquals("node-9", server.identity(i).get(WAIT_S, TimeUnit.SECONDS).name());
                    handshakes.add(server.handshake(i).get(WAIT_S, TimeUnit.SECONDS));
                    client.firstByte().get(WAIT_S, TimeUnit.SECONDS);
                }
            }
            if (provider == SslProvider.OPENSSL) {
                assertEquals(Optional.of(false), handshakes.get(0).resumed(), "the first handshake is a full one");
                assertEquals(Optional.of(true), handshakes.get(1).resumed(), "the second resumes (a TLS 1.3 ticket)");
            } else {
                // The JDK's engine has no API for it; a resumed session keeps the creation time of the one it resumes.
                assertEquals(handshakes.get(0).created(), handshakes.get(1).created(), "the second resumes the first");
            }
        }
    }

    @Test
    void aTls12NodeShakesHands() throws Exception {
        Path cert = write(ca, CertificateSpec.node("node-12", List.of(IP1)));
        CertifiedKey own = CertifiedKey.read(cert, "CertFile", key("node-12"), "KeyFile");
        SslContext tls12 = SslContextBuilder.forClient().sslProvider(provider).protocols("TLSv1.2")
            .keyManager(own.key(), own.certificate()).trustManager(ca.certificate()).endpointIdentificationAlgorithm("HTTPS")
            .build();
        try (Server server = new Server(hubContext()); Client client = new Client(tls12, LOOPBACK, server.port())) {
            client.handshake().get(WAIT_S, TimeUnit.SECONDS);
            assertEquals("TLSv1.2", client.ssl.engine().getSession().getProtocol());
            assertEquals("node-12", server.identity().get(WAIT_S, TimeUnit.SECONDS).name());
        }
    }

    @Test
    void aHubDialledByNameShakesHands() throws Exception {
        SslContext hub = TlsContexts.server(caFile, write(ca, CertificateSpec.hub("hub-dns", List.of(), List.of("localhost"))),
            key("hub-dns"), provider);
        SslContext node = nodeContext(ca, "node-2");
        try (Server server = new Server(hub); Client client = new Client(node, "localhost", server.port())) {
            client.handshake().get(WAIT_S, TimeUnit.SECONDS);
            assertEquals("node-2", server.identity().get(WAIT_S, TimeUnit.SECONDS).name());
        }
    }

    @Test
    void aClientWithoutCertificateIsRefused() throws Exception {
        SslContext anonymous = SslContextBuilder.forClient().sslProvider(provider)
            .trustManager(ca.certificate()).endpointIdentificationAlgorithm("HTTPS").build();
        try (Server server = new Server(hubContext()); Client client = new Client(anonymous, LOOPBACK, server.port())) {
            Throwable cause = assertRefusedByHub(server, client);
            // JDK: "certificate_required"; OpenSSL: PEER_DID_NOT_RETURN_A_CERTIFICATE
            String words = text(cause).toLowerCase(java.util.Locale.ROOT);
            assertTrue(words.contains("certificate_required") || words.contains("did_not_return_a_certificate"),
                () -> "no certificate: " + text(cause));
        }
    }

    @Test
    void aClientOfAnotherCaIsRefused() throws Exception {
        SslContext stranger = TlsContexts.client(caFile, write(otherCa, CertificateSpec.node("node-1", List.of(IP1))),
            key("node-1"), provider);
        try (Server server = new Server(hubContext()); Client client = new Client(stranger, LOOPBACK, server.port())) {
            Throwable cause = assertRefusedByHub(server, client);
            assertTrue(causes(cause, CertPathValidatorException.class), () -> "not from the CA: " + cause);
        }
    }

    @Test
    void anExpiredClientIsRefused() throws Exception {
        Instant now = Instant.now();
        CertifiedKey expired = ca.issue(CertificateSpec.node("node-old", List.of(IP1)), now.minus(Duration.ofDays(30)),
            now.minus(Duration.ofDays(1)));
        expired.write(dir.resolve("node-old.crt"), dir.resolve("node-old.key"), true);
        SslContext old = TlsContexts.client(caFile, dir.resolve("node-old.crt"), dir.resolve("node-old.key"), provider);
        try (Server server = new Server(hubContext()); Client client = new Client(old, LOOPBACK, server.port())) {
            Throwable cause = assertRefusedByHub(server, client);
            assertTrue(causes(cause, CertificateExpiredException.class), () -> "expired: " + cause);
        }
    }

    @Test
    void aHubOfAnotherCaIsRefused() throws Exception {
        SslContext impostor = TlsContexts.server(otherCaFile,
            write(otherCa, CertificateSpec.hub("hub-x", List.of(HUB_IP), List.of())), key("hub-x"), provider);
        try (Server server = new Server(impostor); Client client = new Client(nodeContext(ca, "node-3"), LOOPBACK, server.port())) {
            Throwable cause = assertRefusedByNode(server, client);
            assertTrue(causes(cause, CertPathValidatorException.class), () -> "not from the CA: " + cause);
        }
    }

    @Test
    void aHubCertificateForAnotherAddressIsRefused() throws Exception {
        SslContext elsewhere = TlsContexts.server(caFile,
            write(ca, CertificateSpec.hub("hub-2", List.of(Ipv4Address.parse("127.0.0.2")), List.of("hub.example"))),
            key("hub-2"), provider);
        try (Server server = new Server(elsewhere); Client client = new Client(nodeContext(ca, "node-4"), LOOPBACK, server.port())) {
            Throwable cause = assertRefusedByNode(server, client);
            assertTrue(text(cause).contains(LOOPBACK), () -> "names the dialled address: " + text(cause));
        }
    }

    @Test
    void aNodeCertificateCannotServeAsHub() throws Exception {
        // Its SAN matches the dialled address and the CA is the cluster's: only clientAuth-only is wrong.
        Path cert = write(ca, CertificateSpec.node("node-evil", List.of(HUB_IP)));
        Path key = key("node-evil");
        IOException refused = assertThrows(IOException.class, () -> TlsContexts.server(caFile, cert, key, provider));
        assertEquals("CertFile: " + cert + ": not for TLS serverAuth (expected: a hub's certificate, as `muslin ca issue --hub` makes)",
            refused.getMessage());

        CertifiedKey evil = CertifiedKey.read(cert, "CertFile", key, "KeyFile");
        SslContext impostor = SslContextBuilder.forServer(evil.key(), evil.certificate()).sslProvider(provider)
            .trustManager(ca.certificate()).clientAuth(ClientAuth.REQUIRE).build();
        try (Server server = new Server(impostor); Client client = new Client(nodeContext(ca, "node-5"), LOOPBACK, server.port())) {
            Throwable cause = assertRefusedByNode(server, client);
            assertTrue(text(cause).contains("Extended key usage"), () -> "refused for its key usage: " + text(cause));
        }
    }

    @Test
    void aHandlerWithoutTheDialledHostFailsTheHandshake() throws Exception {
        SslContext node = nodeContext(ca, "node-6");
        try (Server server = new Server(hubContext());
             Client client = new Client(ch -> node.newHandler(ch.alloc()), server.port())) {
            Throwable cause = assertRefusedByNode(server, client);
            assertTrue(text(cause).contains("Hostname or IP address is undefined"), () -> "no host to check: " + text(cause));
        }
    }

    @Test
    void aCertificateWithoutAddressGivesNoIdentity() throws Exception {
        // A hub's certificate may act as a client, but one with DNS names only binds no address.
        SslContext dnsOnly = TlsContexts.client(caFile, write(ca, CertificateSpec.hub("hub-3", List.of(), List.of("hub3.example"))),
            key("hub-3"), provider);
        try (Server server = new Server(hubContext()); Client client = new Client(dnsOnly, LOOPBACK, server.port())) {
            client.handshake().get(WAIT_S, TimeUnit.SECONDS);
            ExecutionException e = assertThrows(ExecutionException.class, () -> server.identity().get(WAIT_S, TimeUnit.SECONDS));
            assertInstanceOf(UncheckedIOException.class, e.getCause());
            assertInstanceOf(SSLPeerUnverifiedException.class, e.getCause().getCause());
            assertEquals("peer certificate: hub-3: no IPv4 address in subjectAltName (expected: the node's PublicIPs,"
                + " as `muslin ca issue --ip` writes them)", e.getCause().getMessage());
        }
    }

    @Test
    void clientHandlerNeedsAClientContextAndAHost() throws Exception {
        SslContext node = nodeContext(ca, "node-7");
        assertEquals("host: missing (expected: the hub's name or address, as dialled)",
            assertThrows(IllegalArgumentException.class, () -> TlsContexts.clientHandler(node, null, "", 1)).getMessage());
        assertThrows(IllegalArgumentException.class, () -> TlsContexts.clientHandler(hubContext(), null, LOOPBACK, 1));
    }

    /** The hub refused the node: its handshake failed, no identity, the connection is closed. */
    private static Throwable assertRefusedByHub(Server server, Client client) throws Exception {
        ExecutionException e = assertThrows(ExecutionException.class, () -> server.identity().get(WAIT_S, TimeUnit.SECONDS));
        assertTrue(causes(e.getCause(), SSLHandshakeException.class), () -> "a handshake failure: " + e.getCause());
        assertTrue(client.channel.closeFuture().await(WAIT_S, TimeUnit.SECONDS), "the node's connection is closed");
        // TLS 1.3: the client's handshake may complete before the hub reads its certificate.
        return e.getCause();
    }

    /** The node refused the hub: its handshake failed, and the hub produced no identity. */
    private static Throwable assertRefusedByNode(Server server, Client client) throws Exception {
        Future<Channel> handshake = client.handshake().await();
        assertFalse(handshake.isSuccess(), "the node's handshake failed");
        assertTrue(causes(handshake.cause(), SSLHandshakeException.class), () -> "a handshake failure: " + handshake.cause());
        assertThrows(ExecutionException.class, () -> server.identity().get(WAIT_S, TimeUnit.SECONDS));
        return handshake.cause();
    }

    /** Every message of {@code t}'s chain: an engine may wrap the trust manager's refusal in words of its own. */
    private static String text(Throwable t) {
        StringBuilder sb = new StringBuilder();
        for (; t != null; t = t.getCause()) {
            sb.append(t).append('\n');
        }
        return sb.toString();
    }

    private static boolean causes(Throwable t, Class<? extends Throwable> type) {
        for (; t != null; t = t.getCause()) {
            if (type.isInstance(t)) {
                return true;
            }
        }
        return false;
    }

    private SslContext hubContext() throws IOException {
        Path cert = dir.resolve("hub-main.crt");
        if (!cert.toFile().exists()) {
            write(ca, CertificateSpec.hub("hub-main", List.of(HUB_IP), List.of()));
        }
        return TlsContexts.server(caFile, cert, key("hub-main"), provider);
    }

    private SslContext nodeContext(ClusterCa issuer, String name) throws IOException {
        return TlsContexts.client(caFile, write(issuer, CertificateSpec.node(name, List.of(IP1))), key(name), provider);
    }

    /** Issues {@code spec} and writes NAME.crt and NAME.key into the test directory; returns the certificate's path. */
    private static Path write(ClusterCa issuer, CertificateSpec spec) throws IOException {
        Path cert = dir.resolve(spec.name() + ".crt");
        issuer.issue(spec).write(cert, key(spec.name()), true);
        return cert;
    }

    private static Path key(String name) {
        return dir.resolve(name + ".key");
    }

    /** A completed handshake as the hub saw it: whether it resumed (OpenSSL says), and its session's creation time. */
    private record Handshake(Optional<Boolean> resumed, long created) {
    }

    /** A TLS server on loopback that reads the identity of each client from its handshake. */
    private static final class Server implements AutoCloseable {
        private final Channel channel;
        /** The identity read on each connection, in the order accepted. */
        private final List<CompletableFuture<PeerIdentity>> identities = new ArrayList<>();
        /** Each connection's handshake, as the hub saw it. */
        private final List<CompletableFuture<Handshake>> handshakes = new ArrayList<>();
        private int accepted;

        Server(SslContext context) throws InterruptedException {
            channel = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        int index = nextIndex();
                        ch.pipeline().addLast(context.newHandler(ch.alloc()), new IdentityReader(identity(index), handshake(index)));
                    }
                })
                .bind(LOOPBACK, 0).sync().channel();
        }

        int port() {
            return ((InetSocketAddress) channel.localAddress()).getPort();
        }

        /** The identity read on the first connection. */
        CompletableFuture<PeerIdentity> identity() {
            return identity(0);
        }

        synchronized CompletableFuture<PeerIdentity> identity(int connection) {
            while (identities.size() <= connection) {
                identities.add(new CompletableFuture<>());
            }
            return identities.get(connection);
        }

        synchronized CompletableFuture<Handshake> handshake(int connection) {
            while (handshakes.size() <= connection) {
                handshakes.add(new CompletableFuture<>());
            }
            return handshakes.get(connection);
        }

        private synchronized int nextIndex() {
            return accepted++;
        }

        @Override
        public void close() {
            channel.close().syncUninterruptibly();
        }

        private static final class IdentityReader extends ChannelInboundHandlerAdapter {
            private final CompletableFuture<PeerIdentity> identity;
            private final CompletableFuture<Handshake> handshake;

            IdentityReader(CompletableFuture<PeerIdentity> identity, CompletableFuture<Handshake> handshake) {
                this.identity = identity;
                this.handshake = handshake;
            }

            @Override
            public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
                if (evt instanceof SslHandshakeCompletionEvent done) {
                    if (done.isSuccess()) {
                        javax.net.ssl.SSLEngine engine = ctx.pipeline().get(SslHandler.class).engine();
                        handshake.complete(new Handshake(TlsSessions.resumed(engine), engine.getSession().getCreationTime()));
                        // after the session tickets TLS 1.3 sends once the handshake is done: a client that has read it has them
                        ctx.writeAndFlush(ctx.alloc().buffer(1).writeByte('!'));
                        try {
                            identity.complete(PeerIdentity.of(ctx.pipeline().get(SslHandler.class).engine().getSession()));
                        } catch (UncheckedIOException e) {
                            identity.completeExceptionally(e);
                        }
                    } else {
                        identity.completeExceptionally(done.cause());
                    }
                }
                super.userEventTriggered(ctx, evt);
            }

            @Override
            public void channelInactive(ChannelHandlerContext ctx) throws Exception {
                identity.completeExceptionally(new IOException("closed before the handshake completed"));
                super.channelInactive(ctx);
            }

            @Override
            public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                ctx.close();
            }
        }
    }

    /** A TLS client connected to the server on loopback. */
    private static final class Client implements AutoCloseable {
        final Channel channel;
        private final Discard discard = new Discard();
        /** Kept: a closed channel's pipeline loses its handlers. */
        private volatile SslHandler ssl;

        Client(SslContext context, String host, int port) throws InterruptedException {
            this(ch -> TlsContexts.clientHandler(context, ch.alloc(), host, port), port);
        }

        Client(Function<Channel, SslHandler> tls, int port) throws InterruptedException {
            channel = new Bootstrap().group(group).channel(NioSocketChannel.class)
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ssl = tls.apply(ch);
                        ch.pipeline().addLast(ssl, discard);
                    }
                })
                .connect(LOOPBACK, port).sync().channel();
        }

        Future<Channel> handshake() {
            return ssl.handshakeFuture();
        }

        /** Completes when the hub's first byte after its handshake has arrived (its session tickets came before it). */
        CompletableFuture<Void> firstByte() {
            return discard.firstByte;
        }

        @Override
        public void close() {
            channel.close().syncUninterruptibly();
        }
    }

    /** Reads and drops what the hub sends (noting the first byte); swallows the SSLException a refused client reads. */
    private static final class Discard extends ChannelInboundHandlerAdapter {
        final CompletableFuture<Void> firstByte = new CompletableFuture<>();

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            io.netty.util.ReferenceCountUtil.release(msg);
            firstByte.complete(null);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }
}
