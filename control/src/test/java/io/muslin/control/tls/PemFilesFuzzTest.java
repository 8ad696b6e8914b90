package io.muslin.control.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.muslin.dataplane.packet.Ipv4Address;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Fuzz target: PEM files as the node and hub read them for TLS (CAFile, CertFile, KeyFile):
 * {@link PemFiles#certificates} and {@link PemFiles#key}. Input: a mode byte, then either the
 * file's text (mode 0) or DER wrapped in PEM armor of the type the mode names, so the fuzzer
 * works on the certificate and key structures themselves too.
 *
 * <p>What must hold: any file is certificates (a key) or an IOException whose message names the
 * setting and the file, nothing else; what was read, written as PEM again, reads back equal.
 */
class PemFilesFuzzTest {
    private static final Path FILE = Path.of("fuzz.pem");
    private static final String[] TYPES = {"CERTIFICATE", "PRIVATE KEY", "EC PRIVATE KEY", "RSA PRIVATE KEY",
        "ENCRYPTED PRIVATE KEY", "PUBLIC KEY", "X509 CRL"};

    static Stream<byte[]> seeds() throws CertificateEncodingException {
        ClusterCa ca = ClusterCa.create("fuzz CA", 1);
        CertifiedKey node = ca.issue(new CertificateSpec(CertificateSpec.Role.NODE, "node1",
            List.of(Ipv4Address.parse("192.168.50.1")), List.of(), 1));
        byte[] cert = node.certificate().getEncoded();
        byte[] key = node.key().getEncoded();
        String both = PemFiles.pem("CERTIFICATE", cert) + PemFiles.pem("PRIVATE KEY", key);
        return Stream.of(
            withMode(0, both.getBytes(StandardCharsets.ISO_8859_1)),
            withMode(1, cert),
            withMode(2, key),
            withMode(1, ca.certificate().getEncoded()));
    }

    private static byte[] withMode(int mode, byte[] body) {
        byte[] out = new byte[1 + body.length];
        out[0] = (byte) mode;
        System.arraycopy(body, 0, out, 1, body.length);
        return out;
    }

    @MethodSource("seeds")
    @FuzzTest
    void read(byte[] input) throws Exception {
        if (input.length < 1) {
            return;
        }
        int mode = (input[0] & 0xFF) % (TYPES.length + 1);
        byte[] body = Arrays.copyOfRange(input, 1, input.length);
        // As PemFiles reads a file: one character per byte.
        String text = mode == 0 ? new String(body, StandardCharsets.ISO_8859_1) : PemFiles.pem(TYPES[mode - 1], body);
        try {
            List<X509Certificate> certs = PemFiles.certificates(text, FILE, "CertFile");
            StringBuilder again = new StringBuilder();
            for (X509Certificate c : certs) {
                again.append(PemFiles.pem("CERTIFICATE", c.getEncoded()));
            }
            assertEquals(certs, PemFiles.certificates(again.toString(), FILE, "CertFile"), "written and read back");
        } catch (IOException e) {
            assertTrue(e.getMessage().startsWith("CertFile: fuzz.pem: "), e.getMessage());
        }
        try {
            PrivateKey key = PemFiles.key(text, FILE, "KeyFile");
            assertEquals(key, PemFiles.key(PemFiles.pem("PRIVATE KEY", key.getEncoded()), FILE, "KeyFile"));
        } catch (IOException e) {
            assertTrue(e.getMessage().startsWith("KeyFile: fuzz.pem: "), e.getMessage());
        }
    }
}
