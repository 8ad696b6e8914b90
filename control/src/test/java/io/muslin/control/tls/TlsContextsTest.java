package io.muslin.control.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.muslin.dataplane.packet.Ipv4Address;
import io.netty.handler.ssl.SslContext;
import java.io.IOException;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.sec.ECPrivateKey;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.openssl.PKCS8Generator;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.openssl.jcajce.JceOpenSSLPKCS8EncryptorBuilder;
import org.bouncycastle.openssl.jcajce.JcePEMEncryptorBuilder;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Files a context is made from: each problem is reported with the setting and the file. */
class TlsContextsTest {
    private static final String PKCS8 = "(expected: an unencrypted PKCS#8 key, -----BEGIN PRIVATE KEY-----)";

    @TempDir
    Path dir;
    ClusterCa ca;
    Path caFile;
    Path nodeCert;
    Path nodeKey;
    Path hubCert;
    Path hubKey;

    @BeforeEach
    void setUp() throws IOException {
        ca = ClusterCa.create("test CA", 30);
        ca.write(dir, false);
        caFile = dir.resolve("ca.crt");
        nodeCert = dir.resolve("node-1.crt");
        nodeKey = dir.resolve("node-1.key");
        ca.issue(CertificateSpec.node("node-1", List.of(Ipv4Address.parse("10.0.0.1")))).write(nodeCert, nodeKey, false);
        hubCert = dir.resolve("hub.crt");
        hubKey = dir.resolve("hub.key");
        ca.issue(CertificateSpec.hub("hub", List.of(Ipv4Address.parse("10.0.0.9")), List.of())).write(hubCert, hubKey, false);
    }

    @Test
    void contextsFromClusterFiles() throws IOException {
        SslContext server = TlsContexts.server(caFile, hubCert, hubKey);
        SslContext client = TlsContexts.client(caFile, nodeCert, nodeKey);
        assertTrue(server.isServer());
        assertTrue(client.isClient());
        assertTrue(TlsContexts.client(caFile, hubCert, hubKey).isClient(), "a hub's certificate is for clientAuth too");
    }

    @Test
    void missingSettingsAndFiles() {
        assertEquals("CAFile: missing (expected: a PEM file)",
            message(() -> TlsContexts.client(null, nodeCert, nodeKey)));
        Path nowhere = dir.resolve("nowhere.crt");
        assertEquals("CertFile: " + nowhere + ": no such file", message(() -> TlsContexts.client(caFile, nowhere, nodeKey)));
        assertEquals("KeyFile: " + dir + ": is a directory (expected: a PEM file)",
            message(() -> TlsContexts.server(caFile, hubCert, dir)));
    }

    @Test
    void filesOfTheWrongKind() throws Exception {
        assertEquals("CertFile: " + nodeKey + ": holds a private key, not a certificate (expected: -----BEGIN CERTIFICATE-----)",
            message(() -> TlsContexts.client(caFile, nodeKey, nodeKey)));
        assertEquals("KeyFile: " + nodeCert + ": holds a certificate, not a private key " + PKCS8,
            message(() -> TlsContexts.client(caFile, nodeCert, nodeCert)));
        assertEquals("CAFile: " + nodeCert + ": CN=node-1 is not a CA's certificate (expected: ca.crt, as `muslin ca init` makes)",
            message(() -> TlsContexts.client(nodeCert, nodeCert, nodeKey)));
        assertEquals("CertFile: " + nodeCert + ": not for TLS serverAuth (expected: a hub's certificate, as `muslin ca issue --hub` makes)",
            message(() -> TlsContexts.server(caFile, nodeCert, nodeKey)));

        Path der = dir.resolve("ca.der");
        Files.write(der, ca.certificate().getEncoded());
        assertEquals("CAFile: " + der + ": not PEM (no -----BEGIN ...----- line)", message(() -> TlsContexts.client(der, nodeCert, nodeKey)));
    }

    @Test
    void aKeyOfAnotherCertificate() {
        assertEquals("KeyFile: " + hubKey + ": not the key of CertFile " + nodeCert + " (its public key is another)",
            message(() -> TlsContexts.client(caFile, nodeCert, hubKey)));
    }

    @Test
    void sec1KeysAreReadEncryptedOnesAreNot() throws Exception {
        CertifiedKey node = CertifiedKey.read(nodeCert, "CertFile", nodeKey, "KeyFile");
        // What `openssl ec` writes: SEC 1 with the curve's OID in it (RFC 5915).
        PrivateKeyInfo pkcs8 = PrivateKeyInfo.getInstance(node.key().getEncoded());
        ECPrivateKey inner = ECPrivateKey.getInstance(pkcs8.parsePrivateKey());
        byte[] sec1Der = new ECPrivateKey(256, inner.getKey(), pkcs8.getPrivateKeyAlgorithm().getParameters()).getEncoded();
        Path sec1 = dir.resolve("sec1.key");
        Files.writeString(sec1, PemFiles.pem("EC PRIVATE KEY", sec1Der));
        assertTrue(TlsContexts.client(caFile, nodeCert, sec1).isClient());

        // Encrypted, as `openssl ec -aes128` and `openssl pkcs8 -topk8 -v2 aes256` write them.
        BouncyCastleProvider bc = new BouncyCastleProvider();
        char[] password = "secret".toCharArray();
        StringWriter legacy = new StringWriter();
        try (JcaPEMWriter w = new JcaPEMWriter(legacy)) {
            w.writeObject(node.key(), new JcePEMEncryptorBuilder("AES-128-CBC").setProvider(bc).build(password));
        }
        StringWriter pkcs8Encrypted = new StringWriter();
        try (JcaPEMWriter w = new JcaPEMWriter(pkcs8Encrypted)) {
            w.writeObject(new JcaPKCS8Generator(node.key(), new JceOpenSSLPKCS8EncryptorBuilder(PKCS8Generator.AES_256_CBC)
                .setProvider(bc).setPassword(password).build()));
        }
        assertTrue(pkcs8Encrypted.toString().startsWith("-----BEGIN ENCRYPTED PRIVATE KEY-----"), pkcs8Encrypted.toString());
        for (String pem : List.of(legacy.toString(), pkcs8Encrypted.toString())) {
            Path encrypted = dir.resolve("encrypted.key");
            Files.writeString(encrypted, pem);
            assertEquals("KeyFile: " + encrypted + ": the key is encrypted " + PKCS8,
                message(() -> TlsContexts.client(caFile, nodeCert, encrypted)));
        }
    }

    private interface Call {
        void run() throws IOException;
    }

    private static String message(Call call) {
        return assertThrows(IOException.class, call::run).getMessage();
    }
}
