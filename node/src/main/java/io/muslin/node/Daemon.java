package io.muslin.node;

import io.muslin.control.lease.Lease;
import io.muslin.control.program.PeerProgrammer;
import io.muslin.dataplane.engine.VxlanDataplane;
import io.muslin.dataplane.engine.VxlanSettings;
import io.muslin.dataplane.packet.Ipv4Address;
import io.muslin.dataplane.packet.MacAddress;
import io.muslin.dataplane.path.Counters;
import io.muslin.dataplane.table.Tables;
import io.muslin.node.admin.AdminServer;
import io.muslin.node.admin.AdminView;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import sun.misc.Signal;

/**
 * One node's daemon: wires the dataplane, the static peers, the admin socket and subnet.env
 * together, then waits for SIGTERM/SIGINT. It holds no packet logic.
 *
 * <p>Start, in this order (each step is undone, in reverse, if a later one fails):
 * <ol>
 *   <li>remove a stale subnet.env (left by a crash), so it only ever means "this run is up";</li>
 *   <li>start the VXLAN dataplane (device, address, MTU, network route, forwarding);</li>
 *   <li>program the static peers through {@link PeerProgrammer} (route + ARP + FDB each);</li>
 *   <li>start the admin socket;</li>
 *   <li>write subnet.env: the readiness signal, so only once forwarding is up.</li>
 * </ol>
 * Stop is the same in reverse: remove subnet.env, close the admin socket, close the dataplane
 * (which removes the device and its routes).
 *
 * <p>Threads: the caller's thread runs start, waits, and runs stop. Signal handlers and the
 * shutdown hook only request the stop. The dataplane has its own event loop; the admin socket
 * its own thread.
 */
public final class Daemon {
    private static final Logger LOG = LoggerFactory.getLogger(Daemon.class);
    private static final long SHUTDOWN_HOOK_WAIT_SECONDS = 10;

    /** What the daemon needs of a running dataplane; {@link VxlanDataplane} in production. */
    interface Dataplane extends AutoCloseable {
        Tables tables();

        Counters counters();

        /** Stops forwarding and removes the device and its routes. */
        @Override
        void close();
    }

    /** Starts a dataplane; throws (having undone its own partial work) if it cannot. */
    @FunctionalInterface
    interface DataplaneStarter {
        Dataplane start(VxlanSettings settings) throws IOException;
    }

    static final DataplaneStarter VXLAN = settings -> {
        VxlanDataplane dp = VxlanDataplane.start(settings);
        return new Dataplane() {
            @Override
            public Tables tables() {
                return dp.tables();
            }

            @Override
            public Counters counters() {
                return dp.counters();
            }

            @Override
            public void close() {
                dp.close();
            }
        };
    };

    private final String nodeName;
    private final VxlanSettings settings;
    private final List<Lease> peers;
    private final Path adminSocket;
    private final SubnetEnv subnetEnv;
    private final PrintWriter err;
    private final DataplaneStarter starter;
    private final CountDownLatch stopRequested = new CountDownLatch(1);
    private final CountDownLatch stopped = new CountDownLatch(1);

    /**
     * @param nodeName    for the log
     * @param settings    the validated dataplane settings
     * @param peers       static peer leases to program
     * @param adminSocket where the admin socket goes
     * @param subnetFile  where subnet.env goes
     * @param err         where the one-line start failure goes
     */
    public Daemon(String nodeName, VxlanSettings settings, List<Lease> peers, Path adminSocket, Path subnetFile,
                  PrintWriter err) {
        this(nodeName, settings, peers, adminSocket, subnetFile, err, VXLAN);
    }

    Daemon(String nodeName, VxlanSettings settings, List<Lease> peers, Path adminSocket, Path subnetFile,
           PrintWriter err, DataplaneStarter starter) {
        this.nodeName = nodeName;
        this.settings = settings;
        this.peers = List.copyOf(peers);
        this.adminSocket = adminSocket;
        this.subnetEnv = new SubnetEnv(subnetFile);
        this.err = err;
        this.starter = starter;
    }

