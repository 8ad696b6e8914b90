package io.muslin.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.muslin.control.lease.Lease;
import io.muslin.control.program.KernelRoutes;
import io.muslin.control.program.PeerProgrammer;
import io.muslin.dataplane.Encapsulation;
import io.muslin.dataplane.engine.DataplaneSettings;
import io.muslin.dataplane.packet.Ipv4Address;
import io.muslin.dataplane.packet.Ipv4Prefix;
import io.muslin.dataplane.packet.MacAddress;
import io.muslin.dataplane.path.Counters;
import io.muslin.dataplane.path.SourceCheck;
import io.muslin.dataplane.table.Tables;
import io.muslin.node.admin.AdminClient;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The daemon's start/stop order with a fake dataplane (no device is created). */
class DaemonTest {
    private static final DataplaneSettings SETTINGS = new DataplaneSettings("muslin0", Encapsulation.VXLAN, Ipv4Prefix.parse("10.244.0.0/16"),
        Ipv4Prefix.parse("10.244.1.0/24"), Ipv4Address.parse("192.168.50.1"), MacAddress.parse("6e:75:73:00:00:01"),
        1, 8472, 1450, true, 0, 1500, 0, SourceCheck.Mode.STRICT, 1, 0);
    private static final List<Lease> PEERS = List.of(Lease.vxlan(Ipv4Prefix.parse("10.244.2.0/24"),
        Ipv4Address.parse("192.168.50.2"), 1, MacAddress.parse("6e:75:73:00:00:02")));

    @TempDir
    Path dir;
    final StringWriter err = new StringWriter();

    /** Records its lifecycle; tables and counters are real. */
    static final class FakeDataplane implements Daemon.Dataplane {
        Tables tables = new Tables();
        final Counters counters = new Counters();

        @Override
        public int mtu() {
            return 1450;
        }
        volatile boolean closed;

        @Override
        public Tables tables() {
            return tables;
        }

        @Override
        public Counters counters() {
            return counters;
        }

        @Override
        public void close() {
            closed = true;
        }

        /** This fake on the daemon's tables (as a real dataplane is started on them). */
        FakeDataplane using(Tables daemonTables) {
            tables = daemonTables;
            return this;
        }
    }

    private Daemon daemon(Path socket, Path subnetFile, Daemon.DataplaneStarter starter) {
        return new Daemon("node1", SETTINGS, PeerProgrammer.Backend.vxlan(1), PeerSource.fixed(PEERS), socket, subnetFile,
            new PrintWriter(err, true), starter, network -> KernelRoutes.NONE);
    }

    @Test
    void startsServesAndTearsDownInOrder() throws Exception {
        Path socket = dir.resolve("muslin0.sock");
        Path subnetFile = dir.resolve("subnet.env");
        FakeDataplane dataplane = new FakeDataplane();
        Daemon daemon = daemon(socket, subnetFile, (settings, tables) -> dataplane.using(tables));

        CompletableFuture<Integer> exit = CompletableFuture.supplyAsync(daemon::run);
        awaitFile(subnetFile); // the readiness signal

        assertEquals("10.244.2.0/24 via 10.244.2.0 dev muslin0 onlink\n", AdminClient.request(socket, "routes"));
        assertEquals(MacAddress.parse("6e:75:73:00:00:02"),
            dataplane.tables.snapshot().lookupArp(Ipv4Address.parse("10.244.2.0")));
        assertEquals("""
            FLANNEL_NETWORK=10.244.0.0/16
            FLANNEL_SUBNET=10.244.1.1/24
            FLANNEL_MTU=1450
            FLANNEL_IPMASQ=false
            """, Files.readString(subnetFile));

        daemon.requestStop();
        assertEquals(0, exit.get(10, TimeUnit.SECONDS));
        assertFalse(Files.exists(subnetFile));
        assertFalse(Files.exists(socket));
        assertTrue(dataplane.closed);
        assertEquals("", err.toString());
    }

