package io.muslin.control.tls;

import java.io.IOException;
import java.io.StringReader;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.PrivateKey;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Set;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.openssl.PEMEncryptedKeyPair;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.pkcs.PKCS8EncryptedPrivateKeyInfo;

/**
 * PEM files: certificates and PKCS#8 private keys, read with messages that name the setting and
 * the file ({@code CertFile: /etc/muslin/node1.crt: no such file}), written atomically.
 */
final class PemFiles {
    static final Set<PosixFilePermission> KEY_MODE = PosixFilePermissions.fromString("rw-------");
    static final Set<PosixFilePermission> CERT_MODE = PosixFilePermissions.fromString("rw-r--r--");
    /** Directories made for keys: the CA's key is in one. */
    static final Set<PosixFilePermission> DIR_MODE = PosixFilePermissions.fromString("rwx------");
    private static final long MAX_SIZE = 1 << 20;
    private static final String PKCS8 = "expected: an unencrypted PKCS#8 key, -----BEGIN PRIVATE KEY-----";

    private PemFiles() {
    }

    /** The certificates in {@code file}, in order; at least one. */
    static List<X509Certificate> readCertificates(Path file, String setting) throws IOException {
        return certificates(read(file, setting), file, setting);
    }

    /**
     * The certificates in {@code text}, the content of {@code file} (which only names it in
     * errors), in order; at least one. Any text is an IOException naming the setting and the
     * file, or certificates.
     */
    static List<X509Certificate> certificates(String text, Path file, String setting) throws IOException {
        List<X509Certificate> certs = new ArrayList<>();
        boolean key = false;
        for (Object o : objects(text, file, setting)) {
            if (o instanceof X509CertificateHolder holder) {
                try {
                    certs.add(new JcaX509CertificateConverter().getCertificate(holder));
                } catch (CertificateException e) {
                    throw error(setting, file, "not a usable certificate: " + e.getMessage());
                }
            } else {
                key |= o instanceof PrivateKeyInfo || o instanceof PEMKeyPair || o instanceof PEMEncryptedKeyPair
                    || o instanceof PKCS8EncryptedPrivateKeyInfo;
            }
        }
        if (certs.isEmpty()) {
            throw error(setting, file, (key ? "holds a private key, not a certificate" : "no PEM certificate in it")
                + " (expected: -----BEGIN CERTIFICATE-----)");
        }
        return certs;
    }

    /** The one private key in {@code file}: PKCS#8, or the SEC 1 / PKCS#1 forms openssl writes. */
    static PrivateKey readKey(Path file, String setting) throws IOException {
        return key(read(file, setting), file, setting);
    }

    /**
     * The one private key in {@code text}, the content of {@code file} (which only names it in
     * errors). Any text is an IOException naming the setting and the file, or a key.
     */
    static PrivateKey key(String text, Path file, String setting) throws IOException {
        PrivateKeyInfo found = null;
        boolean cert = false;
        for (Object o : objects(text, file, setting)) {
            PrivateKeyInfo info = switch (o) {
                case PrivateKeyInfo i -> i;
                case PEMKeyPair pair -> pair.getPrivateKeyInfo();
                case PEMEncryptedKeyPair e -> throw error(setting, file, "the key is encrypted (" + PKCS8 + ")");
                case PKCS8EncryptedPrivateKeyInfo e -> throw error(setting, file, "the key is encrypted (" + PKCS8 + ")");
                default -> {
                    cert |= o instanceof X509CertificateHolder;
                    yield null;
                }
            };
            if (info != null && found != null) {
                throw error(setting, file, "holds more than one private key (" + PKCS8 + ")");
            }
            found = info != null ? info : found;
        }
        if (found == null) {
            throw error(setting, file, (cert ? "holds a certificate, not a private key" : "no PEM private key in it")
                + " (" + PKCS8 + ")");
        }
        try {
            return new JcaPEMKeyConverter().getPrivateKey(found);
        } catch (IOException e) {
            throw error(setting, file, "not a usable private key: " + e.getMessage());
        }
    }

    /** {@code der} as PEM: {@code -----BEGIN type-----}, base64 in lines of 64, {@code -----END type-----}. */
    static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n"
            + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der)
            + "\n-----END " + type + "-----\n";
    }

    /**
     * Writes {@code text} to {@code file} with {@code mode}: into a temporary file in the same
     * directory, synced, then renamed over {@code file} ({@code replace}) or linked to it (not
     * replacing: fails with {@link FileAlreadyExistsException} if {@code file} exists). A reader
     * sees the old file or the new one, never a part.
     */
    static void write(Path file, String text, Set<PosixFilePermission> mode, boolean replace) throws IOException {
        Path dir = file.toAbsolutePath().getParent();
        Path tmp = Files.createTempFile(dir, "." + file.getFileName() + ".", ".tmp", PosixFilePermissions.asFileAttribute(mode));
        try {
            Files.setPosixFilePermissions(tmp, mode);
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                ByteBuffer buf = ByteBuffer.wrap(text.getBytes(StandardCharsets.US_ASCII));
                while (buf.hasRemaining()) {
                    ch.write(buf);
                }
                ch.force(true);
            }
            if (replace) {
                Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);
            } else {
                Files.createLink(file, tmp);
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** Makes {@code dir} (mode 0700) and its missing parents, if it does not exist. */
    static void makeDirectory(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(DIR_MODE));
        }
    }

    static IOException error(String setting, Path file, String problem) {
        return new IOException(setting + ": " + file + ": " + problem);
    }

    /** The text of {@code file}: at most {@value #MAX_SIZE} bytes, each read as one character. */
    private static String read(Path file, String setting) throws IOException {
        if (file == null) {
            throw new IOException(setting + ": missing (expected: a PEM file)");
        }
        String text;
        try {
            if (Files.isDirectory(file)) {
                throw error(setting, file, "is a directory (expected: a PEM file)");
            }
            if (Files.size(file) > MAX_SIZE) {
                throw error(setting, file, "larger than " + MAX_SIZE + " bytes (expected: a PEM file)");
            }
            // PEM is ASCII; ISO-8859-1 reads any byte, so a binary (DER) file fails below as not PEM.
            text = Files.readString(file, StandardCharsets.ISO_8859_1);
        } catch (NoSuchFileException e) {
            throw error(setting, file, "no such file");
        } catch (AccessDeniedException e) {
            throw error(setting, file, "not readable (permission denied)");
        }
        return text;
    }

    /** The PEM objects in {@code text} (from {@code file}); at least one. */
    private static List<Object> objects(String text, Path file, String setting) throws IOException {
        List<Object> objects = new ArrayList<>();
        try (PEMParser parser = new PEMParser(new StringReader(text))) {
            for (Object o = parser.readObject(); o != null; o = parser.readObject()) {
                objects.add(o);
            }
        } catch (IOException | RuntimeException e) {
            throw error(setting, file, "not PEM: " + e.getMessage());
        }
        if (objects.isEmpty()) {
            throw error(setting, file, "not PEM (no -----BEGIN ...----- line)");
        }
        return objects;
    }
}