    /**
     * Makes SIGTERM and SIGINT request a clean stop (so {@link #run} returns 0 and the process
     * can exit 0, not 143), and adds a shutdown hook that does the same for any other way the
     * JVM is told to exit and waits for the teardown. (sun.misc.Signal, in jdk.unsupported, is
     * the only way to handle a signal in Java; javac warns about it.)
     */
    public void stopOnSignals() {
        for (String name : new String[] {"TERM", "INT"}) {
            Signal.handle(new Signal(name), signal -> {
                LOG.info("received SIG{}, shutting down", signal.getName());
                requestStop();
            });
        }
        Runtime.getRuntime().addShutdownHook(Thread.ofPlatform().name("muslin-shutdown").unstarted(() -> {
            requestStop();
            try {
                stopped.await(SHUTDOWN_HOOK_WAIT_SECONDS, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }));
    }

    /** Asks {@link #run} to tear down and return. Any thread; idempotent. */
    public void requestStop() {
        stopRequested.countDown();
    }

    /**
     * Starts everything, waits for {@link #requestStop}, tears down. Returns the exit code:
     * 0 after a clean stop, 1 when start failed (after undoing it) or teardown was incomplete.
     */
    public int run() {
        try {
            Deque<Step> undo = new ArrayDeque<>();
            try {
                start(undo);
            } catch (IOException | RuntimeException e) {
                err.println("muslin: start failed: " + describe(e));
                err.flush();
                LOG.debug("start failed", e);
                stop(undo);
                return 1;
            }
            awaitStopRequest();
            return stop(undo) ? 0 : 1;
        } finally {
            stopped.countDown();
        }
    }

    private void start(Deque<Step> undo) throws IOException {
        if (subnetEnv.remove()) {
            LOG.info("removed stale {}", subnetEnv.file());
        }
        Dataplane dataplane = starter.start(settings);
        undo.push(new Step("dataplane", dataplane::close));

        PeerProgrammer programmer = new PeerProgrammer(dataplane.tables(), settings.network(), settings.nodeSubnet(),
            settings.vni());
        for (Lease peer : peers) {
            programmer.add(peer);
        }

        AdminServer admin = AdminServer.start(adminSocket, new View(dataplane, settings));
        undo.push(new Step("admin socket", admin::close));

        subnetEnv.write(settings.network(), settings.nodeSubnet(), settings.mtu());
        undo.push(new Step("subnet.env", () -> {
            try {
                subnetEnv.remove();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }));

        int programmed = programmer.peers().size();
        LOG.info("{} up: {} {} vtep {} public {} vni {} port {} mtu {}, {} peer{}; admin {}; wrote {}",
            nodeName, settings.interfaceName(), settings.nodeSubnet(), MacAddress.format(settings.vtepMac()),
            Ipv4Address.format(settings.publicIp()), settings.vni(), settings.port(), settings.mtu(),
            programmed, programmed == 1 ? "" : "s", adminSocket, subnetEnv.file());
    }

    private void awaitStopRequest() {
        try {
            stopRequested.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Undoes the steps, last first, not stopping at a failure; true if all succeeded. */
    private static boolean stop(Deque<Step> undo) {
        boolean clean = true;
        while (!undo.isEmpty()) {
            Step step = undo.pop();
            try {
                step.undo.run();
            } catch (RuntimeException e) {
                clean = false;
                LOG.warn("stopping {} failed: {}", step.name, describe(e));
            }
        }
        return clean;
    }

    private static String describe(Exception e) {
        boolean selfExplaining = e instanceof IOException || e instanceof UncheckedIOException
            || e instanceof IllegalArgumentException || e instanceof IllegalStateException;
        return selfExplaining && e.getMessage() != null ? e.getMessage() : e.toString();
    }

    private record Step(String name, Runnable undo) {
    }

    /** The admin socket's view of the running dataplane. */
    private record View(Dataplane dataplane, VxlanSettings settings) implements AdminView {
        @Override
        public Tables.Snapshot snapshot() {
            return dataplane.tables().snapshot();
        }

        @Override
        public Counters counters() {
            return dataplane.counters();
        }

        @Override
        public String deviceName() {
            return settings.interfaceName();
        }

        @Override
        public int vni() {
            return settings.vni();
        }

        @Override
        public int mtu() {
            return settings.mtu();
        }
    }
}
