package io.muslin.control.tls;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.muslin.dataplane.packet.Ipv4Address;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.cert.CertPath;
import java.security.cert.CertPathValidator;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertificateFactory;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Set;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.AuthorityKeyIdentifier;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.SubjectKeyIdentifier;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ClusterCaTest {
    private static final String SERVER_AUTH = "1.3.6.1.5.5.7.3.1";
    private static final String CLIENT_AUTH = "1.3.6.1.5.5.7.3.2";
    private static final int NODE_IP = Ipv4Address.parse("192.168.50.1");
    private static final int NODE_IP2 = Ipv4Address.parse("10.0.0.1");

    @TempDir
    Path dir;

    @Test
    void caIsSelfSignedCaWithKeyCertSign() throws Exception {
        ClusterCa ca = ClusterCa.create(ClusterCa.DEFAULT_NAME, ClusterCa.DEFAULT_DAYS);
        X509Certificate cert = ca.certificate();
        cert.verify(cert.getPublicKey());
        assertEquals("CN=muslin cluster CA", cert.getSubjectX500Principal().getName());
        assertEquals(cert.getSubjectX500Principal(), cert.getIssuerX500Principal());
        assertEquals(0, cert.getBasicConstraints(), "CA:TRUE, pathlen 0");
        assertTrue(cert.getCriticalExtensionOIDs().contains("2.5.29.19"), "basicConstraints critical");
        // keyUsage: digitalSignature(0) ... keyCertSign(5), cRLSign(6)
        assertArrayEquals(new boolean[] {false, false, false, false, false, true, true, false, false}, cert.getKeyUsage());
        assertEquals("EC", cert.getPublicKey().getAlgorithm());
        assertEquals("SHA256withECDSA", cert.getSigAlgName());
        assertValidFor(cert, Duration.ofDays(3650));
    }

    @Test
    void nodeCertificateVerifiesAgainstTheCa() throws Exception {
        ClusterCa ca = ClusterCa.create("test CA", ClusterCa.DEFAULT_DAYS);
        CertifiedKey node = ca.issue(CertificateSpec.node("node-1", List.of(NODE_IP, NODE_IP2)));
        X509Certificate cert = node.certificate();

        validate(ca.certificate(), cert);
        assertEquals("CN=node-1", cert.getSubjectX500Principal().getName());
        assertEquals("CN=test CA", cert.getIssuerX500Principal().getName());
        assertEquals(List.of(CLIENT_AUTH), cert.getExtendedKeyUsage());
        assertEquals(List.of(List.of(7, "192.168.50.1"), List.of(7, "10.0.0.1")), List.copyOf(cert.getSubjectAlternativeNames()));
        assertEquals(-1, cert.getBasicConstraints(), "not a CA");
        assertTrue(cert.getKeyUsage()[0], "digitalSignature");
        assertValidFor(cert, Duration.ofDays(CertificateSpec.DEFAULT_DAYS));
        assertEquals(new PeerIdentity("node-1", List.of(NODE_IP, NODE_IP2)), PeerIdentity.of(cert));
        AuthorityKeyIdentifier aki = AuthorityKeyIdentifier.fromExtensions(new JcaX509CertificateHolder(cert).getExtensions());
        assertArrayEquals(SubjectKeyIdentifier.fromExtensions(new JcaX509CertificateHolder(ca.certificate()).getExtensions())
            .getKeyIdentifier(), aki.getKeyIdentifierOctets(), "the CA's key identifier");
        assertNull(aki.getAuthorityCertIssuer(), "not the CA's name and serial");
        assertTrue(CertifiedKey.matches(node.key(), cert.getPublicKey()));
        assertFalse(CertifiedKey.matches(node.key(), ca.certificate().getPublicKey()));
    }

    @Test
    void hubCertificateIsForServerAndClientWithDnsNames() throws Exception {
        ClusterCa ca = ClusterCa.create("test CA", ClusterCa.DEFAULT_DAYS);
        X509Certificate cert = ca.issue(CertificateSpec.hub("hub-1", List.of(NODE_IP), List.of("hub.example.org")).withDays(90))
            .certificate();
        validate(ca.certificate(), cert);
        assertEquals(List.of(SERVER_AUTH, CLIENT_AUTH), cert.getExtendedKeyUsage());
        assertEquals(List.of(List.of(7, "192.168.50.1"), List.of(2, "hub.example.org")), List.copyOf(cert.getSubjectAlternativeNames()));
        assertValidFor(cert, Duration.ofDays(90));
    }

    @Test
    void aCertificateEndsNoLaterThanTheCa() {
        ClusterCa ca = ClusterCa.create("test CA", 10);
        X509Certificate cert = ca.issue(CertificateSpec.node("node-1", List.of(NODE_IP)).withDays(100)).certificate();
        assertEquals(ca.certificate().getNotAfter(), cert.getNotAfter());
    }

    @Test
    void certificateOfAnotherCaDoesNotVerify() {
        ClusterCa ca = ClusterCa.create("test CA", 30);
        ClusterCa other = ClusterCa.create("test CA", 30);
        X509Certificate cert = other.issue(CertificateSpec.node("node-1", List.of(NODE_IP))).certificate();
        assertThrows(CertPathValidatorException.class, () -> validate(ca.certificate(), cert));
    }

    @Test
    void expiredCertificateDoesNotValidate() {
        ClusterCa ca = ClusterCa.create("test CA", 30);
        Instant now = Instant.now();
        X509Certificate cert = ca.issue(CertificateSpec.node("node-1", List.of(NODE_IP)),
            now.minus(Duration.ofDays(10)), now.minus(Duration.ofDays(1))).certificate();
        assertThrows(CertPathValidatorException.class, () -> validate(ca.certificate(), cert));
    }

    @Test
    void writesPemWithKeysOnlyForTheOwnerAndLoadsBack() throws Exception {
        Path caDir = dir.resolve("ca");
        ClusterCa ca = ClusterCa.create(ClusterCa.DEFAULT_NAME, 365);
        ca.write(caDir, false);

        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(caDir)));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(caDir.resolve("ca.key"))));
        assertEquals("rw-r--r--", PosixFilePermissions.toString(Files.getPosixFilePermissions(caDir.resolve("ca.crt"))));
        assertTrue(Files.readString(caDir.resolve("ca.key")).startsWith("-----BEGIN PRIVATE KEY-----\n"));
        assertTrue(Files.readString(caDir.resolve("ca.crt")).startsWith("-----BEGIN CERTIFICATE-----\n"));
        try (var files = Files.list(caDir)) {
            assertEquals(Set.of("ca.crt", "ca.key"), Set.copyOf(files.map(p -> p.getFileName().toString()).toList()),
                "no temporary file left");
        }

        ClusterCa loaded = ClusterCa.load(caDir);
        assertEquals(ca.certificate(), loaded.certificate());
        CertifiedKey node = loaded.issue(CertificateSpec.node("node-2", List.of(NODE_IP)));
        validate(ca.certificate(), node.certificate());

        Path crt = dir.resolve("node-2.crt");
        Path key = dir.resolve("node-2.key");
        node.write(crt, key, false);
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(key)));
        CertifiedKey read = CertifiedKey.read(crt, "CertFile", key, "KeyFile");
        assertEquals(node.certificate(), read.certificate());
        assertArrayEquals(node.key().getEncoded(), read.key().getEncoded());
    }

    @Test
    void refusesToReplaceFilesUnlessForced() throws Exception {
        ClusterCa first = ClusterCa.create("first", 30);
        first.write(dir, false);
        String key = Files.readString(dir.resolve("ca.key"));

        ClusterCa second = ClusterCa.create("second", 30);
        FileAlreadyExistsException e = assertThrows(FileAlreadyExistsException.class, () -> second.write(dir, false));
        assertTrue(e.getMessage().contains("ca.key"), e.getMessage());
        assertEquals(key, Files.readString(dir.resolve("ca.key")), "key left alone");
        assertEquals(first.certificate(), ClusterCa.load(dir).certificate());

        second.write(dir, true);
        assertEquals(second.certificate(), ClusterCa.load(dir).certificate());
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("ca.key"))));
    }

    @Test
    void refusesToReplaceAKeyWhoseCertificateIsMissing() throws Exception {
        ClusterCa ca = ClusterCa.create("test CA", 30);
        Files.writeString(dir.resolve("ca.key"), "precious");
        assertThrows(FileAlreadyExistsException.class, () -> ca.write(dir, false));
        assertEquals("precious", Files.readString(dir.resolve("ca.key")));
        assertFalse(Files.exists(dir.resolve("ca.crt")), "nothing written");
    }

    @Test
    void loadNamesTheMissingOrBadFile() throws Exception {
        IOException missing = assertThrows(IOException.class, () -> ClusterCa.load(dir));
        assertEquals("CA certificate: " + dir.resolve("ca.crt") + ": no such file", missing.getMessage());

        ClusterCa.create("test CA", 30).write(dir, false);
        Files.writeString(dir.resolve("ca.key"), "not a key\n");
        IOException notPem = assertThrows(IOException.class, () -> ClusterCa.load(dir));
        assertEquals("CA key: " + dir.resolve("ca.key") + ": not PEM (no -----BEGIN ...----- line)", notPem.getMessage());

        ClusterCa.create("another", 30).write(dir.resolve("other"), false);
        Files.copy(dir.resolve("other/ca.key"), dir.resolve("ca.key"), StandardCopyOption.REPLACE_EXISTING);
        IOException mismatch = assertThrows(IOException.class, () -> ClusterCa.load(dir));
        assertTrue(mismatch.getMessage().startsWith("CA key: " + dir.resolve("ca.key") + ": not the key of CA certificate"),
            mismatch.getMessage());
    }

    @Test
    void loadRefusesANodeCertificateAsCa() throws Exception {
        ClusterCa ca = ClusterCa.create("test CA", 30);
        ca.issue(CertificateSpec.node("node-1", List.of(NODE_IP))).write(dir.resolve("ca.crt"), dir.resolve("ca.key"), false);
        IOException e = assertThrows(IOException.class, () -> ClusterCa.load(dir));
        assertTrue(e.getMessage().endsWith("not a CA's certificate (basicConstraints CA:TRUE missing)"), e.getMessage());
    }

    @Test
    void aRsaCaMadeElsewhereIssuesToo() throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
        g.initialize(2048);
        KeyPair keys = g.generateKeyPair();
        X500Name name = new X500Name("CN=made elsewhere");
        Instant now = Instant.now();
        X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(name, BigInteger.TWO, Date.from(now),
            Date.from(now.plus(Duration.ofDays(1))), name, keys.getPublic());
        b.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
        X509Certificate rsaCa = new JcaX509CertificateConverter()
            .getCertificate(b.build(new JcaContentSignerBuilder("SHA256withRSA").build(keys.getPrivate())));
        new CertifiedKey(rsaCa, keys.getPrivate()).write(dir.resolve("ca.crt"), dir.resolve("ca.key"), false);

        X509Certificate cert = ClusterCa.load(dir).issue(CertificateSpec.node("node-1", List.of(NODE_IP))).certificate();
        validate(rsaCa, cert);
        assertEquals("SHA256withRSA", cert.getSigAlgName());
        assertEquals("EC", cert.getPublicKey().getAlgorithm());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', textBlock = """
        ''             | name: missing (accepted: 1-64 characters from A-Z a-z 0-9 . _ -)
        'node 1'       | name: "node 1" is not a node name (accepted: 1-64 characters from A-Z a-z 0-9 . _ -)
        'node/1'       | name: "node/1" is not a node name (accepted: 1-64 characters from A-Z a-z 0-9 . _ -)
        'nöde'         | name: "nöde" is not a node name (accepted: 1-64 characters from A-Z a-z 0-9 . _ -)
        """)
    void nameIsValidated(String name, String message) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
            () -> CertificateSpec.node(name, List.of(NODE_IP)));
        assertEquals(message, e.getMessage());
    }

    @Test
    void nameOf64CharactersIsTheLongest() {
        String longest = "n".repeat(64);
        assertEquals(longest, CertificateSpec.node(longest, List.of(NODE_IP)).name());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
            () -> CertificateSpec.node(longest + "n", List.of(NODE_IP)));
        assertTrue(e.getMessage().startsWith("name: \"" + longest + "n\" is not a node name"), e.getMessage());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', textBlock = """
        -hub.example   | dns: "-hub.example" is not a DNS name (accepted: labels of A-Z a-z 0-9 -, joined by dots, 253 characters at most)
        hub..example   | dns: "hub..example" is not a DNS name (accepted: labels of A-Z a-z 0-9 -, joined by dots, 253 characters at most)
        hub_1.example  | dns: "hub_1.example" is not a DNS name (accepted: labels of A-Z a-z 0-9 -, joined by dots, 253 characters at most)
        hub.example.   | dns: "hub.example." is not a DNS name (accepted: labels of A-Z a-z 0-9 -, joined by dots, 253 characters at most)
        """)
    void dnsNamesAreValidated(String dns, String message) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
            () -> CertificateSpec.hub("hub-1", List.of(NODE_IP), List.of(dns)));
        assertEquals(message, e.getMessage());
    }

    @Test
    void addressesAndDaysAreRequired() {
        assertEquals("ip: none given (expected: at least one IPv4 address of the node, a.b.c.d)",
            assertThrows(IllegalArgumentException.class, () -> CertificateSpec.node("node-1", List.of())).getMessage());
        assertEquals("ip, dns: none given (expected: the addresses or names nodes dial the hub at)",
            assertThrows(IllegalArgumentException.class, () -> CertificateSpec.hub("hub-1", List.of(), List.of())).getMessage());
        assertEquals(List.of("hub.example"), CertificateSpec.hub("hub-1", List.of(), List.of("hub.example")).dnsNames());
        assertEquals("days: 0 is out of range (accepted: 1-36500)",
            assertThrows(IllegalArgumentException.class, () -> CertificateSpec.node("n", List.of(NODE_IP)).withDays(0)).getMessage());
        assertEquals("days: 0 is out of range (accepted: 1-36500)",
            assertThrows(IllegalArgumentException.class, () -> ClusterCa.create("test CA", 0)).getMessage());
        assertTrue(assertThrows(IllegalArgumentException.class, () -> ClusterCa.create("", 30)).getMessage()
            .startsWith("name: \"\" is not a CA name"));
    }

    @Test
    void repeatedAddressesAreKeptOnce() {
        assertEquals(List.of(NODE_IP, NODE_IP2), CertificateSpec.node("n", List.of(NODE_IP, NODE_IP2, NODE_IP)).addresses());
    }

    /** PKIX path validation, as a TLS peer does it (no revocation: the cluster has no CRL). */
    private static void validate(X509Certificate ca, X509Certificate cert) throws Exception {
        CertPath path = CertificateFactory.getInstance("X.509").generateCertPath(List.of(cert));
        PKIXParameters params = new PKIXParameters(Set.of(new TrustAnchor(ca, null)));
        params.setRevocationEnabled(false);
        CertPathValidator.getInstance("PKIX").validate(path, params);
    }

    private static void assertValidFor(X509Certificate cert, Duration validity) {
        Duration actual = Duration.between(cert.getNotBefore().toInstant(), cert.getNotAfter().toInstant());
        assertEquals(validity.plus(ClusterCa.BACKDATE).toMinutes(), actual.toMinutes());
        assertTrue(cert.getNotBefore().toInstant().isBefore(Instant.now()));
    }
}
