package io.muslin.node.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.muslin.dataplane.packet.Ipv4Address;
import io.muslin.dataplane.packet.Ipv4Prefix;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;

/**
 * One network-namespace lab ({@code scripts/lab.sh}) for one test class.
 *
 * <p>Each instance has its own prefix ({@code mt} + 6 hex digits), so test classes, and test
 * runs of other people on the same machine, never share namespaces. The lab's files (configs,
 * daemon logs, pid files, captures, the output of every command run here) live in
 * {@code node/target/e2e/<prefix>}. {@link #close()} runs {@code lab.sh down}; it is also
 * registered as a shutdown hook, so a JVM that is told to stop still cleans up.
 *
 * <p>Every command runs with a deadline; waits poll a condition a bounded number of times.
 * Nothing here asserts on time.
 */
final class Lab implements AutoCloseable {
    static final String SKIP_MESSAGE =
            "skipped: needs root, iproute2 and /dev/net/tun (run scripts/test.sh as root)";

    static final Path ROOT = findRoot();
    static final Path LAB_SH = ROOT.resolve("scripts/lab.sh");
    static final Path MUSLIN = ROOT.resolve("bin/muslin");
    static final int VXLAN_PORT = 8472;
    static final String OVERLAY_DEVICE = "muslin0";
    static final String CLUSTER_NETWORK = "10.244.0.0/16";
    /**
     * Dataplane threads of every muslin daemon the tests start ({@code -Dmuslin.it.threads=N},
     * passed to {@code lab.sh --threads}); empty: each daemon's default, one per core.
     */
    static final String THREADS = System.getProperty("muslin.it.threads", "").trim();
    /** OpenBSD netcat (for -N); Debian's "nc" may point at another netcat. */
    static final String NETCAT = findExecutable("nc.openbsd") != null ? "nc.openbsd" : "nc";

    /**
     * JVM options for every daemon a lab starts (through {@code MUSLIN_JAVA_OPTS} for
     * {@code bin/muslin}, or on the command line): Netty's leak detector at paranoid. A daemon
     * sweeps for leaks as it exits, and {@link #close()} fails on any {@code LEAK:} line.
     */
    static final String DAEMON_JVM_OPTIONS = "-Dio.netty.leakDetection.level=paranoid";
    private static final String LEAK_MARK = "LEAK:";
    private static final Duration SIGTERM_GRACE = Duration.ofSeconds(10);
    private static final Duration LAB_UP_TIMEOUT = Duration.ofMinutes(4);
    private static final Duration LAB_DOWN_TIMEOUT = Duration.ofMinutes(2);
    private static final Pattern COUNTER = Pattern.compile("\"?([A-Za-z][A-Za-z0-9_.]*)\"?\\s*[:=]?\\s*(-?\\d+)\\b");

    final String prefix;
    final Path dir;
    private final AtomicInteger commandSeq = new AtomicInteger();
    private final List<Process> spawned = new ArrayList<>();
    private final Thread shutdownHook;
    private volatile boolean up;
    /** The nodes on the second underlay subnet, from the {@code --remote-nodes} given to {@link #up}. */
    private volatile Set<Integer> remoteNodes = Set.of();

    private Lab(String prefix) {
        this.prefix = prefix;
        this.dir = ROOT.resolve("node/target/e2e").resolve(prefix);
        this.shutdownHook = new Thread(this::downQuietly, "lab-down-" + prefix);
    }

    /** Skips the calling test class unless this machine can run the lab. */
    static void assumeLabCapable() {
        Assumptions.assumeTrue(isRoot() && findExecutable("ip") != null && Files.exists(Path.of("/dev/net/tun")),
                SKIP_MESSAGE);
    }

    /** Skips unless every tool is on the PATH (scripts/test.sh installs them). */
    static void assumeTools(String... tools) {
        for (String tool : tools) {
            Assumptions.assumeTrue(findExecutable(tool) != null,
                    "skipped: " + tool + " is not installed (scripts/test.sh installs it)");
        }
    }