    /** /readyz's source: false while the dataplane starts, true once subnet.env is written, false after stop. */
    @Test
    void readyOnlyOnceSubnetEnvIsWritten() throws Exception {
        Path socket = dir.resolve("r.sock");
        Path subnetFile = dir.resolve("subnet.env");
        NodeStatus status = new NodeStatus();
        java.util.concurrent.CountDownLatch starting = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CountDownLatch go = new java.util.concurrent.CountDownLatch(1);
        FakeDataplane dataplane = new FakeDataplane();
        Daemon daemon = new Daemon("node1", SETTINGS, PeerProgrammer.Backend.vxlan(1), PeerSource.fixed(PEERS), socket,
            subnetFile, new PrintWriter(err, true), (settings, tables) -> {
                starting.countDown();
                try {
                    go.await();
                } catch (InterruptedException e) {
                    throw new IOException(e);
                }
                return dataplane.using(tables);
            }, network -> KernelRoutes.NONE, status, false, Daemon.NO_MASQUERADE);
        CompletableFuture<Integer> exit = CompletableFuture.supplyAsync(daemon::run);
        starting.await();
        assertFalse(status.ready(), "not ready while the dataplane starts");
        assertTrue(status.alive(), "alive: the process answers");
        go.countDown();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!status.ready() && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertTrue(status.ready());
        assertTrue(Files.exists(subnetFile), "ready means subnet.env is there");
        daemon.requestStop();
        assertEquals(0, exit.get(10, TimeUnit.SECONDS));
        assertFalse(status.ready(), "not ready once stopped");
    }

    @Test
    void ipMasqRulesGoInAfterStaleOnesGoAndAreRemovedAtStop() throws Exception {
        Path socket = dir.resolve("m.sock");
        Path subnetFile = dir.resolve("subnet.env");
        List<String> calls = new java.util.concurrent.CopyOnWriteArrayList<>();
        Daemon.MasqueradeRules rules = new Daemon.MasqueradeRules() {
            @Override
            public boolean removeStale() {
                calls.add("removeStale");
                return true;
            }

            @Override
            public void install(Ipv4Prefix network, Ipv4Prefix subnet) {
                calls.add("install " + network + " " + subnet);
            }

            @Override
            public void remove() {
                calls.add("remove");
            }
        };
        FakeDataplane dataplane = new FakeDataplane();
        Daemon daemon = new Daemon("node1", SETTINGS, PeerProgrammer.Backend.vxlan(1), PeerSource.fixed(PEERS), socket,
            subnetFile, new PrintWriter(err, true), (settings, tables) -> {
                calls.add("dataplane");
                return dataplane.using(tables);
            }, network -> KernelRoutes.NONE, new NodeStatus(), true, rules);
        CompletableFuture<Integer> exit = CompletableFuture.supplyAsync(daemon::run);
        awaitFile(subnetFile);
        assertTrue(Files.readString(subnetFile).contains("FLANNEL_IPMASQ=true\n"));
        assertEquals(List.of("removeStale", "dataplane", "install 10.244.0.0/16 10.244.1.0/24"), calls);
        daemon.requestStop();
        assertEquals(0, exit.get(10, TimeUnit.SECONDS));
        assertEquals("remove", calls.get(calls.size() - 1));
    }

