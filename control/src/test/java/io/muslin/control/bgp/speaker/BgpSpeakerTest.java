package io.muslin.control.bgp.speaker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.muslin.control.bgp.Bgp;
import io.muslin.control.bgp.BgpCapability;
import io.muslin.control.bgp.BgpKeepalive;
import io.muslin.control.bgp.BgpMessage;
import io.muslin.control.bgp.BgpNotification;
import io.muslin.control.bgp.BgpOpen;
import io.muslin.control.bgp.BgpPathAttributes;
import io.muslin.control.bgp.BgpPrefix;
import io.muslin.control.bgp.BgpRouteRefresh;
import io.muslin.control.bgp.BgpUpdate;
import io.muslin.dataplane.packet.Ipv4Address;
import io.muslin.dataplane.packet.Ipv4Prefix;
import io.muslin.dataplane.packet.MacAddress;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The speaker's FSM, routes and graceful restart, against a {@link ScriptedPeer} or another
 * speaker, over real sockets on loopback addresses of their own (127.19.x.y), so nothing here
 * collides with other tests.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class BgpSpeakerTest {
    static final Ipv4Prefix NETWORK = Ipv4Prefix.parse("10.244.0.0/16");
    static final long MAC_A = MacAddress.parse("6e:75:73:00:00:0a");

    private final List<AutoCloseable> closing = new ArrayList<>();
    private String a;
    private String b;
    private int port;

    @BeforeEach
    void addresses() throws IOException {
        int x = ThreadLocalRandom.current().nextInt(1, 250);
        a = "127.19." + x + ".1";
        b = "127.19." + x + ".2";
        port = freePort(a);
    }

    @AfterEach
    void close() throws Exception {
        for (AutoCloseable c : closing.reversed()) {
            c.close();
        }
    }

    private static int freePort(String address) throws IOException {
        try (ServerSocket s = new ServerSocket()) {
            s.bind(new InetSocketAddress(InetAddress.getByName(address), 0));
            return s.getLocalPort();
        }
    }

    private BgpSpeaker speaker(String self, int listenPort, List<BgpPeerConfig> peers, RecordingRoutes routes,
                               String block, long mac) throws IOException {
        BgpSettings s = BgpSettings.of(64512, Ipv4Address.parse(self), 90, listenPort, peers, NETWORK)
            .withConnectRetry(Duration.ofMillis(100), Duration.ofMillis(400));
        BgpSpeaker sp = new BgpSpeaker(s, List.of(new BgpSpeaker.OwnRoute(Ipv4Prefix.parse(block), mac)), routes);
        closing.add(sp);
        sp.start();
        return sp;
    }

    /** A speaker at {@code a} that peers with {@code b} (where nothing listens: b connects in). */
    private BgpSpeaker speakerForScriptedPeer(RecordingRoutes routes) throws IOException {
        return speaker(a, port, List.of(new BgpPeerConfig(Ipv4Address.parse(b), 64512, freePort(b))), routes,
            "10.244.1.0/24", MAC_A);
    }

    private ScriptedPeer scripted() throws IOException {
        ScriptedPeer p = ScriptedPeer.connect(b, a, port);
        closing.add(p);
        return p;
    }

    private static BgpUpdate announce(String prefix, String nextHop) {
        return new BgpUpdate(List.of(), BgpPathAttributes.builder().origin(0).asPath(List.of())
            .nextHop(Ipv4Address.parse(nextHop)).localPref(100).build(), List.of(BgpPrefix.ipv4(prefix)));
    }

    private static BgpCapability.GracefulRestart restart(int seconds, boolean forwardingKept) {
        return new BgpCapability.GracefulRestart(0, seconds, List.of(new BgpCapability.GracefulRestart.Family(1, 1,
            forwardingKept ? Bgp.GR_FORWARDING_PRESERVED : 0)));
    }

    /** Reads what the speaker sends after the session is up: its routes, then End-of-RIB. */
    private static List<BgpUpdate> readUntilEndOfRib(ScriptedPeer p) throws IOException {
        List<BgpUpdate> updates = new ArrayList<>();
        while (true) {
            BgpMessage m = p.readSkippingKeepalives();
            BgpUpdate u = (BgpUpdate) m;
            if (u.endOfRib() != null) {
                return updates;
            }
            updates.add(u);
        }
    }

    @Test
    void twoSpeakersPeerOnceExchangeTheirBlocksAndWithdrawThemOnClose() throws Exception {
        int portB = freePort(b);
        RecordingRoutes atA = new RecordingRoutes();
        RecordingRoutes atB = new RecordingRoutes();
        // each connects to the other: a collision the higher router id (b) wins, one session remains
        BgpSpeaker sa = speaker(a, port, List.of(new BgpPeerConfig(Ipv4Address.parse(b), 64512, portB)), atA,
            "10.244.1.0/24", MAC_A);
        BgpSpeaker sb = speaker(b, portB, List.of(new BgpPeerConfig(Ipv4Address.parse(a), 64512, port)), atB,
            "10.244.2.0/24", MacAddress.NONE);
        assertTrue(atB.awaitRoute("10.244.1.0/24"), () -> atB.events().toString());
        assertTrue(atA.awaitRoute("10.244.2.0/24"), () -> atA.events().toString());
        BgpRoute learned = atB.get("10.244.1.0/24");
        assertEquals(Ipv4Address.parse(a), learned.nextHop(), "NEXT_HOP is the announcing node's address");
        assertEquals(MAC_A, learned.routersMac(), "the VTEP MAC travels as a Router's MAC community");
        assertEquals(MacAddress.NONE, atA.get("10.244.2.0/24").routersMac());
        assertEquals(BgpState.ESTABLISHED, sa.sessions().getFirst().state());
        assertEquals(1, sa.sessions().getFirst().received());
        assertEquals(1, sa.sessions().getFirst().sent());

        sb.close();
        assertTrue(atA.awaitGone("10.244.2.0/24"), () -> atA.events().toString());
        // b's graceful restart capability has no address family: nothing is kept
        assertTrue(sa.sessions().getFirst().lastError().contains("Cease / Administrative Shutdown (6/2)"),
            sa.sessions().getFirst().lastError());
        assertEquals("withdrawn 10.244.2.0/24", atA.events().getLast());
    }

    @Test
    void theSpeakersOpenSaysItsCapabilitiesAndItsRoutesFollowTheSession() throws Exception {
        speakerForScriptedPeer(new RecordingRoutes());
        ScriptedPeer p = scripted();
        BgpOpen open = p.establish(ScriptedPeer.open(64512, b, 90));
        assertEquals(64512, open.as());
        assertEquals(90, open.holdTime());
        assertEquals(Ipv4Address.parse(a), open.bgpId(), "router id: the node's address");
        assertTrue(open.supports(1, 1));
        assertTrue(open.routeRefresh());
        assertTrue(open.fourOctetAs());
        assertEquals(new BgpCapability.GracefulRestart(0, 120, List.of()), open.gracefulRestart().orElseThrow(),
            "a receiving speaker: no address family kept across its own restart");

        List<BgpUpdate> sent = readUntilEndOfRib(p);
        assertEquals(1, sent.size());
        BgpPathAttributes attrs = sent.getFirst().attributes();
        assertEquals(List.of(BgpPrefix.ipv4("10.244.1.0/24")), sent.getFirst().nlri());
        assertEquals(Ipv4Address.parse(a), attrs.nextHop());
        assertEquals(List.of(), attrs.asPath(), "iBGP: empty AS_PATH");
        assertEquals(100L, attrs.localPref());
        assertEquals(MAC_A, attrs.routersMac());

        // RFC 2918: a ROUTE-REFRESH gets the routes again, and End-of-RIB
        p.send(new BgpRouteRefresh(1, 1));
        assertEquals(1, readUntilEndOfRib(p).size());
    }

    @Test
    void theHoldTimerEndsASilentSessionWithItsNotification() throws Exception {
        BgpSpeaker s = speakerForScriptedPeer(new RecordingRoutes());
        ScriptedPeer p = scripted();
        p.establish(ScriptedPeer.open(64512, b, 3)); // the session's hold time: min(90, 3)
        readUntilEndOfRib(p);
        // send nothing more: 3 s later the speaker gives up (KEEPALIVEs come meanwhile, every second)
        BgpNotification n = p.readNotificationAndClose();
        assertEquals("4/0", n.codes());
        assertEquals(1L, s.counters().get("holdTimerExpired"));
    }

    @Test
    void aMalformedUpdateGetsItsNotificationAndTheRoutesStayForTheRestartTime() throws Exception {
        RecordingRoutes routes = new RecordingRoutes();
        BgpSpeaker s = speakerForScriptedPeer(routes);
        ScriptedPeer p = scripted();
        p.establish(ScriptedPeer.open(64512, b, 90, restart(2, true)));
        readUntilEndOfRib(p);
        p.send(announce("10.244.5.0/24", "192.168.50.5"));
        assertTrue(routes.awaitRoute("10.244.5.0/24"));

        // an unrecognized attribute flagged well-known (type 99): UPDATE Message Error / Unrecognized Well-known Attribute
        p.sendRaw(HexFormat.of().parseHex("ff".repeat(16) + "001b02" + "0000" + "0004" + "40630100"));
        BgpNotification n = p.readNotificationAndClose();
        assertEquals("3/2", n.codes());
        assertEquals("40630100", HexFormat.of().formatHex(n.data()), "the attribute as received");

        BgpSessionStatus st = s.sessions().getFirst();
        assertTrue(st.lastError().startsWith("sent NOTIFICATION UPDATE Message Error / Unrecognized Well-known Attribute (3/2)"),
            st.lastError());
        assertNotNull(routes.get("10.244.5.0/24"), "kept for the restart time");
        assertTrue(s.route(Ipv4Prefix.parse("10.244.5.0/24")).stale(), "the speaker marks it stale");
        assertEquals(1, s.sessions().getFirst().stale());
        assertTrue(routes.awaitGone("10.244.5.0/24"), "gone when the 2 s run out");
        assertEquals(1L, s.counters().get("staleRoutesRemoved"));
        assertEquals(1L, s.counters().get("notificationsSent"));
    }

    @Test
    void aTreatAsWithdrawUpdateWithdrawsItsRoutesAndTheSessionGoesOn() throws Exception {
        RecordingRoutes routes = new RecordingRoutes();
        BgpSpeaker s = speakerForScriptedPeer(routes);
        ScriptedPeer p = scripted();
        p.establish(ScriptedPeer.open(64512, b, 90));
        readUntilEndOfRib(p);
        p.send(announce("10.244.5.0/24", "192.168.50.5"));
        assertTrue(routes.awaitRoute("10.244.5.0/24"));
        // ORIGIN 3 (RFC 7606 §7.1): treat-as-withdraw
        p.sendRaw(HexFormat.of().parseHex("ff".repeat(16) + "003002" + "0000" + "0015"
            + "40010103" + "400200" + "400304c0a83205" + "40050400000064" + "180af405"));
        assertTrue(routes.awaitGone("10.244.5.0/24"));
        p.send(announce("10.244.5.0/24", "192.168.50.6"));
        assertTrue(routes.await(r -> r.containsKey(Ipv4Prefix.parse("10.244.5.0/24"))));
        assertEquals(Ipv4Address.parse("192.168.50.6"), routes.get("10.244.5.0/24").nextHop());
        assertEquals(BgpState.ESTABLISHED, s.sessions().getFirst().state());
        assertEquals(1L, s.counters().get("updatesTreatedAsWithdraw"));
    }

    @Test
    void routesOutsideTheNetworkOfAnotherFamilyOrLoopingBackAreCountedAndIgnored() throws Exception {
        RecordingRoutes routes = new RecordingRoutes();
        BgpSpeaker s = speakerForScriptedPeer(routes);
        ScriptedPeer p = scripted();
        p.establish(ScriptedPeer.open(64512, b, 90, BgpCapability.Multiprotocol.IPV6_UNICAST));
        readUntilEndOfRib(p);
        p.send(announce("192.168.0.0/16", "192.168.50.5"));                   // outside 10.244.0.0/16
        p.send(announce("10.244.1.0/24", "192.168.50.5"));                    // our own block
        p.send(announce("10.244.7.0/24", a));                                 // our own next hop
        p.send(new BgpUpdate(List.of(), BgpPathAttributes.builder().origin(0).asPath(List.of())
            .mpReach(new BgpPathAttributes.MpReach(2, 1, List.of(io.muslin.control.bgp.BgpAddress.ipv6("fd00::5")),
                List.of(BgpPrefix.ipv6("fd00:10:244:5::/64")))).build(), List.of())); // IPv6, not routed yet
        p.send(announce("10.244.8.0/24", "0.0.0.0"));                         // no usable next hop
        p.send(announce("10.244.9.0/24", "192.168.50.9"));                    // the only good one
        assertTrue(routes.awaitRoute("10.244.9.0/24"));
        assertEquals(1, s.sessions().getFirst().received());
        assertEquals(1L, s.counters().get("routesOutsideNetwork"));
        assertEquals(2L, s.counters().get("routesLooped"));
        assertEquals(1L, s.counters().get("routesOtherFamily"));
        assertEquals(1L, s.counters().get("routesBadNextHop"));
        assertEquals(List.of("changed 10.244.9.0/24 via 192.168.50.9 from " + b), routes.events());
    }

    @Test
    void afterARestartStaleRoutesGoWithTheEndOfRibAndTheOthersStay() throws Exception {
        RecordingRoutes routes = new RecordingRoutes();
        speakerForScriptedPeer(routes);
        ScriptedPeer p = scripted();
        p.establish(ScriptedPeer.open(64512, b, 90, restart(30, true)));
        readUntilEndOfRib(p);
        p.send(announce("10.244.5.0/24", "192.168.50.5"));
        p.send(announce("10.244.6.0/24", "192.168.50.5"));
        assertTrue(routes.await(r -> r.size() == 2));
        p.close(); // the peer restarts: its TCP connection ends without a NOTIFICATION

        ScriptedPeer again = scripted();
        again.establish(ScriptedPeer.open(64512, b, 90, restart(30, true)));
        readUntilEndOfRib(again);
        again.send(announce("10.244.5.0/24", "192.168.50.5"));
        again.send(BgpUpdate.END_OF_RIB_IPV4);
        assertTrue(routes.awaitGone("10.244.6.0/24"));
        assertEquals(List.of("changed 10.244.5.0/24 via 192.168.50.5 from " + b,
            "changed 10.244.6.0/24 via 192.168.50.5 from " + b, "withdrawn 10.244.6.0/24"), routes.events(),
            "10.244.5.0/24 stayed programmed throughout");
        assertFalse(routes.get("10.244.5.0/24").stale());
    }

    @Test
    void aNewOpenFromAnEstablishedPeerIsItsRestartEvenWhenOurIdentifierIsHigher() throws Exception {
        RecordingRoutes routes = new RecordingRoutes();
        BgpSpeaker s = speakerForScriptedPeer(routes);
        ScriptedPeer p = scripted();
        // BGP identifier 1.1.1.1 is lower than ours: a collision alone would keep our side's connection
        p.establish(ScriptedPeer.open(64512, "1.1.1.1", 90, restart(30, true)));
        readUntilEndOfRib(p);
        p.send(announce("10.244.5.0/24", "192.168.50.5"));
        p.send(announce("10.244.6.0/24", "192.168.50.5"));
        assertTrue(routes.await(r -> r.size() == 2));

        // the peer restarted without its old connection ever closing (a half-open TCP connection)
        ScriptedPeer again = scripted();
        again.establish(ScriptedPeer.open(64512, "1.1.1.1", 90, restart(30, true)));
        readUntilEndOfRib(again);
        again.send(announce("10.244.5.0/24", "192.168.50.5"));
        again.send(BgpUpdate.END_OF_RIB_IPV4);
        assertTrue(routes.awaitGone("10.244.6.0/24"));
        assertEquals(BgpState.ESTABLISHED, s.sessions().getFirst().state());
        assertEquals(1, s.sessions().getFirst().received());
        assertEquals(List.of("changed 10.244.5.0/24 via 192.168.50.5 from " + b,
            "changed 10.244.6.0/24 via 192.168.50.5 from " + b, "withdrawn 10.244.6.0/24"), routes.events());
    }

    @Test
    void aPeerWithoutGracefulRestartLosesItsRoutesWhenItsSessionEnds() throws Exception {
        RecordingRoutes routes = new RecordingRoutes();
        speakerForScriptedPeer(routes);
        ScriptedPeer p = scripted();
        p.establish(ScriptedPeer.open(64512, b, 90));
        readUntilEndOfRib(p);
        p.send(announce("10.244.5.0/24", "192.168.50.5"));
        assertTrue(routes.awaitRoute("10.244.5.0/24"));
        p.close();
        assertTrue(routes.awaitGone("10.244.5.0/24"));
    }

    @Test
    void aWrongPeerAsAndAStrangerAreRefused() throws Exception {
        BgpSpeaker s = speakerForScriptedPeer(new RecordingRoutes());
        ScriptedPeer p = scripted();
        p.send(ScriptedPeer.open(64999, b, 90));
        p.read(); // its OPEN
        BgpNotification n = p.readNotificationAndClose();
        assertEquals("2/2", n.codes());
        assertEquals("fde7", HexFormat.of().formatHex(n.data()), "the My AS field received (RFC 4271 §6.2)");

        ScriptedPeer stranger = ScriptedPeer.connect("127.19.0.77", a, port);
        closing.add(stranger);
        assertEquals("6/5", stranger.readNotificationAndClose().codes(), "Cease / Connection Rejected (RFC 4486)");
        assertEquals(1L, s.counters().get("connectionsRejected"));
    }

    @Test
    void messagesOutOfOrderAreFsmErrors() throws Exception {
        speakerForScriptedPeer(new RecordingRoutes());
        ScriptedPeer p = scripted();
        p.read(); // its OPEN
        p.send(BgpKeepalive.INSTANCE); // before our OPEN: RFC 6608 subcode 1 (OpenSent)
        assertEquals("5/1", p.readNotificationAndClose().codes());
    }
}
