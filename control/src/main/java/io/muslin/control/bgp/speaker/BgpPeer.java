package io.muslin.control.bgp.speaker;

import io.muslin.control.bgp.Bgp;
import io.muslin.control.bgp.BgpCapability;
import io.muslin.control.bgp.BgpNotification;
import io.muslin.control.bgp.BgpOpen;
import io.muslin.control.bgp.BgpPathAttributes;
import io.muslin.control.bgp.BgpPrefix;
import io.muslin.control.bgp.BgpRouteRefresh;
import io.muslin.control.bgp.BgpUpdate;
import io.muslin.dataplane.packet.Ipv4Address;
import io.muslin.dataplane.packet.Ipv4Prefix;
import io.muslin.dataplane.table.Family;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.ScheduledFuture;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One configured neighbor: its connections (ours to it, its to us, and the one that won), its
 * routes (the Adj-RIB-In), its graceful restart, and reconnecting with back-off. Everything
 * here runs on the speaker's event loop; {@link #status} is the snapshot other threads read.
 *
 * <p><b>Connecting.</b> We connect, and accept the peer's connection too; when both reach
 * OpenConfirm the one initiated by the higher BGP identifier stays (RFC 4271 §6.8) and the
 * other gets Cease / Connection Collision Resolution. After a failure we wait 1 s, doubling to
 * 30 s (with a quarter of jitter); a session that lasted less than a minute does not reset the
 * pause, so a peer that drops us at once is not hammered.
 *
 * <p><b>Routes.</b> An UPDATE's withdrawals and announcements change the Adj-RIB-In and, through
 * {@link LocRib}, the best routes. Treat-as-withdraw UPDATEs (RFC 7606) withdraw what they
 * announce. Announcements are dropped and counted when outside the cluster network, of a family
 * muslin does not route (IPv6 for now), or looping back to us (our next hop, our router id as
 * ORIGINATOR_ID (RFC 4456 §8), our AS on an eBGP path); a 0.0.0.0 or multicast next hop is
 * treated as a withdrawal (RFC 4271 §6.3).
 *
 * <p><b>Graceful restart</b> (RFC 4724, as the receiving speaker). When an established session
 * ends and the peer had announced graceful restart for IPv4 unicast, its routes stay, marked
 * stale, for the restart time it announced, and go when it runs out; a new session that says
 * it kept no forwarding state (F bit clear) ends them at once, else they go when its End-of-RIB
 * arrives (or the time runs out again). muslin keeps them also after a session it ended itself
 * with a NOTIFICATION (the dataplane goes on forwarding, as RFC 8538 allows), but not after a
 * Hard Reset. A peer without the capability loses its routes when its session ends. A new OPEN
 * from a peer with the capability while its session is established is its restart (§4.2): the
 * old session ends as above and the new connection is taken, whatever §6.8 would say.
 */
final class BgpPeer {
    private static final Logger LOG = LoggerFactory.getLogger(BgpPeer.class);
    /** A session shorter than this does not reset the reconnect back-off. */
    static final Duration STABLE_SESSION = Duration.ofSeconds(60);

    private final BgpSpeaker speaker;
    private final BgpPeerConfig config;
    private final EventLoop loop;
    private final String name;
    private final Map<Ipv4Prefix, BgpRoute> adjRibIn = new HashMap<>();
    private BgpConnection outgoing;
    private BgpConnection incoming;
    private BgpConnection established;
    private BgpCapability.GracefulRestart peerRestart;
    private ScheduledFuture<?> retry;
    private ScheduledFuture<?> staleTimer;
    private long backoffMillis;
    private boolean stopped = true;
    private int sent;
    private String lastError;
    private BgpState state = BgpState.IDLE;
    private Instant since = Instant.now();
    private volatile BgpSessionStatus status;

    BgpPeer(BgpSpeaker speaker, BgpPeerConfig config, EventLoop loop) {
        this.speaker = speaker;
        this.config = config;
        this.loop = loop;
        this.name = Ipv4Address.format(config.address());
        this.backoffMillis = speaker.settings().connectRetry().toMillis();
        publish();
    }