    /** A lab object with a fresh prefix; nothing exists until {@link #up}. */
    static Lab create() {
        String id = HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextInt()).substring(0, 6);
        return new Lab("mt" + id);
    }

    /** {@code lab.sh up --nodes N <args>}: fails the test with lab.sh's output when it fails. */
    Lab up(int nodes, String... args) {
        List<String> cmd = new ArrayList<>(List.of(LAB_SH.toString(), "up", "--nodes", Integer.toString(nodes),
                "--prefix", prefix, "--dir", dir.toString()));
        cmd.addAll(Arrays.asList(args));
        if (!THREADS.isEmpty() && !cmd.contains("--threads")) {
            cmd.addAll(List.of("--threads", THREADS));
        }
        remoteNodes = parseRemoteNodes(args);
        Runtime.getRuntime().addShutdownHook(shutdownHook);
        up = true;
        Result r = run(LAB_UP_TIMEOUT, cmd);
        if (r.exitCode() != 0) {
            fail("lab.sh up failed (exit " + r.exitCode() + "):\n" + r.output());
        }
        return this;
    }

    /**
     * The {@code Dataplane} section, with a trailing comma, for configurations a test writes
     * itself: empty unless {@link #THREADS} is set.
     */
    static String dataplaneSection() {
        return THREADS.isEmpty() ? "" : "\"Dataplane\": {\"Threads\": " + THREADS + "}, ";
    }

    /**
     * {@code lab.sh down}: stops everything this lab started (background processes get SIGTERM,
     * then SIGKILL if they linger), then fails if any daemon logged a buffer leak. Safe to call
     * twice.
     */
    @Override
    public void close() {
        stopSpawned();
        if (!up) {
            return;
        }
        Result r = run(LAB_DOWN_TIMEOUT, List.of(LAB_SH.toString(), "down", "--prefix", prefix, "--dir", dir.toString()));
        up = false;
        try {
            Runtime.getRuntime().removeShutdownHook(shutdownHook);
        } catch (IllegalStateException shuttingDown) {
            // called from the hook itself
        }
        assertEquals(0, r.exitCode(), () -> "lab.sh down failed:\n" + r.output());
        assertNoLeaks();
    }

    private void stopSpawned() {
        synchronized (spawned) {
            for (Process p : spawned) {
                p.descendants().forEach(ProcessHandle::destroy);
                p.destroy();
            }
            long deadline = System.nanoTime() + SIGTERM_GRACE.toNanos();
            for (Process p : spawned) {
                try {
                    p.waitFor(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
            }
            spawned.clear();
        }
    }

    /** Fails with every {@code LEAK:} line a daemon of this lab wrote (its logs and outputs). */
    void assertNoLeaks() {
        List<String> leaks = new ArrayList<>();
        try (var files = Files.walk(dir)) {
            files.filter(Files::isRegularFile)
                .filter(f -> f.toString().endsWith(".log") || f.toString().endsWith(".out") || f.toString().endsWith(".err"))
                .forEach(f -> read(f).lines().filter(l -> l.contains(LEAK_MARK))
                    .forEach(l -> leaks.add(dir.relativize(f) + ": " + l)));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        assertTrue(leaks.isEmpty(), () -> "buffer leaks logged by the lab's daemons:\n" + String.join("\n", leaks));
    }

    /** {@code lab.sh stop NODE}: SIGTERM to node {@code i}'s daemon, waiting for it to exit. */
    void stopDaemon(int i) {
        Result r = run(LAB_DOWN_TIMEOUT, List.of(LAB_SH.toString(), "stop", Integer.toString(i), "--prefix", prefix,
                "--dir", dir.toString()));
        assertEquals(0, r.exitCode(), () -> "lab.sh stop " + i + " failed:\n" + r.output());
    }

    /**
     * {@code lab.sh router-mtu M}: sets the narrow link's MTU on both routers, now (the nodes
     * learn it only from the routers' "fragmentation needed"). Needs a lab up with {@code --router-mtu}.
     */
    void setRouterMtu(int mtu) {
        Result r = run(Duration.ofSeconds(30), List.of(LAB_SH.toString(), "router-mtu", Integer.toString(mtu),
                "--prefix", prefix, "--dir", dir.toString()));
        assertEquals(0, r.exitCode(), () -> "lab.sh router-mtu " + mtu + " failed:\n" + r.output());
    }

    /** {@code lab.sh start NODE}: starts node {@code i}'s daemon (with its config file as it is now) and waits until ready. */
    void startDaemon(int i) {
        Result r = run(LAB_UP_TIMEOUT, List.of(LAB_SH.toString(), "start", Integer.toString(i), "--prefix", prefix,
                "--dir", dir.toString()));
        assertEquals(0, r.exitCode(), () -> "lab.sh start " + i + " failed:\n" + r.output());
    }

    /** A counter of namespace {@code ns}'s IP statistics ({@code /proc/net/snmp}, e.g. {@code FragCreates}). */
    long ipCounter(String ns, String name) {
        List<String> lines = execOk(ns, Duration.ofSeconds(10), "cat", "/proc/net/snmp").stdout().lines()
                .filter(l -> l.startsWith("Ip:")).toList();
        List<String> names = Arrays.asList(lines.get(0).split("\\s+"));
        int column = names.indexOf(name);
        assertTrue(column > 0, () -> "no Ip counter " + name + " in " + names);
        return Long.parseLong(lines.get(1).split("\\s+")[column]);
    }

    /** The daemon log of node {@code i}. */
    String daemonLog(int i) {
        return read(nodeDir(i).resolve("muslin.log"));
    }

    private void downQuietly() {
        try {
            close();
        } catch (Throwable ignored) {
            // best effort while the JVM stops
        }
    }

    // ------------------------------------------------------------------ names

    String nodeNs(int i) {
        return prefix + "-n" + i;
    }

    String podNs(int i) {
        return prefix + "-p" + i;
    }

    static String podIp(int i) {
        return "10.244." + i + ".2";
    }

    /** Pod {@code i}'s IPv6 address in a lab up with {@code --ipv6}: fd00:10:244:<i hex>::2. */
    static String podIp6(int i) {
        return String.format("fd00:10:244:%x::2", i);
    }

    /** Node {@code i}'s IPv6 underlay address in a lab up with {@code --ipv6}: fd00:50::<i hex>. */
    static String nodeIp6(int i) {
        return String.format("fd00:50::%x", i);
    }

    String ulNs() {
        return prefix + "-ul";
    }

    /**
     * The router between the two underlay subnets (only with {@code --remote-nodes}); with
     * {@code --router-mtu}, router A: subnet A's side of the narrow link (its {@code wan}, 10.255.0.1).
     */
    String routerNs() {
        return prefix + "-rt";
    }

    /** Router B, subnet B's side of the narrow link (its {@code wan}, 10.255.0.2): only with {@code --router-mtu}. */
    String router2Ns() {
        return prefix + "-rt2";
    }

    /** The BGP route reflector (BIRD) of a lab up with {@code --reflector}: 192.168.50.250, and 192.168.50.251 free. */
    String reflectorNs() {
        return prefix + "-rr";
    }

    /** {@code birdc} of the lab's route reflector ({@code lab.sh birdc}). */
    Result birdc(String... args) {
        List<String> cmd = new ArrayList<>(List.of(LAB_SH.toString(), "birdc", "--prefix", prefix, "--dir",
                dir.toString(), "--"));
        cmd.addAll(Arrays.asList(args));
        return run(Duration.ofSeconds(30), cmd);
    }

    /** Node {@code i}'s address on underlay subnet A, 192.168.50.i: right unless i is remote; see {@link #pubIp}. */
    static String nodeIp(int i) {
        return nodeIp(i, false);
    }

    /** Node {@code i}'s underlay address: 192.168.60.i on subnet B (a remote node), else 192.168.50.i. */
    static String nodeIp(int i, boolean remote) {
        return (remote ? "192.168.60." : "192.168.50.") + i;
    }

    /** Node {@code i}'s underlay address in this lab (lab.sh's {@code pub_ip}). */
    String pubIp(int i) {
        return nodeIp(i, isRemote(i));
    }

    /** True when node {@code i} was listed in {@code --remote-nodes}: subnet B, behind the router. */
    boolean isRemote(int i) {
        return remoteNodes.contains(i);
    }

    /** The node numbers of the last {@code --remote-nodes LIST} in {@code args}, as lab.sh reads them. */
    static Set<Integer> parseRemoteNodes(String... args) {
        Set<Integer> nodes = new HashSet<>();
        for (int k = 0; k + 1 < args.length; k++) {
            if (args[k].equals("--remote-nodes")) {
                nodes.clear();
                for (String n : args[k + 1].split(",")) {
                    if (!n.isBlank()) {
                        nodes.add(Integer.parseInt(n.trim()));
                    }
                }
            }
        }
        return Set.copyOf(nodes);
    }

    static String vtepMac(int i) {
        return String.format("6e:75:73:00:00:%02x", i);
    }

    Path nodeDir(int i) {
        return dir.resolve("n" + i);
    }

    Path config(int i) {
        return dir.resolve("n" + i + ".json");
    }

    Path adminSocket(int i) {
        return nodeDir(i).resolve("admin.sock");
    }

    Path subnetEnv(int i) {
        return nodeDir(i).resolve("subnet.env");
    }

    // ------------------------------------------------------------------ commands

    record Result(int exitCode, String stdout, String stderr) {
        String output() {
            return stdout + (stderr.isEmpty() ? "" : "\n[stderr]\n" + stderr);
        }
    }

    /** Runs {@code cmd} in namespace {@code ns} and waits for it (at most {@code timeout}). */
    Result exec(String ns, Duration timeout, String... cmd) {
        return run(timeout, inNs(ns, cmd));
    }

    /** Like {@link #exec}, but fails the test unless the command exits 0. */
    Result execOk(String ns, Duration timeout, String... cmd) {
        Result r = exec(ns, timeout, cmd);
        if (r.exitCode() != 0) {
            fail("`" + String.join(" ", cmd) + "` in " + ns + " exited " + r.exitCode() + ":\n" + r.output());
        }
        return r;
    }

    static List<String> inNs(String ns, String... cmd) {
        List<String> full = new ArrayList<>(List.of("ip", "netns", "exec", ns));
        full.addAll(Arrays.asList(cmd));
        return full;
    }

    /** Runs a command with its output in files (no pipe to fill up), killing it at the deadline. */
    Result run(Duration timeout, List<String> cmd) {
        Path out = logFile("out");
        Path err = logFile("err");
        try {
            ProcessBuilder pb = new ProcessBuilder(cmd).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                    .redirectOutput(out.toFile()).redirectError(err.toFile());
            daemonEnvironment(pb);
            Process p = pb.start();
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                fail("`" + String.join(" ", cmd) + "` did not finish within " + timeout + ":\n"
                        + new Result(-1, read(out), read(err)).output());
            }
            return new Result(p.exitValue(), read(out), read(err));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }

    /** A background process: its output goes to {@code <name>.out} and {@code <name>.err} in the lab dir. */
    record Spawned(Process process, Path stdout, Path stderr) {
        String output() {
            return read(stdout) + "\n[stderr]\n" + read(stderr);
        }

        /** Waits for it to exit; fails the test at the deadline. */
        int await(Duration timeout) {
            try {
                if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                    process.destroyForcibly();
                    fail("background process " + process.info().commandLine().orElse("?")
                            + " did not exit within " + timeout + ":\n" + output());
                }
                return process.exitValue();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted", e);
            }
        }
    }

    /** Starts {@code cmd} in the background; {@link #close()} kills it if it is still running. */
    Spawned spawn(String name, Path stdin, List<String> cmd) {
        Path out = dir.resolve(name + ".out");
        Path err = dir.resolve(name + ".err");
        try {
            Files.createDirectories(dir);
            ProcessBuilder pb = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile());
            daemonEnvironment(pb);
            pb.redirectInput(stdin == null ? ProcessBuilder.Redirect.from(new File("/dev/null"))
                    : ProcessBuilder.Redirect.from(stdin.toFile()));
            Process p = pb.start();
            synchronized (spawned) {
                spawned.add(p);
            }
            return new Spawned(p, out, err);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Daemons started through {@code bin/muslin} (lab.sh, tests) run with {@link #DAEMON_JVM_OPTIONS}. */
    private static void daemonEnvironment(ProcessBuilder pb) {
        String opts = pb.environment().getOrDefault("MUSLIN_JAVA_OPTS", "");
        pb.environment().put("MUSLIN_JAVA_OPTS", (opts + " " + DAEMON_JVM_OPTIONS).strip());
    }

    private Path logFile(String kind) {
        try {
            Path cmdDir = dir.resolve("cmd");
            Files.createDirectories(cmdDir);
            return cmdDir.resolve(String.format("%04d.%s", commandSeq.incrementAndGet(), kind));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static void write(Path file, String text) {
        try {
            Files.writeString(file, text);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** {@code muslin routes} on node {@code i}: the peer routes its daemon has programmed. */
    String peerRoutes(int i) {
        return muslin(i, "routes").stdout();
    }

    /** Waits until each of nodes 1..{@code nodes} has programmed exactly {@code count} peer routes. */
    void awaitPeerRoutes(int nodes, int count) {
        for (int n = 1; n <= nodes; n++) {
            int node = n;
            assertTrue(waitFor(100, () -> peerRoutes(node).lines().count() == count),
                () -> "node " + node + ": " + peerRoutes(node));
        }
    }

    static String read(Path file) {
        try {
            return Files.exists(file) ? Files.readString(file, StandardCharsets.UTF_8) : "";
        } catch (IOException e) {
            return "<" + e + ">";
        }
    }

    // ------------------------------------------------------------------ waits and checks

    /** Polls {@code condition} every 200 ms, up to {@code attempts} times. */
    static boolean waitFor(int attempts, BooleanSupplier condition) {
        for (int i = 0; i < attempts; i++) {
            if (condition.getAsBoolean()) {
                return true;
            }
            sleep(200);
        }
        return condition.getAsBoolean();
    }

    static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }

    /** {@code ping -c 3 -W 2} from pod {@code from} to pod {@code to}, up to three tries. */
    void assertPing(int from, int to) {
        Result last = null;
        for (int attempt = 0; attempt < 3; attempt++) {
            last = exec(podNs(from), Duration.ofSeconds(30), "ping", "-n", "-c", "3", "-W", "2", podIp(to));
            if (last.exitCode() == 0) {
                return;
            }
        }
        fail("ping pod" + from + " -> pod" + to + " (" + podIp(to) + ") failed 3 times:\n" + last.output()
                + "\n" + diagnostics());
    }

    /**
     * Moves pod {@code i} into {@code subnet} (e.g. the one its node was allocated, read from its
     * subnet.env, as flannel's CNI plugin does): pod0 in node i takes the subnet's first address,
     * the pod the second, with its default route via the first.
     */
    void movePod(int i, Ipv4Prefix subnet) {
        int gateway = subnet.address() + 1;
        String length = "/" + subnet.length();
        execOk(nodeNs(i), Duration.ofSeconds(10), "ip", "addr", "flush", "dev", "pod0");
        execOk(nodeNs(i), Duration.ofSeconds(10), "ip", "addr", "add", Ipv4Address.format(gateway) + length, "dev", "pod0");
        execOk(podNs(i), Duration.ofSeconds(10), "ip", "addr", "flush", "dev", "eth0");
        execOk(podNs(i), Duration.ofSeconds(10), "ip", "addr", "add", Ipv4Address.format(gateway + 1) + length, "dev", "eth0");
        execOk(podNs(i), Duration.ofSeconds(10), "ip", "route", "replace", "default", "via", Ipv4Address.format(gateway));
    }

    /** The address {@link #movePod} gives pod {@code i} in {@code subnet}. */
    static String podIp(Ipv4Prefix subnet) {
        return Ipv4Address.format(subnet.address() + 2);
    }

    /** {@code ping -c 3 -W 2} from pod {@code from} to address {@code to}, up to three tries. */
    void assertPing(int from, String to) {
        Result last = null;
        for (int attempt = 0; attempt < 3; attempt++) {
            last = exec(podNs(from), Duration.ofSeconds(30), "ping", "-n", "-c", "3", "-W", "2", to);
            if (last.exitCode() == 0) {
                return;
            }
        }
        fail("ping pod" + from + " -> " + to + " failed 3 times:\n" + last.output() + "\n" + diagnostics());
    }

    /** {@code ping -6 -c 3 -W 2} from pod {@code from} to pod {@code to}'s {@link #podIp6}, up to three tries. */
    void assertPing6(int from, int to) {
        Result last = null;
        for (int attempt = 0; attempt < 3; attempt++) {
            last = exec(podNs(from), Duration.ofSeconds(30), "ping", "-6", "-n", "-c", "3", "-W", "2", podIp6(to));
            if (last.exitCode() == 0) {
                return;
            }
        }
        fail("ping -6 pod" + from + " -> " + podIp6(to) + " failed 3 times:\n" + last.output() + "\n" + diagnostics());
    }

    /** {@link #assertPing} between every ordered pair of the pods of nodes 1..{@code nodes}. */
    void assertAllPodsReachEachOther(int nodes) {
        for (int from = 1; from <= nodes; from++) {
            for (int to = 1; to <= nodes; to++) {
                if (from != to) {
                    assertPing(from, to);
                }
            }
        }
    }

    /** Waits until something listens on TCP {@code port} in namespace {@code ns}. */
    void awaitListening(String ns, int port) {
        boolean listening = waitFor(100, () -> exec(ns, Duration.ofSeconds(10), "ss", "-Hltn", "sport = :" + port)
                .stdout().contains("LISTEN"));
        if (!listening) {
            fail("nothing listens on TCP port " + port + " in " + ns);
        }
    }

    /**
     * Sends {@code file} from pod {@code from} to pod {@code to} over TCP with netcat and returns
     * the file the receiver wrote.
     */
    Path transfer(Path file, int from, int to, int port, Duration timeout) {
        return transfer(from, to, port, timeout, "exec " + NETCAT + " -N " + podIp(to) + " " + port + " < '" + file + "'");
    }

    /** {@link #transfer(Path, int, int, int, Duration)} over IPv6, to pod {@code to}'s {@link #podIp6}. */
    Path transfer6(Path file, int from, int to, int port, Duration timeout) {
        return transfer(from, to, port, timeout, "exec " + NETCAT + " -N " + podIp6(to) + " " + port + " < '" + file + "'",
                "-6 ");
    }

    /**
     * Like {@link #transfer}, but the sender stops for {@code pause} after the first
     * {@code pauseAfter} bytes (the connection stays open), and {@code during} runs while it waits.
     */
    Path transferWithPause(Path file, int from, int to, int port, Duration timeout, long pauseAfter, Duration pause,
                           Runnable during) {
        Path marker = dir.resolve("paused-" + port);
        String client = "< '" + file + "' sh -c 'head -c " + pauseAfter + "; touch " + marker + "; sleep "
                + pause.toSeconds() + "; cat' | " + NETCAT + " -N " + podIp(to) + " " + port;
        CompletableFuture<Void> action = CompletableFuture.runAsync(() -> {
            if (!waitFor(600, () -> Files.exists(marker))) {
                fail("the sender never reached its pause");
            }
            during.run();
        });
        Path received = transfer(from, to, port, timeout, client);
        action.join();
        return received;
    }

    /** Receives with netcat in pod {@code to} while the shell command {@code client} sends from pod {@code from}. */
    private Path transfer(int from, int to, int port, Duration timeout, String client) {
        return transfer(from, to, port, timeout, client, "");
    }

    /** @param listenFlags extra netcat options of the server, e.g. {@code "-6 "} */
    private Path transfer(int from, int to, int port, Duration timeout, String client, String listenFlags) {
        Path received = dir.resolve("recv-" + from + "-" + to + "-" + port + ".bin");
        String name = "nc-" + from + "-" + to + "-" + port;
        Spawned server = spawn(name + "-server", null,
                inNs(podNs(to), "sh", "-c", "exec " + NETCAT + " " + listenFlags + "-l " + port + " > '" + received + "'"));
        awaitListening(podNs(to), port);
        Result r = exec(podNs(from), timeout, "sh", "-c", client);
        if (r.exitCode() != 0) {
            fail("nc client pod" + from + " -> pod" + to + " exited " + r.exitCode() + ":\n" + r.output()
                    + "\nserver:\n" + server.output() + "\n" + diagnostics());
        }
        int serverExit = server.await(Duration.ofSeconds(60));
        assertEquals(0, serverExit, () -> "nc server in pod" + to + ":\n" + server.output());
        return received;
    }

    /**
     * Sends {@code data} from pod {@code a} to pod {@code b} (port {@code port}) and back (port
     * {@code port + 1}); each side must receive every byte with the sender's sha256.
     */
    void assertTransfersIntactBothWays(Path data, int a, int b, int port, Duration timeout) {
        String expected = sha256(data);
        long size = data.toFile().length();
        int[][] directions = {{a, b, port}, {b, a, port + 1}};
        for (int[] d : directions) {
            Path received = transfer(data, d[0], d[1], d[2], timeout);
            assertEquals(size, received.toFile().length(), "bytes received by pod" + d[1]);
            assertEquals(expected, sha256(received), "sha256 of the data received by pod" + d[1]);
        }
    }

    /** Writes {@code bytes} of pseudo-random data (seeded) to a file in the lab dir. */
    Path randomFile(String name, long bytes) {
        Path f = dir.resolve(name);
        byte[] block = new byte[1 << 20];
        java.util.SplittableRandom random = new java.util.SplittableRandom(bytes * 31 + name.hashCode());
        try (var out = Files.newOutputStream(f)) {
            for (long left = bytes; left > 0; left -= block.length) {
                for (int i = 0; i < block.length; i += 8) {
                    long v = random.nextLong();
                    for (int b = 0; b < 8; b++) {
                        block[i + b] = (byte) (v >>> (8 * b));
                    }
                }
                out.write(block, 0, (int) Math.min(left, block.length));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return f;
    }

    static String sha256(Path file) {
        try (var in = Files.newInputStream(file)) {
            var md = java.security.MessageDigest.getInstance("SHA-256");
            byte[] buf = new byte[1 << 16];
            for (int n; (n = in.read(buf)) > 0; ) {
                md.update(buf, 0, n);
            }
            return HexFormat.of().formatHex(md.digest());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }

    // ------------------------------------------------------------------ captures

    /**
     * Captures node {@code node}'s eth0 (tcpdump, BPF {@code filter}) while {@code traffic} runs,
     * into {@code <name>-<attempt>.pcap}; stops once {@code complete} holds for the file (or after
     * 5 s). Captures again, up to three times, when tcpdump reports dropped packets; fails the
     * test after three lossy captures.
     */
    Path capture(int node, String name, String filter, Runnable traffic, Predicate<Path> complete) {
        return capture(nodeNs(node), "eth0", name, filter, traffic, complete);
    }

    /** As {@link #capture(int, String, String, Runnable, Predicate)}, on interface {@code iface} of namespace {@code ns}. */
    Path capture(String ns, String iface, String name, String filter, Runnable traffic, Predicate<Path> complete) {
        for (int attempt = 1; attempt <= 3; attempt++) {
            Path pcap = dir.resolve(name + "-" + attempt + ".pcap");
            // A 64 MiB ring: in immediate mode each slot holds a whole snapshot (256 KiB).
            List<String> cmd = new ArrayList<>(inNs(ns, "tcpdump", "-i", iface, "-n", "-U",
                    "--immediate-mode", "-B", "65536", "-w", pcap.toString()));
            cmd.addAll(Arrays.asList(filter.split(" ")));
            Spawned tcpdump = spawn("tcpdump-" + name + "-" + attempt, null, cmd);
            if (!waitFor(150, () -> read(tcpdump.stderr()).contains("listening on"))) {
                fail("tcpdump did not start:\n" + tcpdump.output());
            }
            traffic.run();
            // tcpdump writes each packet as it sees it; wait until what is expected is in the file.
            waitFor(25, () -> Files.exists(pcap) && complete.test(pcap));
            tcpdump.process().destroy(); // SIGTERM: tcpdump closes the file and exits
            tcpdump.await(Duration.ofSeconds(30));
            String stats = read(tcpdump.stderr());
            if (stats.lines().anyMatch(l -> l.strip().equals("0 packets dropped by kernel"))) {
                return pcap;
            }
            System.err.println("capture " + name + "-" + attempt + " lost packets, capturing again:\n" + stats);
        }
        return fail("tcpdump dropped packets in all 3 captures of " + name);
    }

    /**
     * Frames of {@code pcap} that match the display filter, counted leniently: the file may still
     * be being written (a cut-short last packet makes tshark complain; what it read counts).
     */
    long count(Path pcap, String display) {
        Result r = tshark("-r", pcap.toString(), "-Y", display, "-T", "fields", "-e", "frame.number");
        return r.stdout().lines().filter(l -> !l.isBlank()).count();
    }

    /** Runs tshark with {@code args}. */
    Result tshark(String... args) {
        List<String> cmd = new ArrayList<>(List.of("tshark"));
        cmd.addAll(List.of(args));
        return run(Duration.ofSeconds(60), cmd);
    }

    /**
     * Decodes {@code pcap} with tshark into one row per frame of {@code fields} (each an
     * aggregate of every occurrence, comma-separated: an encapsulated packet has two
     * {@code ip.src}), after {@code decodeAs} options such as {@code udp.port==8472,vxlan}.
     */
    List<String[]> decode(Path pcap, List<String> decodeAs, String display, String... fields) {
        List<String> cmd = new ArrayList<>(List.of("-r", pcap.toString()));
        for (String d : decodeAs) {
            cmd.add("-d");
            cmd.add(d);
        }
        if (display != null) {
            cmd.add("-Y");
            cmd.add(display);
        }
        cmd.addAll(List.of("-T", "fields", "-E", "separator=/t", "-E", "occurrence=a", "-E", "aggregator=,"));
        for (String field : fields) {
            cmd.add("-e");
            cmd.add(field);
        }
        Result r = tshark(cmd.toArray(String[]::new));
        assertEquals(0, r.exitCode(), r::output);
        List<String[]> frames = new ArrayList<>();
        r.stdout().lines().filter(l -> !l.isBlank()).forEach(l -> frames.add(l.split("\t", -1)));
        return frames;
    }

    // ------------------------------------------------------------------ the daemon's CLI

    /** {@code muslin <verb> --admin-socket ...} for node {@code i}, run in the node's namespace. */
    Result muslin(int i, String verb) {
        return exec(nodeNs(i), Duration.ofSeconds(60), MUSLIN.toString(), verb, "--admin-socket",
                adminSocket(i).toString());
    }

    /** The counters printed by {@code muslin stats}: lines like {@code name value}, {@code name: value} or JSON. */
    Map<String, Long> stats(int i) {
        Result r = muslin(i, "stats");
        if (r.exitCode() != 0) {
            fail("muslin stats on node " + i + " exited " + r.exitCode() + ":\n" + r.output());
        }
        Map<String, Long> counters = parseCounters(r.stdout());
        if (counters.isEmpty()) {
            fail("muslin stats on node " + i + " printed no counters:\n" + r.output());
        }
        return counters;
    }

    static Map<String, Long> parseCounters(String text) {
        Map<String, Long> counters = new LinkedHashMap<>();
        Matcher m = COUNTER.matcher(text);
        while (m.find()) {
            counters.putIfAbsent(m.group(1), Long.parseLong(m.group(2)));
        }
        return counters;
    }

    /** What a failing test prints: routes, links and daemon logs of every node. */
    String diagnostics() {
        StringBuilder sb = new StringBuilder("--- lab ").append(prefix).append(" diagnostics ---\n");
        for (int i = 1; Files.isDirectory(dir) && i <= 9; i++) {
            if (!Files.exists(config(i)) && !Files.isDirectory(nodeDir(i))) {
                continue;
            }
            sb.append("node ").append(i).append(" links:\n")
                    .append(exec(nodeNs(i), Duration.ofSeconds(10), "ip", "-br", "link").output())
                    .append("node ").append(i).append(" routes:\n")
                    .append(exec(nodeNs(i), Duration.ofSeconds(10), "ip", "route").output());
            Path log = nodeDir(i).resolve("muslin.log");
            if (Files.exists(log)) {
                List<String> lines = read(log).lines().toList();
                sb.append("node ").append(i).append(" muslin.log (last 30 lines):\n")
                        .append(String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size())))
                        .append('\n');
            }
        }
        return sb.toString();
    }

    // ------------------------------------------------------------------ environment

    static boolean isRoot() {
        try {
            return Integer.valueOf(0).equals(Files.getAttribute(Path.of("/proc/self"), "unix:uid"));
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
            return false;
        }
    }

    static Path findExecutable(String name) {
        List<String> dirs = new ArrayList<>(Arrays.asList(System.getenv().getOrDefault("PATH", "").split(":")));
        dirs.addAll(List.of("/usr/sbin", "/sbin", "/usr/bin", "/bin"));
        for (String d : dirs) {
            if (d.isEmpty()) {
                continue;
            }
            Path p = Path.of(d, name);
            if (Files.isExecutable(p)) {
                return p;
            }
        }
        return null;
    }

    /** The java binary running this test (used to run helpers such as {@link UdpSend} in a namespace). */
    static String javaBinary() {
        return ProcessHandle.current().info().command().orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    }

    /** The test classes directory (or jar) that holds this class. */
    static String testClasspath() {
        try {
            return Path.of(Lab.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
        } catch (java.net.URISyntaxException e) {
            throw new AssertionError(e);
        }
    }

    /** The test classes and the daemon's jar: for helpers that use muslin's own classes (e.g. raw sockets). */
    static String classpathWithMuslin() {
        return testClasspath() + File.pathSeparator + ROOT.resolve("node/target/muslin.jar");
    }

    private static Path findRoot() {
        String prop = System.getProperty("muslin.root");
        if (prop != null && !prop.isBlank()) {
            return Path.of(prop).toAbsolutePath().normalize();
        }
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            if (Files.isRegularFile(p.resolve("scripts/lab.sh")) && Files.isRegularFile(p.resolve("bin/muslin"))) {
                return p;
            }
        }
        return Path.of("").toAbsolutePath();
    }
}
