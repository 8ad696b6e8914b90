package io.muslin.control.hub;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
        backend = EmbeddedLeaseStore.open(dir, Optional.of("{\"Network\":\"10.244.0.0/16\"}"));
        open.add(backend);
        hub = HubServer.start(HubServer.Settings.insecure(new InetSocketAddress("127.0.0.1", port))
            .withHeartbeat(Duration.ofSeconds(1)), backend);
        open.add(hub);
        return hub;
    }

    private HubLeaseStore node(String name) throws IOException {
        HubLeaseStore store = HubLeaseStore.open(HubClientSettings.of(
                List.of(new HubEndpoint("127.0.0.1", hub.address().getPort())), null, name)
            .withHeartbeat(Duration.ofSeconds(1)).withMaxBackoff(Duration.ofMillis(200))
            .withTimeouts(Duration.ofSeconds(2), Duration.ofSeconds(5)));
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
        nodes.get(2).release(lease(3).subnet());
        for (LeaseTable t : tables) {
            t.awaitExactly(Set.of(lease(1), changed));
        }
        assertEquals(3, hub.watchers());
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
        a.release(lease(9).subnet());
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
            send(s, "{\"Type\":\"Hello\",\"Version\":1,\"Node\":\"evil\"}");
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
            send(s, "{\"Type\":\"Hello\",\"Version\":2,\"Node\":\"future\"}");
            assertTrue(receive(s).contains("unsupported protocol version 2 (this hub speaks 1)"));
        }
        // a length larger than the limit
        try (Socket s = raw()) {
            new DataOutputStream(s.getOutputStream()).writeInt(HubFrames.MAX_FRAME + 1);
            assertTrue(receive(s).contains("frame too long"));
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
            send(s, "{\"Type\":\"Hello\",\"Version\":1,\"Node\":\"mute\"}");
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