    @Test
    void aNewPublicIpStartsTheDataplaneAgainOnTheSameTablesAndIsAnnounced() throws Exception {
        Path socket = dir.resolve("p.sock");
        Path subnetFile = dir.resolve("subnet.env");
        Path config = dir.resolve("node.json");
        Files.writeString(config, "{\"Node\": {\"PublicIP\": \"192.168.50.1\"}}");
        List<FakeDataplane> started = new java.util.concurrent.CopyOnWriteArrayList<>();
        List<Integer> startedAt = new java.util.concurrent.CopyOnWriteArrayList<>();
        List<Integer> announced = new java.util.concurrent.CopyOnWriteArrayList<>();
        PeerSource peers = new PeerSource() {
            @Override
            public void start(PeerProgrammer programmer) {
                PEERS.forEach(programmer::add);
            }

            @Override
            public void publicIpChanged(int publicIp) {
                announced.add(publicIp);
            }

            @Override
            public void close() {
            }
        };
        Daemon daemon = new Daemon("node1", SETTINGS, PeerProgrammer.Backend.vxlan(1), peers, socket, subnetFile,
            new PrintWriter(err, true), (settings, tables) -> {
                FakeDataplane d = new FakeDataplane().using(tables);
                started.add(d);
                startedAt.add(settings.publicIp());
                return d;
            }, network -> KernelRoutes.NONE);
        int moved = Ipv4Address.parse("192.168.50.9");
        daemon.followPublicIp(new PublicIpWatch(config, SETTINGS.publicIp(), java.time.Duration.ofMillis(20), ip -> true),
            ip -> new DataplaneSettings("muslin0", Encapsulation.VXLAN, SETTINGS.network(), SETTINGS.nodeSubnet(), ip,
                SETTINGS.vtepMac(), 1, 8472, 1450, true, 0, 1500, 0, SourceCheck.Mode.STRICT, 1, 0));
        CompletableFuture<Integer> exit = CompletableFuture.supplyAsync(daemon::run);
        awaitFile(subnetFile);
        Files.writeString(config, "{\"Node\": {\"PublicIP\": \"this is not an address\"}}");
        Thread.sleep(100); // a broken file changes nothing (the watch runs every 20 ms)
        assertEquals(1, started.size());
        Files.writeString(config, "{\"Node\": {\"PublicIP\": \"192.168.50.9\"}}");
        for (int i = 0; i < 500 && announced.isEmpty(); i++) {
            Thread.sleep(10);
        }
        assertEquals(List.of(moved), announced, "the peer source announces the new address");
        assertEquals(List.of(SETTINGS.publicIp(), moved), startedAt);
        assertTrue(started.get(0).closed, "the old dataplane is closed before the new one starts");
        assertFalse(started.get(1).closed);
        assertEquals(MacAddress.parse("6e:75:73:00:00:02"),
            started.get(1).tables.snapshot().lookupArp(Ipv4Address.parse("10.244.2.0")), "the peers stay programmed");
        assertEquals("10.244.2.0/24 via 10.244.2.0 dev muslin0 onlink\n", AdminClient.request(socket, "routes"));
        daemon.requestStop();
        assertEquals(0, exit.get(10, TimeUnit.SECONDS));
        assertTrue(started.get(1).closed);
    }

    @Test
    void staleSubnetEnvIsRemovedBeforeStart() throws Exception {
        Path subnetFile = dir.resolve("subnet.env");
        Files.writeString(subnetFile, "FLANNEL_SUBNET=stale\n");
        int code = daemon(dir.resolve("s.sock"), subnetFile, (settings, tables) -> {
            assertFalse(Files.exists(subnetFile), "a stale file must not signal readiness during start");
            throw new IOException("cannot create muslin0: Operation not permitted");
        }).run();
        assertEquals(1, code);
    }

    @Test
    void dataplaneFailureExits1WithOneLineAndLeavesNothing() {
        Path socket = dir.resolve("muslin0.sock");
        Path subnetFile = dir.resolve("subnet.env");
        int code = daemon(socket, subnetFile, (settings, tables) -> {
            throw new IOException("cannot create muslin0: Operation not permitted");
        }).run();

        assertEquals(1, code);
        assertEquals("muslin: start failed: cannot create muslin0: Operation not permitted\n", err.toString());
        assertFalse(Files.exists(socket));
        assertFalse(Files.exists(subnetFile));
    }

    @Test
    void laterFailureUndoesTheDataplane() throws IOException {
        Path socket = dir.resolve("muslin0.sock");
        Files.writeString(socket, "not a socket");
        Path subnetFile = dir.resolve("subnet.env");
        FakeDataplane dataplane = new FakeDataplane();

        int code = daemon(socket, subnetFile, (settings, tables) -> dataplane.using(tables)).run();

        assertEquals(1, code);
        assertTrue(dataplane.closed, "the dataplane started before the failure is closed");
        assertFalse(Files.exists(subnetFile));
        assertEquals("muslin: start failed: admin socket path " + socket + " exists and is not a socket\n",
            err.toString());
    }

    private static void awaitFile(Path file) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!Files.exists(file)) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError(file + " was not written");
            }
            Thread.sleep(10);
        }
    }
}