    BgpPeerConfig config() {
        return config;
    }

    BgpSessionStatus status() {
        return status;
    }

    int holdTime() {
        return speaker.settings().holdTime();
    }

    BgpOpen open() {
        return speaker.open();
    }

    void count(BgpCounter c) {
        speaker.count(c);
    }

    // ------------------------------------------------------------------ connecting

    /** Starts connecting (event loop). */
    void start() {
        stopped = false;
        connect();
    }

    private void connect() {
        retry = null;
        if (stopped || outgoing != null || established != null) {
            return;
        }
        BgpConnection c = new BgpConnection(this, true);
        outgoing = c;
        setState(BgpState.CONNECT);
        Bootstrap b = new Bootstrap().group(loop).channel(BgpTransport.socketChannel())
            .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 5000)
            .option(ChannelOption.TCP_NODELAY, true)
            .handler(new io.netty.channel.ChannelInitializer<io.netty.channel.socket.SocketChannel>() {
                @Override
                protected void initChannel(io.netty.channel.socket.SocketChannel ch) {
                    speaker.pipeline(ch, c);
                }
            });
        ChannelFuture f = b.connect(new InetSocketAddress(Ipv4Address.toInet(config.address()), config.port()),
            new InetSocketAddress(Ipv4Address.toInet(speaker.settings().routerId()), 0));
        f.addListener(done -> {
            if (!done.isSuccess()) {
                if (outgoing == c) {
                    outgoing = null;
                }
                lastError = "connect: " + describe(done.cause());
                LOG.debug("bgp {}: {}", name, lastError);
                scheduleRetry();
            }
        });
    }

    private void scheduleRetry() {
        // no new attempt while a connection is up or the peer's own is past its OPEN
        if (stopped || retry != null || established != null || outgoing != null
            || incoming != null && incoming.received() != null) {
            refreshState();
            return;
        }
        long max = speaker.settings().maxConnectRetry().toMillis();
        long delay = backoffMillis + ThreadLocalRandom.current().nextLong(backoffMillis / 4 + 1);
        backoffMillis = Math.min(max, backoffMillis * 2);
        retry = loop.schedule(this::connect, delay, TimeUnit.MILLISECONDS);
        refreshState();
    }

    /** An accepted connection from this peer's address (event loop): it runs alongside ours until a collision decides. */
    BgpConnection accepted() {
        if (stopped) {
            return null;
        }
        BgpConnection old = incoming;
        BgpConnection c = new BgpConnection(this, false);
        incoming = c;
        if (old != null && old.state() != BgpState.ESTABLISHED) {
            old.fail(new BgpNotification(Bgp.ERR_CEASE, Bgp.CEASE_COLLISION_RESOLUTION), "a newer connection came");
        }
        return c;
    }

    // ------------------------------------------------------------------ FSM events from connections

    void connected(BgpConnection c) {
        refreshState();
    }

    /** Why an OPEN is refused. */
    record Refusal(BgpNotification notification, String reason) {
    }

    /** Checks the peer's OPEN (RFC 4271 §6.2) and resolves a collision (§6.8); null: accepted. */
    Refusal openReceived(BgpConnection c, BgpOpen open) {
        if (open.as() != config.as()) {
            byte[] myAs = {(byte) (open.myAs() >>> 8), (byte) open.myAs()};
            return new Refusal(new BgpNotification(Bgp.ERR_OPEN, Bgp.ERR_OPEN_BAD_PEER_AS, myAs),
                "peer says AS " + open.as() + " (configured: " + config.as() + ")");
        }
        if (open.bgpId() == speaker.settings().routerId()) {
            return new Refusal(new BgpNotification(Bgp.ERR_OPEN, Bgp.ERR_OPEN_BAD_BGP_ID),
                "peer's BGP identifier " + Ipv4Address.format(open.bgpId()) + " is ours");
        }
        if (!open.supports(Bgp.AFI_IPV4, Bgp.SAFI_UNICAST)) {
            return new Refusal(new BgpNotification(Bgp.ERR_OPEN, Bgp.ERR_OPEN_UNSUPPORTED_CAPABILITY,
                new byte[] {Bgp.CAP_MULTIPROTOCOL, 4, 0, Bgp.AFI_IPV4, 0, Bgp.SAFI_UNICAST}),
                "peer does not do IPv4 unicast");
        }
        if (established != null && established != c && !c.outbound() && open.gracefulRestart().isPresent()) {
            // RFC 4724 §4.2: a new OPEN from a peer that can restart gracefully, while its session is
            // established, means it restarted; the old session is over (its routes go stale) and the new one counts
            BgpConnection old = established;
            established = null;
            sent = 0;
            sessionDown(old, "the peer restarted (a new OPEN while established, RFC 4724 §4.2)");
            old.close("replaced by the peer's new connection");
            if (outgoing == old) {
                outgoing = null;
            }
        }
        BgpConnection other = established != null && established != c ? established
            : c == outgoing ? incoming : outgoing;
        if (other != null && other.received() != null) {
            // RFC 4271 §6.8: keep the connection initiated by the speaker with the higher BGP identifier. We
            // apply it to an established connection too (the RFC keeps that one "unless allowed via
            // configuration"): both ends then choose the same connection even when one end reached
            // Established on the other connection first, instead of each closing a different one.
            boolean keepOurs = Integer.compareUnsigned(speaker.settings().routerId(), open.bgpId()) > 0;
            boolean cIsOurs = c.outbound();
            count(BgpCounter.COLLISIONS);
            if (keepOurs != cIsOurs) {
                return new Refusal(new BgpNotification(Bgp.ERR_CEASE, Bgp.CEASE_COLLISION_RESOLUTION),
                    "connection collision: the connection initiated by the higher BGP identifier stays");
            }
            other.fail(new BgpNotification(Bgp.ERR_CEASE, Bgp.CEASE_COLLISION_RESOLUTION),
                "connection collision: the connection initiated by the higher BGP identifier stays");
        }
        return null;
    }

    void stateChanged() {
        refreshState();
    }

    void established(BgpConnection c) {
        established = c;
        BgpConnection other = c == outgoing ? incoming : outgoing;
        if (other != null) {
            other.fail(new BgpNotification(Bgp.ERR_CEASE, Bgp.CEASE_COLLISION_RESOLUTION), "the other connection is established");
        }
        if (retry != null) {
            retry.cancel(false);
            retry = null;
        }
        count(BgpCounter.SESSIONS_ESTABLISHED);
        lastError = null;
        BgpOpen open = c.received();
        peerRestart = open.gracefulRestart().orElse(null);
        if (staleCount() > 0) {
            BgpCapability.GracefulRestart gr = peerRestart;
            boolean kept = gr != null && gr.families().stream().anyMatch(f -> f.afi() == Bgp.AFI_IPV4
                && f.safi() == Bgp.SAFI_UNICAST && (f.flags() & Bgp.GR_FORWARDING_PRESERVED) != 0);
            if (!kept) {
                removeStale("the new session kept no forwarding state");
            } else {
                armStaleTimer(Math.max(1, gr.restartTime()));
            }
        }
        LOG.info("bgp {}: session established (as {}, hold time {} s{})", name, config.as(), c.holdTime(),
            peerRestart != null ? ", graceful restart " + peerRestart.restartTime() + " s" : "");
        sent = speaker.sendOwnRoutes(c);
        refreshState();
    }

    void refreshRequested(BgpConnection c, BgpRouteRefresh r) {
        if (r.afi() == Bgp.AFI_IPV4 && r.safi() == Bgp.SAFI_UNICAST) {
            sent = speaker.sendOwnRoutes(c);
        }
    }

    /** A connection is about to close for {@code reason}: shown at once as the last error if it matters. */
    void ending(BgpConnection c, String reason) {
        if (c == established || established == null) {
            lastError = reason;
            publish();
        }
    }

    void closed(BgpConnection c, BgpState was, String reason) {
        if (c == outgoing) {
            outgoing = null;
        }
        if (c == incoming) {
            incoming = null;
        }
        if (c == established) {
            established = null;
            sent = 0;
            sessionDown(c, reason);
        } else if (was.compareTo(BgpState.OPEN_SENT) >= 0 || lastError == null) {
            lastError = reason;
        }
        if (established == null) {
            LOG.debug("bgp {}: connection closed in {}: {}", name, was, reason);
        }
        scheduleRetry();
    }

    private void sessionDown(BgpConnection c, String reason) {
        lastError = reason;
        long lasted = System.nanoTime() - c.establishedNanos();
        if (lasted >= STABLE_SESSION.toNanos()) {
            backoffMillis = speaker.settings().connectRetry().toMillis();
        }
        BgpCapability.GracefulRestart gr = peerRestart;
        BgpNotification n = c.notification();
        boolean hardReset = n != null && n.code() == Bgp.ERR_CEASE && n.subcode() == Bgp.CEASE_HARD_RESET;
        boolean retain = !stopped && !hardReset && gr != null && gr.covers(Bgp.AFI_IPV4, Bgp.SAFI_UNICAST)
            && gr.restartTime() > 0 && !adjRibIn.isEmpty();
        if (retain) {
            for (Map.Entry<Ipv4Prefix, BgpRoute> e : adjRibIn.entrySet()) {
                BgpRoute stale = e.getValue().asStale();
                e.setValue(stale);
                speaker.rib().put(stale);
            }
            armStaleTimer(gr.restartTime());
            LOG.warn("bgp {}: session down ({}); keeping its {} route(s) for {} s (graceful restart)", name, reason,
                adjRibIn.size(), gr.restartTime());
        } else {
            if (!stopped) {
                LOG.warn("bgp {}: session down ({}); withdrawing its {} route(s)", name, reason, adjRibIn.size());
            }
            removeAll();
        }
    }

    private void armStaleTimer(int seconds) {
        if (staleTimer != null) {
            staleTimer.cancel(false);
        }
        staleTimer = loop.schedule(() -> {
            staleTimer = null;
            removeStale("graceful restart time ran out");
        }, seconds, TimeUnit.SECONDS);
    }

    private int staleCount() {
        int n = 0;
        for (BgpRoute r : adjRibIn.values()) {
            if (r.stale()) {
                n++;
            }
        }
        return n;
    }

    private void removeStale(String why) {
        List<Ipv4Prefix> gone = new ArrayList<>();
        adjRibIn.forEach((p, r) -> {
            if (r.stale()) {
                gone.add(p);
            }
        });
        for (Ipv4Prefix p : gone) {
            adjRibIn.remove(p);
            count(BgpCounter.STALE_ROUTES_REMOVED);
            speaker.rib().remove(config.address(), p);
        }
        if (staleTimer != null) {
            staleTimer.cancel(false);
            staleTimer = null;
        }
        if (!gone.isEmpty()) {
            LOG.info("bgp {}: removed {} stale route(s): {}", name, gone.size(), why);
        }
        publish();
    }

    private void removeAll() {
        for (Ipv4Prefix p : List.copyOf(adjRibIn.keySet())) {
            speaker.rib().remove(config.address(), p);
        }
        adjRibIn.clear();
        if (staleTimer != null) {
            staleTimer.cancel(false);
            staleTimer = null;
        }
    }

    // ------------------------------------------------------------------ routes

    void update(BgpConnection c, BgpUpdate u) {
        if (u.discarded() > 0) {
            speaker.count(BgpCounter.ATTRIBUTES_DISCARDED, u.discarded());
        }
        int[] eor = u.endOfRib();
        if (eor != null) {
            if (eor[0] == Bgp.AFI_IPV4 && eor[1] == Bgp.SAFI_UNICAST && staleCount() > 0) {
                removeStale("End-of-RIB received");
            }
            return;
        }
        for (BgpPrefix p : u.withdrawnAll()) {
            if (p.family() == Family.IPV4) {
                withdraw(p.toIpv4());
            }
        }
        if (u.malformed() != null) {
            count(BgpCounter.TREAT_AS_WITHDRAW);
            LOG.warn("bgp {}: UPDATE treated as withdraw (RFC 7606): {}", name, u.malformed());
            for (BgpPrefix p : u.announced()) {
                if (p.family() == Family.IPV4) {
                    withdraw(p.toIpv4());
                }
            }
            publish();
            return;
        }
        BgpPathAttributes a = u.attributes();
        for (BgpPrefix p : u.nlri()) {
            announce(p.toIpv4(), a, a.nextHop());
        }
        BgpPathAttributes.MpReach reach = a.mpReach();
        if (reach != null) {
            for (BgpPrefix p : reach.nlri()) {
                if (p.family() != Family.IPV4) {
                    count(BgpCounter.ROUTES_OTHER_FAMILY);
                } else {
                    announce(p.toIpv4(), a, reach.nextHops().getFirst().ipv4());
                }
            }
        }
        publish();
    }

    private void announce(Ipv4Prefix prefix, BgpPathAttributes a, Integer nextHop) {
        BgpSettings s = speaker.settings();
        if (!s.network().contains(prefix)) {
            count(BgpCounter.ROUTES_OUTSIDE_NETWORK);
            withdraw(prefix);
            return;
        }
        int nh = nextHop == null ? 0 : nextHop;
        int first = nh >>> 24;
        if (nh == 0 || first >= 224) {
            count(BgpCounter.ROUTES_BAD_NEXT_HOP);
            withdraw(prefix);
            return;
        }
        boolean ebgp = config.as() != s.as();
        if (nh == s.routerId() || speaker.isOwn(prefix)
            || a.originatorId() != null && a.originatorId() == s.routerId()
            || ebgp && a.asPath() != null && a.asPath().stream().anyMatch(seg -> seg.asns().contains(s.as()))) {
            count(BgpCounter.ROUTES_LOOPED);
            withdraw(prefix);
            return;
        }
        long localPref = ebgp || a.localPref() == null ? BgpRoute.DEFAULT_LOCAL_PREF : a.localPref();
        BgpRoute r = new BgpRoute(prefix, nh, a.routersMac(), localPref, a.asPathLength(), config.address(), false);
        adjRibIn.put(prefix, r);
        speaker.rib().put(r);
    }

    private void withdraw(Ipv4Prefix prefix) {
        if (adjRibIn.remove(prefix) != null) {
            speaker.rib().remove(config.address(), prefix);
        }
    }

    // ------------------------------------------------------------------ stopping and status

    /** Stops: withdraws our routes from an established session, sends Cease / Administrative Shutdown, closes. */
    List<ChannelFuture> stop() {
        stopped = true;
        if (retry != null) {
            retry.cancel(false);
            retry = null;
        }
        if (staleTimer != null) {
            staleTimer.cancel(false);
            staleTimer = null;
        }
        List<ChannelFuture> closing = new ArrayList<>();
        for (BgpConnection c : new BgpConnection[] {established, outgoing, incoming}) {
            if (c == null || c.channel() == null || closing.contains(c.channel().closeFuture())) {
                continue;
            }
            if (c == established) {
                speaker.withdrawOwnRoutes(c);
            }
            c.fail(new BgpNotification(Bgp.ERR_CEASE, Bgp.CEASE_ADMINISTRATIVE_SHUTDOWN), "muslin is stopping");
            closing.add(c.channel().closeFuture());
        }
        return closing;
    }

    private void refreshState() {
        BgpState now;
        if (established != null) {
            now = BgpState.ESTABLISHED;
        } else {
            BgpState best = stopped ? BgpState.IDLE : BgpState.ACTIVE;
            for (BgpConnection c : new BgpConnection[] {outgoing, incoming}) {
                if (c != null && c.state().compareTo(best) > 0 && c.state() != BgpState.IDLE) {
                    best = c.state();
                }
            }
            now = best;
        }
        setState(now);
    }

    private void setState(BgpState now) {
        if (now != state) {
            state = now;
            since = Instant.now();
        }
        publish();
    }

    private void publish() {
        status = new BgpSessionStatus(config, state, since, adjRibIn.size(), sent, lastError, staleCount());
    }

    private static String describe(Throwable t) {
        return t.getMessage() != null ? t.getMessage() : t.toString();
    }

    @Override
    public String toString() {
        return name;
    }
}
