package io.muslin.control.hub.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.muslin.control.hub.client.HubClientSettings;
import io.muslin.control.hub.client.HubEndpoint;
import io.muslin.control.hub.client.HubLeaseStore;
import io.muslin.control.hub.protocol.HubFrames;
import io.muslin.control.lease.Lease;
import io.muslin.control.store.EmbeddedLeaseStore;
import io.muslin.control.store.LeaseLostException;
import io.muslin.control.store.LeaseStore;
import io.muslin.dataplane.packet.Ipv4Address;
import io.muslin.dataplane.packet.Ipv4Prefix;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The hub on loopback, insecure (TLS is {@link HubTlsTest}'s), with real sockets and the embedded store. */
class HubServerTest {
    private static final Duration TTL = Duration.ofSeconds(60);
    @TempDir
    Path dir;
    private final List<AutoCloseable> open = new ArrayList<>();
    private LeaseStore backend;
    private HubServer hub;

    @AfterEach
    void closeAll() throws Exception {
        for (int i = open.size() - 1; i >= 0; i--) {
            open.get(i).close();
        }
    }

    static Lease lease(int n) {
        return Lease.vxlan(Ipv4Prefix.parse("10.244." + n + ".0/24"), Ipv4Address.parse("192.168.50." + n), 1,
            0x6e7573000000L + n);
    }

    /** {@code lease} as announced from {@code addressOf}'s PublicIP. */
    static Lease at(Lease lease, Lease addressOf) {
        return Lease.vxlan(lease.subnet(), addressOf.publicIp(), lease.vni(), lease.vtepMac());
    }

    private HubServer startHub(int port) throws IOException {
        return startHub(port, Duration.ofSeconds(1));
    }

    private HubServer startHub(int port, Duration heartbeat) throws IOException {
        backend = EmbeddedLeaseStore.open(dir, Optional.of("{\"Network\":\"10.244.0.0/16\"}"));
        open.add(backend);
        hub = HubServer.start(HubServer.Settings.insecure(new InetSocketAddress("127.0.0.1", port))
            .withHeartbeat(heartbeat), backend);
        open.add(hub);
        return hub;
    }

    private HubLeaseStore node(String name) throws IOException {
        HubLeaseStore store = HubLeaseStore.open(HubClientSettings.of(
                List.of(new HubEndpoint("127.0.0.1", hub.address().getPort())), null, name)
            .withHeartbeat(Duration.ofSeconds(1)).withMaxBackoff(Duration.ofMillis(200))
            .withTimeouts(Duration.ofSeconds(10), Duration.ofSeconds(5))); // a generous bound for a loaded machine
        open.add(store);
        return store;
    }


    @Test
    void threeNodesConvergeThroughTheHub() throws Exception {
        startHub(0);
        List<HubLeaseStore> nodes = List.of(node("node1"), node("node2"), node("node3"));
        List<LeaseTable> tables = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            assertTrue(nodes.get(i).acquire(lease(i + 1), TTL));
            tables.add(LeaseTable.follow(nodes.get(i), open));
        }
        for (LeaseTable t : tables) {
            t.awaitExactly(Set.of(lease(1), lease(2), lease(3)));
        }
        assertEquals(Optional.of("{\"Network\":\"10.244.0.0/16\"}"), nodes.get(0).networkConfig());
        // node 2 changes its VTEP MAC; everyone sees the new lease
        Lease changed = Lease.vxlan(lease(2).subnet(), lease(2).publicIp(), 1, 0x6e75730000ffL);
        nodes.get(1).renew(changed);
        for (LeaseTable t : tables) {
            t.awaitExactly(Set.of(lease(1), changed, lease(3)));
        }
        nodes.get(2).release(lease(3).subnet(), lease(3).publicIp());
        for (LeaseTable t : tables) {
            t.awaitExactly(Set.of(lease(1), changed));
        }
        assertEquals(3, hub.watchers());
    }

    /**
     * Read your writes: a write is acknowledged only once the hub's view (which answers List) has
     * it, even when the store's watch lags behind the store. Without that, a node's List right
     * after its acknowledged Acquire or Release could show the revision before it.
     */
    @Test
    void anAcknowledgedWriteIsInTheNextListEvenWhenTheStoresWatchLags() throws Exception {
        LaggingStore lagging = new LaggingStore(EmbeddedLeaseStore.open(dir, Optional.of("{\"Network\":\"10.244.0.0/16\"}")));
        open.add(lagging);
        hub = HubServer.start(HubServer.Settings.insecure(new InetSocketAddress("127.0.0.1", 0))
            .withHeartbeat(Duration.ofSeconds(1)), lagging);
        open.add(hub);
        HubLeaseStore n1 = node("node1");

        lagging.hold();
        CompletableFuture<Boolean> acquired = async(() -> n1.acquire(lease(1), TTL));
        awaitAnsweredOrHeld(acquired, 1);
        LeaseStore.Snapshot during = n1.list(); // answered from the view, which has not seen the write
        boolean acknowledged = acquired.isDone();
        lagging.release();
        assertTrue(acquired.get(), "acquired");
        assertFalse(acknowledged && during.lease(lease(1).subnet()).isEmpty(),
            "the Acquire was acknowledged while a List after it did not show it (revision " + during.revision() + ")");
        assertFalse(acknowledged, "the reply waits for the hub's view");
        LeaseStore.Snapshot after = n1.list();
        assertEquals(List.of(lease(1)), after.leases());

        lagging.hold();
        CompletableFuture<Boolean> released = async(() -> n1.release(lease(1).subnet(), lease(1).publicIp()));
        awaitAnsweredOrHeld(released, 2);
        during = n1.list();
        acknowledged = released.isDone();
        lagging.release();
        assertTrue(released.get(), "released");
        assertFalse(acknowledged && !during.leases().isEmpty(),
            "the Release was acknowledged while a List after it still showed the lease");
        assertEquals(List.of(), n1.list().leases());
        assertEquals(after.revision() + 1, n1.list().revision());
        assertEquals(2, hub.stats().get("repliesHeldForView"));
    }

    private interface IoCall<T> {
        T call() throws IOException;
    }

    private static <T> CompletableFuture<T> async(IoCall<T> call) {
        CompletableFuture<T> f = new CompletableFuture<>();
        Thread.ofVirtual().start(() -> {
            try {
                f.complete(call.call());
            } catch (IOException | RuntimeException e) {
                f.completeExceptionally(e);
            }
        });
        return f;
    }

    /** Waits until {@code request} is answered or the hub holds its {@code held}-th reply for its view (a condition polled, bound 60 s). */
    private void awaitAnsweredOrHeld(CompletableFuture<?> request, long held) throws InterruptedException {
        long deadline = System.nanoTime() + LeaseTable.BOUND.toNanos();
        while (!request.isDone() && hub.stats().get("repliesHeldForView") < held) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("the request was neither answered nor held within " + LeaseTable.BOUND);
            }
            Thread.sleep(1);
        }
    }

    /**
     * Snapshots go in chunks of at most 64 subnets, each encoded once and shared until a lease
     * in it changes: 1200 leases spread over 19 chunks of a /8 are listed and watched whole;
     * a second List encodes nothing; after one change only its chunk is encoded again.
     */
    @Test
    void aLargeSnapshotGoesInChunksEncodedOnceUntilTheyChange() throws Exception {
        backend = EmbeddedLeaseStore.open(dir, Optional.of("{\"Network\":\"10.0.0.0/8\"}"));
        open.add(backend);
        Set<Lease> all = new java.util.HashSet<>();
        for (int i = 0; i < 1200; i++) { // subnets 10.1.0.0/24 ..: 64 per chunk, so 18 chunks of 64 and one of 48
            Lease l = Lease.vxlan(new Ipv4Prefix(Ipv4Address.parse("10.1.0.0") + (i << 8), 24),
                Ipv4Address.parse("192.168.0.0") + i + 1, 1, 0x6e0000000000L + i);
            assertTrue(backend.acquire(l, TTL));
            all.add(l);
        }
        hub = HubServer.start(HubServer.Settings.insecure(new InetSocketAddress("127.0.0.1", 0))
            .withHeartbeat(Duration.ofSeconds(1)), backend);
        open.add(hub);
        HubLeaseStore n = node("node1");

        assertEquals(all, Set.copyOf(n.list().leases()));
        assertEquals(19, hub.stats().get("chunksEncoded"));
        LeaseTable table = LeaseTable.follow(n, open); // a List, then a Watch from after it
        table.awaitExactly(all);
        assertEquals(19, hub.stats().get("chunksEncoded"), "unchanged chunks are not encoded again");

        Lease first = Lease.vxlan(Ipv4Prefix.parse("10.1.0.0/24"), Ipv4Address.parse("192.168.0.1"), 1, 0x6e00000000ffL);
        assertTrue(backend.acquire(first, TTL)); // the same PublicIP: a take-over with a new MAC
        all.remove(Lease.vxlan(Ipv4Prefix.parse("10.1.0.0/24"), Ipv4Address.parse("192.168.0.1"), 1, 0x6e0000000000L));
        all.add(first);
        table.awaitExactly(all);
        try (HubLeaseStore late = HubLeaseStore.open(HubClientSettings.of(
                List.of(new HubEndpoint("127.0.0.1", hub.address().getPort())), null, "late"))) {
            LeaseTable fresh = new LeaseTable();
            try (LeaseStore.Watch w = late.watch(0, fresh)) { // from 0: a Resync in chunks
                fresh.awaitExactly(all);
            }
        }
        assertEquals(20, hub.stats().get("chunksEncoded"), "one chunk changed, one encoded again");
    }

    @Test
    void aSubnetHeldByAnotherNodeIsRefusedAndNothingChanges() throws Exception {
        startHub(0);
        HubLeaseStore a = node("node1");
        HubLeaseStore b = node("node2");
        assertTrue(a.acquire(lease(1), TTL));
        Lease stolen = Lease.vxlan(lease(1).subnet(), lease(2).publicIp(), 1, 0x6e7573000002L);
        assertFalse(b.acquire(stolen, TTL));
        assertThrows(LeaseLostException.class, () -> b.renew(stolen));
        assertEquals(List.of(lease(1)), a.list().leases());
    }

    @Test
    void aNodeThatStopsRenewingIsRemovedEverywhereAfterItsTtl() throws Exception {
        startHub(0);
        HubLeaseStore a = node("node1");
        HubLeaseStore b = node("node2");
        assertTrue(a.acquire(lease(1), TTL));
        assertTrue(b.acquire(lease(2), Duration.ofSeconds(1)));
        LeaseTable table = LeaseTable.follow(a, open);
        table.awaitExactly(Set.of(lease(1), lease(2)));
        b.close(); // as if killed: no release
        table.awaitExactly(Set.of(lease(1)));
    }

    @Test
    void aDroppedSessionResumesFromItsRevisionWithoutASnapshot() throws Exception {
        startHub(0);
        HubLeaseStore a = node("node1");
        HubLeaseStore b = node("node2");
        assertTrue(a.acquire(lease(1), TTL));
        LeaseTable table = LeaseTable.follow(a, open);
        table.awaitExactly(Set.of(lease(1)));
        int resyncs = table.resyncs.get();
        // restart the hub on the same port and store: sessions drop, nodes reconnect and resume
        int port = hub.address().getPort();
        hub.close();
        open.remove(hub);
        hub = HubServer.start(HubServer.Settings.insecure(new InetSocketAddress("127.0.0.1", port))
            .withHeartbeat(Duration.ofSeconds(1)), backend);
        open.add(hub);
        assertTrue(b.acquire(lease(2), TTL)); // waits for b's new session
        table.awaitExactly(Set.of(lease(1), lease(2)));
        assertEquals(resyncs, table.resyncs.get(), "resumed from its revision, no snapshot");
        assertTrue(hub.stats().get("resumed") >= 1, "the new hub resumed the watch");
        assertEquals(0, hub.stats().get("snapshotsSent"));
    }

    @Test
    void aRestartedHubKeepsItsLeasesOnDisk() throws Exception {
        startHub(0);
        HubLeaseStore a = node("node1");
        assertTrue(a.acquire(lease(1), TTL));
        assertTrue(a.acquire(lease(9), TTL));
        a.release(lease(9).subnet(), lease(9).publicIp());
        int port = hub.address().getPort();
        a.close();
        hub.close();
        backend.close();
        open.clear();
        startHub(port);
        HubLeaseStore again = node("node1");
        assertEquals(List.of(lease(1)), again.list().leases());
        again.renew(lease(1)); // still renewable by its owner after the restart
    }

    @Test
    void garbageAndTruncatedMessagesEndOnlyTheirOwnSession() throws Exception {
        startHub(0);
        HubLeaseStore a = node("node1");
        assertTrue(a.acquire(lease(1), TTL));
        LeaseTable table = LeaseTable.follow(a, open);
        table.awaitExactly(Set.of(lease(1)));

        // garbage after a good Hello: an Error naming the fault, then the connection closes
        try (Socket s = raw()) {
            send(s, "{\"Type\":\"Hello\",\"Version\":" + HubFrames.VERSION + ",\"Node\":\"evil\"}");
            assertTrue(receive(s).contains("\"Welcome\""));
            send(s, "{\"Type\":\"Acquire\",\"Id\":1,\"TTL\":60,\"Lease\":{\"Subnet\":\"10.244.1.0/24\"");
            String error = receive(s);
            assertTrue(error.contains("\"Error\"") && error.contains("malformed JSON"), error);
            assertEquals(-1, s.getInputStream().read(), "closed after the Error");
        }
        // binary noise as the first bytes
        try (Socket s = raw()) {
            s.getOutputStream().write(new byte[] {0, 0, 0, 4, (byte) 0xde, (byte) 0xad, (byte) 0xbe, (byte) 0xef});
            assertTrue(receive(s).contains("malformed JSON"));
        }
        // a request before Hello
        try (Socket s = raw()) {
            send(s, "{\"Type\":\"List\",\"Id\":1}");
            assertTrue(receive(s).contains("expected Hello first, got List"));
        }
        // another version
        try (Socket s = raw()) {
            send(s, "{\"Type\":\"Hello\",\"Version\":2,\"Node\":\"old\"}");
            assertTrue(receive(s).contains("unsupported protocol version 2 (this hub speaks 3)"));
        }
        // a length larger than a node's limit (64 KiB), announced before Hello
        try (Socket s = raw()) {
            new DataOutputStream(s.getOutputStream()).writeInt(HubFrames.MAX_NODE_FRAME + 1);
            String error = receive(s);
            assertTrue(error.contains("frame too long") && error.contains("limit: 65536 bytes"), error);
        }
        // truncated: a frame announced at 500 bytes, 20 sent, then the connection closes
        try (Socket s = raw()) {
            DataOutputStream out = new DataOutputStream(s.getOutputStream());
            out.writeInt(500);
            out.write("{\"Type\":\"Acquire\",\"".getBytes(StandardCharsets.UTF_8));
            out.flush();
        }
        assertEquals(List.of(lease(1)), a.list().leases(), "nothing changed");
        // the well-behaved session still works and still receives changes
        assertTrue(a.acquire(lease(2), TTL));
        table.awaitExactly(Set.of(lease(1), lease(2)));
        assertEquals(5, hub.stats().get("refusedMalformed") + hub.stats().get("refusedHello"));
    }

    @Test
    void aSilentSessionIsEndedAfterThreeHeartbeatsAndAQuietOneIsPinged() throws Exception {
        startHub(0);
        try (Socket s = raw()) {
            send(s, "{\"Type\":\"Hello\",\"Version\":" + HubFrames.VERSION + ",\"Node\":\"mute\"}");
            assertTrue(receive(s).contains("\"Welcome\""));
            // the hub pings a quiet session (heartbeat 1 s), then ends it when nothing comes back
            assertEquals("{\"Type\":\"Ping\"}", receive(s));
            String last;
            do {
                last = receive(s);
            } while (last.equals("{\"Type\":\"Ping\"}"));
            assertTrue(last.contains("no message for three heartbeats"), last);
            assertEquals(-1, s.getInputStream().read());
        }
        assertEquals(1, hub.stats().get("heartbeatTimeouts"));
    }

    @Test
    void whileTheHubIsDownRequestsFailAndTheTableStays() throws Exception {
        startHub(0);
        HubLeaseStore a = node("node1");
        HubLeaseStore b = node("node2");
        assertTrue(a.acquire(lease(1), TTL));
        assertTrue(b.acquire(lease(2), TTL));
        LeaseTable table = LeaseTable.follow(a, open);
        table.awaitExactly(Set.of(lease(1), lease(2)));
        int port = hub.address().getPort();
        hub.close();
        open.remove(hub);
        IOException e = assertThrows(IOException.class, () -> a.renew(lease(1)));
        assertTrue(e.getMessage().contains("hub"), e.getMessage());
        assertEquals(Set.of(lease(1), lease(2)), Set.copyOf(table.now().values()));
        hub = HubServer.start(HubServer.Settings.insecure(new InetSocketAddress("127.0.0.1", port))
            .withHeartbeat(Duration.ofSeconds(1)), backend);
        open.add(hub);
        a.renew(lease(1));
        assertTrue(b.acquire(lease(3), TTL));
        table.awaitExactly(Set.of(lease(1), lease(2), lease(3)));
    }

    @Test
    void leasesThatDoNotFitTheNetworkAreRefusedAndChangeNothing() throws Exception {
        startHub(0);
        HubLeaseStore a = node("node1");
        HubLeaseStore b = node("node2");
        assertTrue(a.acquire(lease(1), TTL));
        LeaseTable table = LeaseTable.follow(a, open);
        table.awaitExactly(Set.of(lease(1)));
        // A /25 inside node1's /24 would win every longest-prefix match for half its pods.
        Lease inside = Lease.vxlan(Ipv4Prefix.parse("10.244.1.128/25"), lease(2).publicIp(), 1, 0x6e7573000002L);
        Lease everything = Lease.vxlan(Ipv4Prefix.parse("0.0.0.0/0"), lease(2).publicIp(), 1, 0x6e7573000002L);
        Lease outside = Lease.vxlan(Ipv4Prefix.parse("10.245.1.0/24"), lease(2).publicIp(), 1, 0x6e7573000002L);
        Lease udp = new Lease(lease(2).subnet(), lease(2).publicIp(), "udp", Lease.NO_VNI, 0);
        for (Lease bad : List.of(inside, everything, outside)) {
            IOException e = assertThrows(IOException.class, () -> b.acquire(bad, TTL));
            assertTrue(e.getMessage().contains("(invalid)") && e.getMessage().contains("Acquire.Lease: Subnet " + bad.subnet()
                + " is not a /24 of Network 10.244.0.0/16"), e.getMessage());
        }
        IOException e = assertThrows(IOException.class, () -> b.acquire(udp, TTL));
        assertTrue(e.getMessage().contains("BackendType \"udp\" is not supported (accepted: vxlan, ipip, host-gw)"),
            e.getMessage());
        // node1's VTEP MAC under node2's address: kernel flannel nodes would move node1's FDB entry to node2
        Lease copiedMac = Lease.vxlan(lease(2).subnet(), lease(2).publicIp(), 1, lease(1).vtepMac());
        IOException mac = assertThrows(IOException.class, () -> b.acquire(copiedMac, TTL));
        assertTrue(mac.getMessage().contains("VtepMAC 6e:75:73:00:00:01 is the VTEP of 192.168.50.1's lease"), mac.getMessage());
        IOException renew = assertThrows(IOException.class, () -> b.renew(inside));
        assertTrue(renew.getMessage().contains("Renew.Lease: Subnet 10.244.1.128/25"), renew.getMessage());
        // One address holds a few leases at most.
        for (int n = 10; n < 10 + HubPolicy.MAX_LEASES_PER_ADDRESS; n++) {
            assertTrue(b.acquire(at(lease(n), lease(2)), TTL));
        }
        Lease oneTooMany = at(lease(20), lease(2));
        table.awaitExactly(Set.of(lease(1), at(lease(10), lease(2)), at(lease(11), lease(2)), at(lease(12), lease(2)),
            at(lease(13), lease(2))));
        IOException limit = assertThrows(IOException.class, () -> b.acquire(oneTooMany, TTL));
        assertTrue(limit.getMessage().contains("PublicIP 192.168.50.2 already holds 4 other lease(s) (accepted: at most 4 "
            + "per address)"), limit.getMessage());
        b.renew(at(lease(10), lease(2))); // renewing one it holds is not a new lease
        assertEquals(7, hub.stats().get("invalid"));
        assertEquals(5, a.list().leases().size(), "nothing refused was stored");
        assertTrue(table.now().containsKey(lease(1).subnet()));
    }

    @Test
    void aReleaseDeletesOnlyTheLeaseOfItsPublicIp() throws Exception {
        startHub(0);
        HubLeaseStore a = node("node1");
        HubLeaseStore b = node("node2");
        assertTrue(a.acquire(lease(1), TTL));
        // node2 (insecure: any address) releases node1's subnet as if it were its own: the store compares and keeps it
        assertFalse(b.release(lease(1).subnet(), lease(2).publicIp()));
        assertEquals(List.of(lease(1)), a.list().leases());
        assertTrue(a.release(lease(1).subnet(), lease(1).publicIp()));
        assertFalse(a.release(lease(1).subnet(), lease(1).publicIp()), "idempotent");
        assertTrue(a.list().leases().isEmpty());
    }

    @Test
    void aNodeThatSendsRequestsWithoutReadingTheRepliesIsHeldBackAndLosesNone() throws Exception {
        startHub(0, Duration.ofSeconds(30)); // no heartbeat while the test holds its replies back
        HubLeaseStore a = node("node1");
        for (int n = 1; n <= 250; n++) {
            assertTrue(a.acquire(lease(n), TTL));
        }
        int requests = 2000;
        try (Socket s = raw()) {
            send(s, "{\"Type\":\"Hello\",\"Version\":" + HubFrames.VERSION + ",\"Node\":\"greedy\"}");
            assertTrue(receive(s).contains("\"Welcome\""));
            String first = null;
            // every List's leases are ~30 KB: 2000 copies would queue ~60 MB in the hub if it kept reading
            // (the chunk is shared, but what a session may queue is bounded however it is counted)
            Thread writer = Thread.ofVirtual().start(() -> {
                try {
                    for (int i = 1; i <= requests; i++) {
                        send(s, "{\"Type\":\"List\",\"Id\":" + i + "}");
                    }
                } catch (IOException ignored) {
                    // the test reads below and fails there
                }
            });
            long queued;
            long previous = -1;
            int steady = 0;
            // until the hub's queue for this session stops moving (a bounded hub stops reading, an
            // unbounded one stops when the requests run out)
            while (steady < 5) {
                Thread.sleep(100);
                queued = hub.queuedBytes();
                steady = queued == previous ? steady + 1 : 0;
                previous = queued;
            }
            assertTrue(previous < 8L << 20, "the hub queued " + previous + " bytes for a node that does not read");
            assertTrue(hub.stats().get("readsPaused") > 0);
            // now read: every request is answered, in order, none lost; each Reply is followed by its chunks
            for (int i = 1; i <= requests; i++) {
                String reply = receive(s);
                assertTrue(reply.startsWith("{\"Type\":\"Reply\",\"Id\":" + i + ","), reply.substring(0, 60));
                assertTrue(reply.endsWith(",\"Chunks\":4}"), reply); // 250 leases: subnets 1-63, 64-127, 128-191, 192-250
                StringBuilder chunks = new StringBuilder();
                for (int c = 0; c < 4; c++) {
                    String chunk = receive(s);
                    assertTrue(chunk.startsWith("{\"Type\":\"Leases\""), chunk.substring(0, 60));
                    chunks.append(chunk);
                }
                if (first == null) {
                    first = chunks.toString();
                }
            }
            writer.join();
            assertTrue(first.contains("10.244.250.0/24"));
        }
        assertEquals(0, hub.stats().get("floods"));
        assertEquals(250, a.list().leases().size(), "the other session still works");
    }

    @Test
    void aSessionThatNeverReadsItsRepliesIsClosed() throws Exception {
        startHub(0); // heartbeat 1 s
        HubLeaseStore a = node("node1");
        for (int n = 1; n <= 250; n++) {
            assertTrue(a.acquire(lease(n), TTL));
        }
        try (Socket s = raw()) {
            s.setReceiveBufferSize(4096);
            send(s, "{\"Type\":\"Hello\",\"Version\":" + HubFrames.VERSION + ",\"Node\":\"stuck\"}");
            assertTrue(receive(s).contains("\"Welcome\""));
            for (int i = 1; i <= 2000; i++) {
                send(s, "{\"Type\":\"List\",\"Id\":" + i + "}");
            }
            // never reads: the hub ends it after three heartbeats and closes it although its Error cannot get out
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (hub.stats().get("sessionsClosed") < 1 && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            assertEquals(1, hub.stats().get("slowSessions"));
            assertEquals(1, hub.stats().get("sessionsClosed"), "the stuck session is closed");
        }
        assertEquals(250, a.list().leases().size(), "the other session still works");
    }

    @Test
    void aNodeAdoptsTheHubsHeartbeat() throws Exception {
        startHub(0); // heartbeat 1 s: a session quiet for 3 s ends
        HubLeaseStore slow = HubLeaseStore.open(HubClientSettings.of(
                List.of(new HubEndpoint("127.0.0.1", hub.address().getPort())), null, "slow")
            .withHeartbeat(Duration.ofSeconds(30)));
        open.add(slow);
        assertTrue(slow.acquire(lease(1), TTL));
        Thread.sleep(4_500); // longer than three of the hub's heartbeats, far shorter than one of the node's own
        assertEquals(0, hub.stats().get("heartbeatTimeouts"), "the node pinged at the hub's pace");
        assertEquals(1, hub.stats().get("sessionsOpened"));
        slow.renew(lease(1));
    }

    private Socket raw() throws IOException {
        Socket s = new Socket("127.0.0.1", hub.address().getPort());
        s.setSoTimeout(30_000);
        return s;
    }

    private static void send(Socket s, String json) throws IOException {
        byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
        DataOutputStream out = new DataOutputStream(s.getOutputStream());
        out.writeInt(bytes.length);
        out.write(bytes);
        out.flush();
    }

    private static String receive(Socket s) throws IOException {
        DataInputStream in = new DataInputStream(s.getInputStream());
        byte[] bytes = new byte[in.readInt()];
        in.readFully(bytes);
        return new String(bytes, StandardCharsets.UTF_8);
    }
}
