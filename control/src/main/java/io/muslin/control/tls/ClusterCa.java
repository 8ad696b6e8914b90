package io.muslin.control.tls;

import io.muslin.dataplane.packet.Ipv4Address;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.AuthorityKeyIdentifier;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.asn1.x509.SubjectKeyIdentifier;
import org.bouncycastle.cert.CertIOException;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * The cluster's certificate authority: made once ({@link #create}), kept as {@code ca.crt} and
 * {@code ca.key} ({@link #write}, {@link #load}), and used to issue the certificates of nodes
 * and hubs ({@link #issue}). Keys are EC P-256; certificates are signed with SHA256withECDSA
 * (or, by a CA made elsewhere, with RSA or Ed25519) by BouncyCastle's builder (the JDK has no
 * public API to make a certificate), with the JDK's own providers. The package comment lists what each certificate holds.
 */
public final class ClusterCa {
    public static final String DEFAULT_NAME = "muslin cluster CA";
    public static final int DEFAULT_DAYS = 3650;
    /** The X.520 upper bound of a common name. */
    public static final int MAX_NAME_LEN = 64;
    public static final String CERT_FILE = "ca.crt";
    public static final String KEY_FILE = "ca.key";
    /** Certificates start this much before they are made: clocks of a cluster differ a little. */
    static final Duration BACKDATE = Duration.ofMinutes(5);
    private static final SecureRandom RANDOM = new SecureRandom();

    private final CertifiedKey ca;

    private ClusterCa(CertifiedKey ca) {
        this.ca = ca;
    }

    /**
     * A new CA: a fresh key and a self-signed certificate, CN {@code name}, valid {@code days}
     * days (1-{@value CertificateSpec#MAX_DAYS}).
     */
    public static ClusterCa create(String name, int days) {
        try {
            checkName(name);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("name: " + e.getMessage(), e);
        }
        try {
            CertificateSpec.checkDays(days);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("days: " + e.getMessage(), e);
        }
        KeyPair keys = newKeyPair();
        X500Name subject = commonName(name);
        Instant now = Instant.now();
        X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(subject, serial(), Date.from(now.minus(BACKDATE)),
            Date.from(now.plus(Duration.ofDays(days))), subject, keys.getPublic());
        try {
            JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
            b.addExtension(Extension.basicConstraints, true, new BasicConstraints(0));
            b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
            b.addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(keys.getPublic()));
            X509Certificate cert = new JcaX509CertificateConverter()
                .getCertificate(b.build(new JcaContentSignerBuilder(signature(keys.getPrivate())).build(keys.getPrivate())));
            return new ClusterCa(new CertifiedKey(cert, keys.getPrivate()));
        } catch (GeneralSecurityException | CertIOException | OperatorCreationException e) {
            throw new IllegalStateException("making the CA certificate failed", e);
        }
    }

    /** Returns {@code name} if it can be the CA's CN, else throws (the message names no field). */
    public static String checkName(String name) {
        if (name == null || name.isBlank() || name.length() > MAX_NAME_LEN) {
            throw new IllegalArgumentException((name == null ? "missing" : "\"" + name + "\" is not a CA name")
                + " (accepted: 1-" + MAX_NAME_LEN + " characters, not all blank)");
        }
        return name;
    }

    /** Loads {@code dir/ca.crt} and {@code dir/ca.key}. */
    public static ClusterCa load(Path dir) throws IOException {
        return load(dir.resolve(CERT_FILE), dir.resolve(KEY_FILE));
    }

    /** Loads a CA's certificate and key; the certificate must be a CA's (basicConstraints CA:TRUE). */
    public static ClusterCa load(Path certFile, Path keyFile) throws IOException {
        CertifiedKey ca = CertifiedKey.read(certFile, "CA certificate", keyFile, "CA key");
        if (ca.certificate().getBasicConstraints() < 0) {
            throw PemFiles.error("CA certificate", certFile, "not a CA's certificate (basicConstraints CA:TRUE missing)");
        }
        if (signature(ca.key()) == null) {
            throw PemFiles.error("CA key", keyFile, "a " + ca.key().getAlgorithm() + " key (accepted: EC, RSA, Ed25519)");
        }
        return new ClusterCa(ca);
    }

    /** The CA's certificate: what nodes and hubs trust (their CAFile). */
    public X509Certificate certificate() {
        return ca.certificate();
    }

    /**
     * Writes {@code dir/ca.crt} and {@code dir/ca.key} (mode 0600), making {@code dir} (mode
     * 0700) if it does not exist. Without {@code replace}, an existing file is left alone and
     * the call fails with {@link java.nio.file.FileAlreadyExistsException}.
     */
    public void write(Path dir, boolean replace) throws IOException {
        PemFiles.makeDirectory(dir);
        ca.write(dir.resolve(CERT_FILE), dir.resolve(KEY_FILE), replace);
    }

    /**
     * Issues a certificate for {@code spec} with a fresh key, valid from now for
     * {@code spec.days()}, or until the CA's certificate ends if that is sooner (as cfssl does:
     * nothing verifies beyond it).
     */
    public CertifiedKey issue(CertificateSpec spec) {
        Instant now = Instant.now();
        Instant end = now.plus(Duration.ofDays(spec.days()));
        Instant caEnd = ca.certificate().getNotAfter().toInstant();
        return issue(spec, now.minus(BACKDATE), end.isAfter(caEnd) ? caEnd : end);
    }

    /** As {@link #issue(CertificateSpec)}, valid from {@code notBefore} to {@code notAfter} (tests: expired ones). */
    CertifiedKey issue(CertificateSpec spec, Instant notBefore, Instant notAfter) {
        KeyPair keys = newKeyPair();
        X509Certificate issuer = ca.certificate();
        X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(issuer, serial(), Date.from(notBefore),
            Date.from(notAfter), commonName(spec.name()), keys.getPublic());
        try {
            JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
            b.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
            b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature));
            b.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(purposes(spec.role())));
            b.addExtension(Extension.subjectAlternativeName, false, subjectAltNames(spec));
            b.addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(keys.getPublic()));
            b.addExtension(Extension.authorityKeyIdentifier, false, authorityKeyId(ext, issuer));
            X509Certificate cert = new JcaX509CertificateConverter()
                .getCertificate(b.build(new JcaContentSignerBuilder(signature(ca.key())).build(ca.key())));
            return new CertifiedKey(cert, keys.getPrivate());
        } catch (GeneralSecurityException | CertIOException | OperatorCreationException e) {
            throw new IllegalStateException("issuing a certificate for " + spec + " failed", e);
        }
    }

    /** How a CA with {@code key} signs: ECDSA or RSA with SHA-256, or Ed25519 (a CA made elsewhere); null for others. */
    private static String signature(PrivateKey key) {
        return switch (key.getAlgorithm()) {
            case "EC" -> "SHA256withECDSA";
            case "RSA" -> "SHA256withRSA";
            case "Ed25519", "EdDSA" -> "Ed25519";
            default -> null;
        };
    }

    /**
     * The CA's key identifier only (its SKI, or the SHA-1 of its key when it has none): not its
     * name and serial, which would tie the certificate to this one CA certificate, not its key.
     */
    private static AuthorityKeyIdentifier authorityKeyId(JcaX509ExtensionUtils ext, X509Certificate issuer)
        throws GeneralSecurityException {
        SubjectKeyIdentifier ski = SubjectKeyIdentifier.fromExtensions(new JcaX509CertificateHolder(issuer).getExtensions());
        return ski != null ? new AuthorityKeyIdentifier(ski.getKeyIdentifier())
            : ext.createAuthorityKeyIdentifier(issuer.getPublicKey());
    }

    private static KeyPurposeId[] purposes(CertificateSpec.Role role) {
        return switch (role) {
            case NODE -> new KeyPurposeId[] {KeyPurposeId.id_kp_clientAuth};
            case HUB -> new KeyPurposeId[] {KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth};
        };
    }

    private static GeneralNames subjectAltNames(CertificateSpec spec) {
        List<GeneralName> names = new ArrayList<>();
        for (int address : spec.addresses()) {
            names.add(new GeneralName(GeneralName.iPAddress, Ipv4Address.format(address)));
        }
        for (String dns : spec.dnsNames()) {
            names.add(new GeneralName(GeneralName.dNSName, dns));
        }
        return new GeneralNames(names.toArray(GeneralName[]::new));
    }

    private static X500Name commonName(String name) {
        return new X500NameBuilder(BCStyle.INSTANCE).addRDN(BCStyle.CN, name).build();
    }

    /** A positive serial of 127 random bits (RFC 5280 4.1.2.2: at most 20 octets, unique per CA). */
    private static BigInteger serial() {
        return new BigInteger(127, RANDOM).setBit(126);
    }

    private static KeyPair newKeyPair() {
        try {
            KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
            g.initialize(new ECGenParameterSpec("secp256r1"), RANDOM);
            return g.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("EC P-256 keys are not available", e);
        }
    }
}
