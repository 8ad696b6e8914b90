package io.muslin.control.tls;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.util.Objects;

/**
 * A certificate and its private key, as {@link ClusterCa} issues them and as TLS presents them.
 *
 * @param certificate the certificate
 * @param key         its private key
 */
public record CertifiedKey(X509Certificate certificate, PrivateKey key) {
    public CertifiedKey {
        Objects.requireNonNull(certificate, "certificate");
        Objects.requireNonNull(key, "key");
    }

    /**
     * Reads a certificate (the first of {@code certFile}) and its key, and checks that they
     * belong together. Messages name the setting and the file.
     */
    public static CertifiedKey read(Path certFile, String certSetting, Path keyFile, String keySetting) throws IOException {
        X509Certificate cert = PemFiles.readCertificates(certFile, certSetting).getFirst();
        PrivateKey key = PemFiles.readKey(keyFile, keySetting);
        if (!matches(key, cert.getPublicKey())) {
            throw PemFiles.error(keySetting, keyFile, "not the key of " + certSetting + " " + certFile
                + " (its public key is another)");
        }
        return new CertifiedKey(cert, key);
    }

    /**
     * Writes the certificate (PEM, mode 0644) and the key (PKCS#8 PEM, mode 0600), each
     * atomically, the key first. Without {@code replace}, refuses with
     * {@link FileAlreadyExistsException} before writing anything if either file exists.
     */
    public void write(Path certFile, Path keyFile, boolean replace) throws IOException {
        if (!replace) {
            for (Path f : new Path[] {keyFile, certFile}) {
                if (Files.exists(f)) {
                    throw new FileAlreadyExistsException(f.toString(), null, "exists (not replaced unless forced)");
                }
            }
        }
        PemFiles.write(keyFile, PemFiles.pem("PRIVATE KEY", key.getEncoded()), PemFiles.KEY_MODE, replace);
        try {
            PemFiles.write(certFile, PemFiles.pem("CERTIFICATE", certificate.getEncoded()), PemFiles.CERT_MODE, replace);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("certificate not encodable", e);
        }
    }

    /** True if {@code key} signs what {@code publicKey} verifies (EC, RSA, EdDSA; true for others, unchecked). */
    static boolean matches(PrivateKey key, PublicKey publicKey) {
        String algorithm = switch (key.getAlgorithm()) {
            case "EC" -> "SHA256withECDSA";
            case "RSA" -> "SHA256withRSA";
            case "Ed25519", "Ed448", "EdDSA" -> "EdDSA";
            default -> null;
        };
        if (algorithm == null) {
            return true;
        }
        try { // a public key of another type fails initVerify
            byte[] challenge = new byte[32];
            new SecureRandom().nextBytes(challenge);
            Signature signer = Signature.getInstance(algorithm);
            signer.initSign(key);
            signer.update(challenge);
            byte[] signature = signer.sign();
            Signature verifier = Signature.getInstance(algorithm);
            verifier.initVerify(publicKey);
            verifier.update(challenge);
            return verifier.verify(signature);
        } catch (GeneralSecurityException e) {
            return false;
        }
    }
}
