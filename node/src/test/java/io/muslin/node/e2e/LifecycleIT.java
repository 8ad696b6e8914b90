package io.muslin.node.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The daemon's life: readiness (subnet.env), SIGTERM clean-up, configuration errors, and a
 * second daemon that wants the same device. The lab is {@code --mode bare}: namespaces, underlay
 * and pods only, and this class starts every daemon itself so it can see their exit codes.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class LifecycleIT {
    private static final int READY_POLLS = 300; // x 200 ms

    private static Lab lab;
    private final List<Lab.Spawned> daemons = new ArrayList<>();

    @BeforeAll
    static void up() {
        Lab.assumeLabCapable();
        Lab.assumeTools("ping");
        lab = Lab.create();
        lab.up(2, "--mode", "bare");
    }

    @AfterAll
    static void down() {
        if (lab != null) {
            lab.close();
        }
    }

    @AfterEach
    void stopDaemons() {
        for (Lab.Spawned d : daemons) {
            if (d.process().isAlive()) {
                d.process().destroy();
                try {
                    if (!d.process().waitFor(30, TimeUnit.SECONDS)) {
                        d.process().destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }
        daemons.clear();
    }

    @Test
    void sigtermRemovesDeviceRoutesAndSubnetEnvThenExitsZero() {
        Lab.Spawned node1 = start(1, "a", lab.config(1));
        Lab.Spawned node2 = start(2, "a", lab.config(2));
        awaitReady(node1, 1, "a");
        awaitReady(node2, 2, "a");

        String env = Lab.read(subnetEnv(1, "a"));
        assertTrue(env.contains("FLANNEL_NETWORK=" + Lab.CLUSTER_NETWORK), () -> "subnet.env:\n" + env);
        assertTrue(env.contains("FLANNEL_SUBNET=10.244.1.1/24"), () -> "subnet.env:\n" + env);
        assertTrue(env.contains("FLANNEL_MTU=1450"), () -> "subnet.env:\n" + env);
        assertDevicePresent(1);
        lab.assertPing(1, 2);

        node1.process().destroy(); // SIGTERM
        assertEquals(0, node1.await(Duration.ofSeconds(60)), () -> "exit code after SIGTERM:\n" + node1.output());

        Lab.Result link = lab.exec(lab.nodeNs(1), Duration.ofSeconds(10), "ip", "link", "show", Lab.OVERLAY_DEVICE);
        assertNotEquals(0, link.exitCode(), () -> Lab.OVERLAY_DEVICE + " still exists after SIGTERM:\n" + link.output());
        String routes = lab.execOk(lab.nodeNs(1), Duration.ofSeconds(10), "ip", "route", "show").stdout();
        assertFalse(routes.contains(Lab.CLUSTER_NETWORK), () -> "route for the cluster network left behind:\n" + routes);
        assertFalse(routes.contains(Lab.OVERLAY_DEVICE), () -> "route via " + Lab.OVERLAY_DEVICE + " left behind:\n" + routes);
        assertFalse(Files.exists(subnetEnv(1, "a")), "subnet.env left behind after SIGTERM");

        node2.process().destroy();
        assertEquals(0, node2.await(Duration.ofSeconds(60)), () -> "node 2 exit code after SIGTERM:\n" + node2.output());
    }

    @Test
    void badConfigExitsTwoNamingTheField() {
        Path bad = lab.dir.resolve("bad-vni.json");
        String config = Lab.read(lab.config(1));
        String broken = config.replaceFirst("\"VNI\":\\s*1\\b", "\"VNI\": 99999999");
        assertNotEquals(config, broken, "the Backend VNI was not found in the lab's config");
        Lab.write(bad, broken);

        Lab.Spawned daemon = start(1, "bad", bad);
        int exit = daemon.await(Duration.ofSeconds(90));
        assertEquals(2, exit, () -> "exit code for a bad config:\n" + daemon.output());
        String stderr = Lab.read(daemon.stderr());
        assertTrue(stderr.lines().anyMatch(l -> l.startsWith("muslin: config error: Backend.VNI")),
                () -> "stderr should have one line `muslin: config error: Backend.VNI: ...`:\n" + stderr);
        assertFalse(stderr.contains("\tat "), () -> "a config error is one line, not a stack trace:\n" + stderr);
        Lab.Result link = lab.exec(lab.nodeNs(1), Duration.ofSeconds(10), "ip", "link", "show", Lab.OVERLAY_DEVICE);
        assertNotEquals(0, link.exitCode(), () -> Lab.OVERLAY_DEVICE + " exists after a config error:\n" + link.output());
        assertFalse(Files.exists(subnetEnv(1, "bad")), "subnet.env written despite a config error");
    }

    @Test
    void secondDaemonOnTheSameDeviceFailsWithoutDisturbingTheFirst() {
        Lab.Spawned first = start(1, "first", lab.config(1));
        Lab.Spawned peer = start(2, "first", lab.config(2));
        awaitReady(first, 1, "first");
        awaitReady(peer, 2, "first");
        lab.assertPing(1, 2);
        String routesBefore = lab.execOk(lab.nodeNs(1), Duration.ofSeconds(10), "ip", "route", "show").stdout();

        Lab.Spawned second = start(1, "second", lab.config(1));
        int exit = second.await(Duration.ofSeconds(90));
        assertNotEquals(0, exit, () -> "a second daemon on " + Lab.OVERLAY_DEVICE + " should fail:\n" + second.output());
        assertTrue(second.output().contains(Lab.OVERLAY_DEVICE),
                () -> "the error should name the device " + Lab.OVERLAY_DEVICE + ":\n" + second.output());
        assertFalse(Files.exists(subnetEnv(1, "second")), "the second daemon wrote subnet.env");

        assertTrue(first.process().isAlive(), () -> "the first daemon died:\n" + first.output());
        assertDevicePresent(1);
        assertTrue(Files.exists(subnetEnv(1, "first")), "the first daemon's subnet.env was removed");
        String routesAfter = lab.execOk(lab.nodeNs(1), Duration.ofSeconds(10), "ip", "route", "show").stdout();
        assertEquals(routesBefore, routesAfter, "node 1's routes changed");
        lab.assertPing(1, 2);
        lab.assertPing(2, 1);
    }

    // ------------------------------------------------------------------ helpers

    private Path stateDir(int node, String tag) {
        return lab.dir.resolve("n" + node + "-" + tag);
    }

    private Path subnetEnv(int node, String tag) {
        return stateDir(node, tag).resolve("subnet.env");
    }

    /** Starts {@code bin/muslin run} in node {@code node}'s namespace, with its files in n<node>-<tag>. */
    private Lab.Spawned start(int node, String tag, Path config) {
        Path state = stateDir(node, tag);
        try {
            Files.createDirectories(state);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Lab.Spawned d = lab.spawn("muslin-n" + node + "-" + tag, null, Lab.inNs(lab.nodeNs(node),
                Lab.MUSLIN.toString(), "run", "--config", config.toString(),
                "--subnet-file", state.resolve("subnet.env").toString(),
                "--admin-socket", state.resolve("admin.sock").toString(),
                "--state-dir", state.toString()));
        daemons.add(d);
        return d;
    }

    private void awaitReady(Lab.Spawned daemon, int node, String tag) {
        Path env = subnetEnv(node, tag);
        boolean ready = Lab.waitFor(READY_POLLS, () -> Files.exists(env) || !daemon.process().isAlive());
        if (!daemon.process().isAlive()) {
            fail("muslin on node " + node + " exited " + daemon.process().exitValue() + " before it was ready:\n"
                    + daemon.output());
        }
        if (!ready) {
            fail("muslin on node " + node + " wrote no subnet.env in time:\n" + daemon.output());
        }
    }

    private void assertDevicePresent(int node) {
        lab.execOk(lab.nodeNs(node), Duration.ofSeconds(10), "ip", "link", "show", Lab.OVERLAY_DEVICE);
        String routes = lab.execOk(lab.nodeNs(node), Duration.ofSeconds(10), "ip", "route", "show").stdout();
        assertTrue(routes.lines().anyMatch(l -> l.startsWith(Lab.CLUSTER_NETWORK) && l.contains(Lab.OVERLAY_DEVICE)),
                () -> "no route " + Lab.CLUSTER_NETWORK + " dev " + Lab.OVERLAY_DEVICE + ":\n" + routes);
    }
}
