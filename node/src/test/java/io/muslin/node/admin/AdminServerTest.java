package io.muslin.node.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.muslin.control.lease.Lease;
import io.muslin.control.program.PeerProgrammer;
import io.muslin.dataplane.packet.Ipv4Address;
import io.muslin.dataplane.packet.Ipv4Prefix;
import io.muslin.dataplane.packet.MacAddress;
import io.muslin.dataplane.path.Counter;
import io.muslin.dataplane.table.Route;
import io.muslin.dataplane.table.Route6;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AdminServerTest {
    @TempDir
    Path dir;
    Path socket;
    final FakeAdminView view = new FakeAdminView();
    AdminServer server;

    @BeforeEach
    void setUp() throws IOException {
        socket = dir.resolve("muslin0.sock");
        PeerProgrammer programmer = new PeerProgrammer(view.tables, Ipv4Prefix.parse("10.244.0.0/16"),
            Ipv4Prefix.parse("10.244.1.0/24"), 1);
        programmer.add(Lease.vxlan(Ipv4Prefix.parse("10.244.3.0/24"), Ipv4Address.parse("192.168.50.3"), 1,
            MacAddress.parse("6e:75:73:00:00:03")));
        programmer.add(Lease.vxlan(Ipv4Prefix.parse("10.244.2.0/24"), Ipv4Address.parse("192.168.50.2"), 1,
            MacAddress.parse("6e:75:73:00:00:02")));
        view.counters.add(Counter.TUN_RX_PACKETS, 5);
        view.counters.inc(Counter.DROP_NO_ROUTE);
    }

    @AfterEach
    void tearDown() {
        if (server != null) {
            server.close();
        }
    }

    private void start() throws IOException {
        server = AdminServer.start(socket, view);
    }

    @Test
    void routes() throws IOException {
        start();
        assertEquals("""
            10.244.2.0/24 via 10.244.2.0 dev muslin0 onlink
            10.244.3.0/24 via 10.244.3.0 dev muslin0 onlink
            """, AdminClient.request(socket, "routes"));
    }

    @Test
    void peersListsWhatIsProgrammed() throws IOException {
        view.peers = java.util.List.of(new PeerProgrammer.Peer(Lease.vxlan(Ipv4Prefix.parse("10.244.2.0/24"),
            Ipv4Address.parse("192.168.50.2"), 1, MacAddress.parse("6e:75:73:00:00:02")), false,
            java.time.Instant.now().minusSeconds(42)), new PeerProgrammer.Peer(Lease.of(Lease.HOST_GW,
            Ipv4Prefix.parse("10.244.4.0/24"), Ipv4Address.parse("192.168.50.4")), true, java.time.Instant.now()));
        start();
        String reply = AdminClient.request(socket, "peers");
        assertTrue(reply.matches("""
            10\\.244\\.2\\.0/24 public 192\\.168\\.50\\.2 vxlan vni 1 vtep 6e:75:73:00:00:02 tunnel source static age 4[23]s
            10\\.244\\.4\\.0/24 public 192\\.168\\.50\\.4 host-gw direct source static age [01]s
            """), reply);
    }

    @Test
    void bgpShowsEachSessionLikeBirdcShowProtocols() throws IOException {
        java.time.Instant now = java.time.Instant.now();
        view.bgpSessions = java.util.List.of(
            new io.muslin.control.bgp.speaker.BgpSessionStatus(new io.muslin.control.bgp.speaker.BgpPeerConfig(
                Ipv4Address.parse("192.168.50.250"), 64512, 179), io.muslin.control.bgp.speaker.BgpState.ESTABLISHED,
                now.minusSeconds(42), 3, 1, null, 0),
            new io.muslin.control.bgp.speaker.BgpSessionStatus(new io.muslin.control.bgp.speaker.BgpPeerConfig(
                Ipv4Address.parse("192.168.50.251"), 64512, 179), io.muslin.control.bgp.speaker.BgpState.ACTIVE,
                now, 2, 0, "sent NOTIFICATION Hold Timer Expired / Unspecific (4/0): no message for 3 s", 2));
        view.bgpCounters = new java.util.LinkedHashMap<>(java.util.Map.of("routesOutsideNetwork", 2L));
        start();
        String reply = AdminClient.request(socket, "bgp");
        assertTrue(reply.matches("""
            192\\.168\\.50\\.250 as 64512 state Established since 4[23]s received 3 sent 1 last-error -
            192\\.168\\.50\\.251 as 64512 state Active since [01]s received 2 \\(2 stale\\) sent 0 last-error sent NOTIFICATION Hold Timer Expired / Unspecific \\(4/0\\): no message for 3 s
            routesOutsideNetwork 2
            """), reply);
    }

    @Test
    void bgpWithoutBgpSaysWhereThePeersComeFrom() throws IOException {
        start();
        assertEquals("error: peers come from \"static\", not from BGP (Control.Type \"bgp\")\n",
            AdminClient.request(socket, "bgp"));
    }

    @Test
    void routesShowDirectPeersAndIpv6() throws IOException {
        view.tables.update(b -> b.putRoute(Ipv4Prefix.parse("10.244.4.0/24"), Ipv4Address.parse("192.168.50.4"),
                Route.DIRECT)
            .putRoute6(Route6.parse("fd00:244:2::/64", "fd00:244:2::", Route.ENCAP))
            .putRoute6(Route6.parse("fd00:244:3::/64", "2001:db8::3", Route.DIRECT)));
        start();
        assertEquals("""
            10.244.2.0/24 via 10.244.2.0 dev muslin0 onlink
            10.244.3.0/24 via 10.244.3.0 dev muslin0 onlink
            10.244.4.0/24 via 192.168.50.4 direct
            fd00:244:2::/64 via fd00:244:2:: dev muslin0 onlink
            fd00:244:3::/64 via 2001:db8::3 direct
            """, AdminClient.request(socket, "routes"));
    }

    @Test
    void neigh() throws IOException {
        start();
        assertEquals("""
            10.244.2.0 dev muslin0 lladdr 6e:75:73:00:00:02 PERMANENT
            10.244.3.0 dev muslin0 lladdr 6e:75:73:00:00:03 PERMANENT
            """, AdminClient.request(socket, "neigh"));
    }

    @Test
    void fdb() throws IOException {
        start();
        assertEquals("""
            6e:75:73:00:00:02 dev muslin0 dst 192.168.50.2 self permanent
            6e:75:73:00:00:03 dev muslin0 dst 192.168.50.3 self permanent
            """, AdminClient.request(socket, "fdb"));
    }

    @Test
    void stats() throws IOException {
        start();
        StringBuilder expected = new StringBuilder("backend vxlan\ncontrol static\ndevice muslin0\nvni 1\nmtu 1450\npeers 2\n");
        for (Counter c : Counter.values()) {
            long v = c == Counter.TUN_RX_PACKETS ? 5 : c == Counter.DROP_NO_ROUTE ? 1 : 0;
            expected.append(c.label()).append(' ').append(v).append('\n');
        }
        String reply = AdminClient.request(socket, "stats");
        assertEquals(expected.toString(), reply);
        assertTrue(reply.contains("\ntunRxPackets 5\n"));
        assertTrue(reply.contains("\ndropNoRoute 1\n"));
    }

    @Test
    void emptyTablesGiveAnEmptyReply() throws IOException {
        server = AdminServer.start(socket, new FakeAdminView());
        assertEquals("", AdminClient.request(socket, "routes"));
    }

    @Test
    void unknownCommand() throws IOException {
        start();
        assertEquals("error: unknown command \"x\" (accepted: routes, neigh, fdb, peers, pmtu, bgp, stats, explain, "
            + "capture)\n",
            AdminClient.request(socket, "x"));
    }

    @Test
    void requestWithoutNewlineOrWithCrlf() throws IOException {
        start();
        assertTrue(raw("routes").startsWith("10.244.2.0/24 via"));
        assertTrue(raw("fdb\r\n").startsWith("6e:75:73:00:00:02 dev"));
    }

    @Test
    void overlongRequestIsRefused() throws IOException {
        start();
        String reply = raw("r".repeat(AdminServer.MAX_REQUEST + 10));
        assertEquals("error: request longer than " + AdminServer.MAX_REQUEST + " bytes (accepted: routes, neigh, fdb, "
            + "peers, pmtu, bgp, stats, explain, capture)\n", reply);
    }

    @Test
    void aSilentClientDoesNotBlockOthers() throws IOException {
        start();
        try (SocketChannel silent = SocketChannel.open(UnixDomainSocketAddress.of(socket))) {
            assertTrue(silent.isConnected());
            assertTrue(AdminClient.request(socket, "routes").startsWith("10.244.2.0/24"));
        }
    }

    @Test
    void socketIsOwnerOnlyAndRemovedAtClose() throws IOException {
        start();
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(socket)));
        server.close();
        server.close(); // idempotent
        assertFalse(Files.exists(socket));
        assertThrows(IOException.class, () -> AdminClient.request(socket, "routes"));
    }

    @Test
    void staleSocketFileIsReplaced() throws IOException {
        // A socket file nobody listens on, as a killed daemon leaves behind.
        try (ServerSocketChannel dead = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            dead.bind(UnixDomainSocketAddress.of(socket));
        }
        assertTrue(Files.exists(socket));
        start();
        assertTrue(AdminClient.request(socket, "routes").startsWith("10.244.2.0/24"));
    }

    @Test
    void liveSocketIsNotStolen() throws IOException {
        start();
        IOException e = assertThrows(IOException.class, () -> AdminServer.start(socket, view));
        assertTrue(e.getMessage().contains("is in use"), e.getMessage());
        assertTrue(AdminClient.request(socket, "routes").startsWith("10.244.2.0/24"), "first server unharmed");
    }

    @Test
    void aRegularFileInTheWayIsNotDeleted() throws IOException {
        Files.writeString(socket, "precious");
        IOException e = assertThrows(IOException.class, () -> AdminServer.start(socket, view));
        assertTrue(e.getMessage().contains("is not a socket"), e.getMessage());
        assertEquals("precious", Files.readString(socket));
    }

    @Test
    void clientFailsWhenNoDaemonRuns() {
        assertThrows(IOException.class, () -> AdminClient.request(dir.resolve("absent.sock"), "routes"));
    }

    private String raw(String request) throws IOException {
        try (SocketChannel ch = SocketChannel.open(UnixDomainSocketAddress.of(socket))) {
            ByteBuffer b = ByteBuffer.wrap(request.getBytes(StandardCharsets.US_ASCII));
            while (b.hasRemaining()) {
                ch.write(b);
            }
            ch.shutdownOutput();
            return new String(Channels.newInputStream(ch).readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}
