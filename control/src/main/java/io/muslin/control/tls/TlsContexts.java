package io.muslin.control.tls;

import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslProvider;
import java.io.IOException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.List;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.TrustManagerFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Netty TLS contexts for the hub and its nodes, trusting only the cluster CA: TLS 1.3 or 1.2,
 * a certificate on both sides.
 *
 * <p>The engine is OpenSSL's (BoringSSL through netty-tcnative, {@code SslProvider.OPENSSL}) when
 * its native library loads, else the JDK's, said once in the log: the JDK's pure-Java P-256 and
 * X25519 cost a hub about 15 ms of CPU per handshake, BoringSSL's a small fraction of that
 * ({@code docs/benchmarks.md}). Either way the certificates are checked by the same code, the
 * JDK's PKIX trust manager (OpenSSL's engine calls it with the peer's chain), so a refusal does
 * not depend on the engine. A reconnecting node resumes its TLS session (TLS 1.3 tickets; the
 * client context caches them by the host and port dialled, {@link #clientHandler}).
 *
 * <p>What is checked, and by whom (the JDK's PKIX trust manager):
 * <pre>
 *   hub   checks a node   chain to CAFile, validity, extKeyUsage clientAuth
 *   node  checks the hub  chain to CAFile, validity, extKeyUsage serverAuth (so a node's
 *                         certificate cannot serve as a hub), and the address it dialled
 *                         against the SANs (endpoint identification "HTTPS", RFC 6125)
 * </pre>
 * Files are checked when a context is made, with messages naming the setting:
 * {@code CertFile: /etc/muslin/node1.crt: no such file}.
 */
public final class TlsContexts {
    public static final String CA_FILE = "CAFile";
    public static final String CERT_FILE = "CertFile";
    public static final String KEY_FILE = "KeyFile";
    /** TLS 1.3 first; 1.2 for peers without it. */
    public static final List<String> PROTOCOLS = List.of("TLSv1.3", "TLSv1.2");
    /** RFC 2818's rules: the dialled host (name or IP) must be in the server certificate's SANs. */
    static final String ENDPOINT_IDENTIFICATION = "HTTPS";
    private static final String SERVER_AUTH = "1.3.6.1.5.5.7.3.1";
    private static final Logger LOG = LoggerFactory.getLogger(TlsContexts.class);
    /** TLS sessions each context keeps for resumption: a hub's nodes, and a simulation of thousands. */
    static final long SESSION_CACHE = 20_000;
    /** How long a session may be resumed: a day, as TLS 1.3 allows at most 7 (RFC 8446 4.6.1). */
    static final long SESSION_TIMEOUT_S = 86_400;
    private static final String CLIENT_AUTH = "1.3.6.1.5.5.7.3.2";

    private TlsContexts() {
    }

    /**
     * The hub's context: presents {@code certFile} (a hub certificate, extKeyUsage serverAuth)
     * and requires a client certificate issued by a CA of {@code caFile}.
     */
    public static SslContext server(Path caFile, Path certFile, Path keyFile) throws IOException {
        return server(caFile, certFile, keyFile, provider());
    }

    /** As {@link #server(Path, Path, Path)}, on the given engine ({@link SslProvider#JDK} or {@link SslProvider#OPENSSL}). */
    public static SslContext server(Path caFile, Path certFile, Path keyFile, SslProvider provider) throws IOException {
        List<X509Certificate> cas = readCas(caFile);
        CertifiedKey own = CertifiedKey.read(certFile, CERT_FILE, keyFile, KEY_FILE);
        requirePurpose(own.certificate(), certFile, SERVER_AUTH, "serverAuth",
            "a hub's certificate, as `muslin ca issue --hub` makes");
        return SslContextBuilder.forServer(own.key(), own.certificate())
            .sslProvider(provider)
            .protocols(PROTOCOLS)
            .trustManager(trustManager(cas))
            .clientAuth(ClientAuth.REQUIRE)
            .sessionCacheSize(SESSION_CACHE)
            .sessionTimeout(SESSION_TIMEOUT_S)
            .build();
    }

    /**
     * A node's context: presents {@code certFile} (extKeyUsage clientAuth) and accepts a hub
     * whose certificate was issued by a CA of {@code caFile} for serverAuth and names the
     * dialled address. Make handlers with {@link #clientHandler}, which gives the engine that
     * address.
     */
    public static SslContext client(Path caFile, Path certFile, Path keyFile) throws IOException {
        return client(caFile, certFile, keyFile, provider());
    }

    /** As {@link #client(Path, Path, Path)}, on the given engine ({@link SslProvider#JDK} or {@link SslProvider#OPENSSL}). */
    public static SslContext client(Path caFile, Path certFile, Path keyFile, SslProvider provider) throws IOException {
        List<X509Certificate> cas = readCas(caFile);
        CertifiedKey own = CertifiedKey.read(certFile, CERT_FILE, keyFile, KEY_FILE);
        requirePurpose(own.certificate(), certFile, CLIENT_AUTH, "clientAuth",
            "a node's certificate, as `muslin ca issue` makes");
        return SslContextBuilder.forClient()
            .sslProvider(provider)
            .protocols(PROTOCOLS)
            .keyManager(own.key(), own.certificate())
            .trustManager(trustManager(cas))
            .endpointIdentificationAlgorithm(ENDPOINT_IDENTIFICATION)
            .sessionCacheSize(SESSION_CACHE)
            .sessionTimeout(SESSION_TIMEOUT_S)
            .build();
    }

    /** System property that picks the engine: {@code openssl} (the default when it loads) or {@code jdk}. */
    public static final String ENGINE_PROPERTY = "muslin.tls.engine";

    /**
     * The engine contexts use unless told: OpenSSL's when netty-tcnative's native library loads
     * (and speaks TLS 1.3), else the JDK's; {@code -Dmuslin.tls.engine=jdk} asks for the JDK's.
     * The first call logs which, and why when it is the JDK's.
     */
    public static SslProvider provider() {
        return Engine.CHOSEN;
    }

    /** Picks the engine once, on first use, and says so once. */
    private static final class Engine {
        static final SslProvider CHOSEN = choose();

        private static SslProvider choose() {
            String asked = System.getProperty(ENGINE_PROPERTY, "");
            if (asked.equals("jdk")) {
                LOG.info("TLS: the JDK's engine ({}=jdk)", ENGINE_PROPERTY);
                return SslProvider.JDK;
            }
            if (!asked.isEmpty() && !asked.equals("openssl")) {
                LOG.warn("TLS: {}={} is not an engine (accepted: openssl, jdk); choosing as if unset", ENGINE_PROPERTY, asked);
            }
            if (OpenSsl.isAvailable() && SslProvider.isTlsv13Supported(SslProvider.OPENSSL)) {
                LOG.info("TLS: OpenSSL engine ({})", OpenSsl.versionString());
                return SslProvider.OPENSSL;
            }
            Throwable why = OpenSsl.unavailabilityCause();
            LOG.warn("TLS: the OpenSSL engine cannot be used ({}); using the JDK's, whose handshakes cost more CPU",
                why != null ? why.toString() : "no TLS 1.3 in " + OpenSsl.versionString());
            return SslProvider.JDK;
        }
    }

    /**
     * The JDK's PKIX trust manager for {@code cas}, for either engine: its checks (chain,
     * validity, extKeyUsage, the dialled host) are the same whichever engine asks.
     */
    private static TrustManagerFactory trustManager(List<X509Certificate> cas) throws IOException {
        try {
            KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
            store.load(null, null);
            for (int i = 0; i < cas.size(); i++) {
                store.setCertificateEntry("ca" + i, cas.get(i));
            }
            TrustManagerFactory tmf = TrustManagerFactory.getInstance("PKIX");
            tmf.init(store);
            return tmf;
        } catch (GeneralSecurityException e) {
            throw new IOException("cannot make a trust manager for " + CA_FILE + ": " + e.getMessage(), e);
        }
    }

    /**
     * A handler for a connection to the hub at {@code host:port}, as dialled (a name or an IPv4
     * address): the engine knows the host, and checks it against the hub's certificate. A
     * handler made without the host ({@code context.newHandler(alloc)}) fails every handshake.
     */
    public static SslHandler clientHandler(SslContext context, ByteBufAllocator alloc, String host, int port) {
        if (!context.isClient()) {
            throw new IllegalArgumentException("clientHandler needs a client context (TlsContexts.client)");
        }
        if (host == null || host.isEmpty()) {
            throw new IllegalArgumentException("host: missing (expected: the hub's name or address, as dialled)");
        }
        SslHandler handler = context.newHandler(alloc, host, port);
        SSLEngine engine = handler.engine();
        SSLParameters params = engine.getSSLParameters();
        params.setEndpointIdentificationAlgorithm(ENDPOINT_IDENTIFICATION);
        engine.setSSLParameters(params);
        return handler;
    }

    private static List<X509Certificate> readCas(Path caFile) throws IOException {
        List<X509Certificate> cas = PemFiles.readCertificates(caFile, CA_FILE);
        for (X509Certificate ca : cas) {
            if (ca.getBasicConstraints() < 0) {
                throw PemFiles.error(CA_FILE, caFile, ca.getSubjectX500Principal().getName()
                    + " is not a CA's certificate (expected: ca.crt, as `muslin ca init` makes)");
            }
        }
        return cas;
    }

    /** Fails early, naming the file, when a certificate is not for the use it is configured for. */
    private static void requirePurpose(X509Certificate cert, Path certFile, String oid, String purpose, String expected)
        throws IOException {
        List<String> purposes;
        try {
            purposes = cert.getExtendedKeyUsage();
        } catch (CertificateParsingException e) {
            throw PemFiles.error(CERT_FILE, certFile, "extKeyUsage not readable: " + e.getMessage());
        }
        if (purposes != null && !purposes.contains(oid)) {
            throw PemFiles.error(CERT_FILE, certFile, "not for TLS " + purpose + " (expected: " + expected + ")");
        }
    }
}
