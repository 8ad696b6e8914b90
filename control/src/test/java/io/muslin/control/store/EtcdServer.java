package io.muslin.control.store;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A real etcd for a test class: Debian's {@code etcd} (package {@code etcd-server}) on free
 * loopback ports with a temporary data directory, started before the class's tests and stopped
 * after them. Register it as {@code @RegisterExtension static final EtcdServer ETCD = new EtcdServer();}.
 *
 * <p>Without the binary every test of the class is skipped (not passed) with a message saying
 * how to install it. {@code $MUSLIN_ETCD} names another binary. {@link #etcdctl} runs Debian's
 * {@code etcdctl} (package {@code etcd-client}) against this server, if it is installed.
 */
public final class EtcdServer implements BeforeAllCallback, BeforeEachCallback, AfterAllCallback {
    private static final Duration START_BOUND = Duration.ofSeconds(60);
    private static final String INSTALL_HINT =
        "install Debian's etcd-server (apt-get install -y etcd-server etcd-client) or set MUSLIN_ETCD to an etcd binary";

    private final boolean tls;
    private Path binary;
    private Process process;
    private String peer;
    private Path dir;
    private Path log;
    private URI endpoint;

    private String skipReason = "etcd not found on PATH: " + INSTALL_HINT;

    /** A plain-text etcd. */
    public EtcdServer() {
        this(false);
    }

    private EtcdServer(boolean tls) {
        this.tls = tls;
    }

    /**
     * An etcd serving clients over TLS and requiring client certificates, with a CA, a server
     * and a client certificate made by {@code openssl} (EC P-256, PKCS#8 keys) in its directory:
     * {@link #file} {@code ca.pem}, {@code client.pem}, {@code client.key}.
     */
    public static EtcdServer withTls() {
        return new EtcdServer(true);
    }

    @Override
    public void beforeAll(ExtensionContext context) throws Exception {
        Optional<Path> binary = binary("MUSLIN_ETCD", "etcd");
        if (binary.isEmpty()) {
            return; // each test is skipped in beforeEach, so the report counts them
        }
        dir = Files.createTempDirectory("muslin-etcd-");
        log = dir.resolve("etcd.log");
        if (tls) {
            Optional<Path> openssl = binary("MUSLIN_OPENSSL", "openssl");
            if (openssl.isEmpty()) {
                skipReason = "openssl not found on PATH (needed to make test certificates): apt-get install -y openssl";
                return;
            }
            makeCertificates(openssl.get());
        }
        endpoint = URI.create((tls ? "https" : "http") + "://127.0.0.1:" + freePort());
        peer = "http://127.0.0.1:" + freePort();
        this.binary = binary.get();
        start();
    }

    /** A file in the server's directory (its certificates). */
    public Path file(String name) {
        return dir.resolve(name);
    }

    private void makeCertificates(Path openssl) throws IOException, InterruptedException {
        run(openssl.toString(), "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=muslin-test-ca");
        for (String name : List.of("server", "client")) {
            run(openssl.toString(), "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                "-keyout", name + ".key", "-out", name + ".csr", "-subj", "/CN=muslin-test-" + name);
            Files.writeString(dir.resolve(name + ".ext"),
                "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth\n");
            run(openssl.toString(), "x509", "-req", "-in", name + ".csr", "-CA", "ca.pem", "-CAkey", "ca.key",
                "-CAcreateserial", "-out", name + ".pem", "-days", "2", "-extfile", name + ".ext");
        }
    }

    private void run(String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
            fail(String.join(" ", command) + " failed: " + out);
        }
    }

    /** Stops etcd and starts it again on the same ports and data: clients see a lost connection. */
    public void restart() throws IOException, InterruptedException {
        stop();
        start();
    }

    private void start() throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(binary.toString(),
            "--name", "muslin-test",
            "--data-dir", dir.resolve("data").toString(),
            "--listen-client-urls", endpoint.toString(),
            "--advertise-client-urls", endpoint.toString(),
            "--listen-peer-urls", peer,
            "--initial-advertise-peer-urls", peer,
            "--initial-cluster", "muslin-test=" + peer,
            "--logger", "zap", "--log-outputs", "stderr"));
        if (tls) {
            command.addAll(List.of("--cert-file", file("server.pem").toString(), "--key-file", file("server.key").toString(),
                "--trusted-ca-file", file("ca.pem").toString(), "--client-cert-auth"));
        }
        long logStart = Files.exists(log) ? Files.size(log) : 0;
        process = new ProcessBuilder(command)
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
            .start();
        awaitHealthy(logStart);
    }

    @Override
    public void beforeEach(ExtensionContext context) {
        Assumptions.assumeTrue(process != null, skipReason);
    }

    @Override
    public void afterAll(ExtensionContext context) throws Exception {
        stop();
        if (dir != null) {
            try (Stream<Path> files = Files.walk(dir)) {
                for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    private void stop() throws InterruptedException {
        if (process != null) {
            process.destroy();
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
            process = null;
        }
    }

    /** The client URL, e.g. {@code http://127.0.0.1:41234}. */
    public URI endpoint() {
        return endpoint;
    }

    /** A store configuration for this server with {@code prefix}. */
    public EtcdStoreConfig config(String prefix) {
        return EtcdStoreConfig.of(List.of(endpoint)).withPrefix(prefix);
    }

    /** True when {@code etcdctl} is installed. */
    public static boolean hasEtcdctl() {
        return binary("MUSLIN_ETCDCTL", "etcdctl").isPresent();
    }

    /** Runs {@code etcdctl} (v3 API) against this server and returns its output; fails the test on a non-zero exit. */
    public String etcdctl(String... args) {
        Path binary = binary("MUSLIN_ETCDCTL", "etcdctl").orElseThrow(() -> new IllegalStateException(
            "etcdctl not found: " + INSTALL_HINT));
        List<String> command = new ArrayList<>(List.of(binary.toString(), "--endpoints=" + endpoint));
        command.addAll(List.of(args));
        try {
            ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
            pb.environment().put("ETCDCTL_API", "3");
            Process p = pb.start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                fail("etcdctl " + String.join(" ", args) + " did not finish");
            }
            if (p.exitValue() != 0) {
                fail("etcdctl " + String.join(" ", args) + " exited with " + p.exitValue() + ": " + out);
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private void awaitHealthy(long logStart) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + START_BOUND.toNanos();
        try (HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build()) {
            HttpRequest health = HttpRequest.newBuilder(endpoint.resolve("/health")).timeout(Duration.ofSeconds(2)).build();
            while (System.nanoTime() < deadline) {
                if (!process.isAlive()) {
                    fail("etcd exited with " + process.exitValue() + " at start:\n" + logTail());
                }
                if (tls) {
                    // /health would need the client certificate; etcd logs when it serves TLS.
                    if (Files.readString(log).substring((int) logStart).contains("serving client traffic securely")) {
                        return;
                    }
                    Thread.sleep(100);
                    continue;
                }
                try {
                    HttpResponse<String> response = http.send(health, HttpResponse.BodyHandlers.ofString());
                    if (response.statusCode() == 200 && response.body().contains("\"health\":\"true\"")) {
                        return;
                    }
                } catch (IOException e) {
                    // not listening yet
                }
                Thread.sleep(100);
            }
        }
        process.destroyForcibly();
        fail("etcd did not become healthy within " + START_BOUND + ":\n" + logTail());
    }

    private String logTail() throws IOException {
        List<String> lines = Files.readAllLines(log);
        return String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
    }

    private static Optional<Path> binary(String variable, String name) {
        String override = System.getenv(variable);
        if (override != null && !override.isEmpty()) {
            Path p = Path.of(override);
            return Files.isExecutable(p) ? Optional.of(p) : Optional.empty();
        }
        String path = System.getenv().getOrDefault("PATH", "") + ":/usr/bin:/usr/local/bin";
        for (String d : path.split(":")) {
            if (d.isEmpty()) {
                continue;
            }
            Path p = Path.of(d, name);
            if (Files.isExecutable(p)) {
                return Optional.of(p);
            }
        }
        return Optional.empty();
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }
}
