package io.muslin.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.muslin.control.tls.CertifiedKey;
import io.muslin.control.tls.ClusterCa;
import io.muslin.control.tls.PeerIdentity;
import io.muslin.control.tls.TlsContexts;
import io.muslin.dataplane.packet.Ipv4Address;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.cert.X509Certificate;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code muslin ca init|issue}, executed in-process. */
class CaCommandTest {
    private static final String SERVER_AUTH = "1.3.6.1.5.5.7.3.1";
    private static final String CLIENT_AUTH = "1.3.6.1.5.5.7.3.2";

    @TempDir
    Path dir;
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();

    private int execute(String... args) {
        out = new StringWriter();
        err = new StringWriter();
        CommandLine cl = Main.commandLine();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        return cl.execute(args);
    }

    @Test
    void initAndIssueWriteFilesThatLoadAndVerify() throws Exception {
        Path caDir = dir.resolve("ca");
        assertEquals(0, execute("ca", "init", "--dir", caDir.toString(), "--days", "100"));
        String[] lines = out.toString().split("\n");
        assertEquals(2, lines.length, out.toString());
        assertTrue(lines[0].startsWith("wrote " + caDir.resolve("ca.crt") + " (CA \"muslin cluster CA\", valid until "), lines[0]);
        assertTrue(lines[1].startsWith("wrote " + caDir.resolve("ca.key") + " (mode 0600"), lines[1]);
        assertEquals("", err.toString());
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(caDir.resolve("ca.key"))));

        assertEquals(0, execute("ca", "issue", "--dir", caDir.toString(), "--name", "node-1",
            "--ip", "192.168.50.1", "--ip", "10.0.0.1"));
        assertEquals("wrote " + caDir.resolve("node-1.crt") + " (node node-1 [192.168.50.1, 10.0.0.1], valid until ",
            out.toString().substring(0, out.toString().indexOf("until ") + 6));
        CertifiedKey node = CertifiedKey.read(caDir.resolve("node-1.crt"), "CertFile", caDir.resolve("node-1.key"), "KeyFile");
        X509Certificate ca = ClusterCa.load(caDir).certificate();
        node.certificate().verify(ca.getPublicKey());
        assertEquals(new PeerIdentity("node-1", List.of(Ipv4Address.parse("192.168.50.1"), Ipv4Address.parse("10.0.0.1"))),
            PeerIdentity.of(node.certificate()));
        assertEquals(List.of(CLIENT_AUTH), node.certificate().getExtendedKeyUsage());
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(caDir.resolve("node-1.key"))));

        Path hubDir = dir.resolve("hub");
        assertEquals(0, execute("ca", "issue", "--dir", caDir.toString(), "--name", "hub-1", "--hub",
            "--ip", "192.168.50.100", "--dns", "hub.example.org", "--days", "30", "--out", hubDir.toString()));
        CertifiedKey hub = CertifiedKey.read(hubDir.resolve("hub-1.crt"), "CertFile", hubDir.resolve("hub-1.key"), "KeyFile");
        hub.certificate().verify(ca.getPublicKey());
        assertEquals(List.of(SERVER_AUTH, CLIENT_AUTH), hub.certificate().getExtendedKeyUsage());
        assertTrue(hub.certificate().getSubjectAlternativeNames().contains(List.of(2, "hub.example.org")));

        // The files make contexts as a hub's and a node's configuration name them.
        assertTrue(TlsContexts.server(caDir.resolve("ca.crt"), hubDir.resolve("hub-1.crt"), hubDir.resolve("hub-1.key")).isServer());
        assertTrue(TlsContexts.client(caDir.resolve("ca.crt"), caDir.resolve("node-1.crt"), caDir.resolve("node-1.key")).isClient());
    }

    @Test
    void badIpExits2WithOneLineNamingTheOption() throws Exception {
        assertEquals(0, execute("ca", "init", "--dir", dir.toString()));
        assertEquals(2, execute("ca", "issue", "--dir", dir.toString(), "--name", "node-1", "--ip", "10.0.0.1", "--ip", "10.0.0.256"));
        assertEquals("muslin: --ip: not an IPv4 address: \"10.0.0.256\" (octets are 0-255)\n", err.toString());
        assertEquals("", out.toString());
        assertFalse(Files.exists(dir.resolve("node-1.key")), "nothing written");
    }

    @Test
    void otherBadOptionsExit2NamingTheOption() throws Exception {
        assertEquals(0, execute("ca", "init", "--dir", dir.toString()));
        String d = dir.toString();
        assertUsage("muslin: --name: \"node 1\" is not a node name (accepted: 1-64 characters from A-Z a-z 0-9 . _ -)",
            "ca", "issue", "--dir", d, "--name", "node 1", "--ip", "10.0.0.1");
        assertUsage("muslin: --ip: missing (expected: the node's PublicIP, a.b.c.d; repeat --ip for more)",
            "ca", "issue", "--dir", d, "--name", "node-1");
        assertUsage("muslin: --ip, --dns: missing (expected: the addresses or names nodes dial the hub at)",
            "ca", "issue", "--dir", d, "--name", "hub-1", "--hub");
        assertUsage("muslin: --dns: \"hub_1\" is not a DNS name (accepted: labels of A-Z a-z 0-9 -, joined by dots, 253 characters at most)",
            "ca", "issue", "--dir", d, "--name", "hub-1", "--hub", "--dns", "hub_1");
        assertUsage("muslin: --days: 0 is out of range (accepted: 1-36500)",
            "ca", "issue", "--dir", d, "--name", "node-1", "--ip", "10.0.0.1", "--days", "0");
        assertUsage("muslin: --days: 40000 is out of range (accepted: 1-36500)",
            "ca", "init", "--dir", dir.resolve("new").toString(), "--days", "40000");
        assertEquals(2, execute("ca", "issue", "--name", "node-1", "--ip", "10.0.0.1"));
        assertTrue(err.toString().contains("--dir"), err.toString());
        assertEquals(2, execute("ca"));
        assertTrue(err.toString().startsWith("muslin ca: missing command (init or issue)\n"), err.toString());
    }

    @Test
    void existingFilesAreKeptUnlessForced() throws Exception {
        assertEquals(0, execute("ca", "init", "--dir", dir.toString()));
        String key = Files.readString(dir.resolve("ca.key"));
        assertEquals(1, execute("ca", "init", "--dir", dir.toString()));
        assertEquals("muslin: " + dir.resolve("ca.key") + " exists (--force replaces it)\n", err.toString());
        assertEquals(key, Files.readString(dir.resolve("ca.key")));
        assertEquals(0, execute("ca", "init", "--dir", dir.toString(), "--force"));
        assertFalse(key.equals(Files.readString(dir.resolve("ca.key"))), "replaced");

        assertEquals(0, execute("ca", "issue", "--dir", dir.toString(), "--name", "node-1", "--ip", "10.0.0.1"));
        assertEquals(1, execute("ca", "issue", "--dir", dir.toString(), "--name", "node-1", "--ip", "10.0.0.1"));
        assertEquals(0, execute("ca", "issue", "--dir", dir.toString(), "--name", "node-1", "--ip", "10.0.0.1", "--force"));
    }

    @Test
    void issueWithoutCaExits1NamingTheFile() {
        Path empty = dir.resolve("empty");
        assertEquals(1, execute("ca", "issue", "--dir", empty.toString(), "--name", "node-1", "--ip", "10.0.0.1"));
        assertEquals("muslin: CA certificate: " + empty.resolve("ca.crt") + ": no such file\n", err.toString());
    }

    private void assertUsage(String line, String... args) {
        assertEquals(2, execute(args), () -> String.join(" ", args) + ": " + err);
        assertEquals(line + "\n", err.toString());
        assertEquals("", out.toString());
    }
}
