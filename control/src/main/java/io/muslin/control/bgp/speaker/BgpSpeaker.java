package io.muslin.control.bgp.speaker;

import io.muslin.control.bgp.Bgp;
import io.muslin.control.bgp.BgpCapability;
import io.muslin.control.bgp.BgpEncoder;
import io.muslin.control.bgp.BgpNotification;
import io.muslin.control.bgp.BgpOpen;
import io.muslin.control.bgp.BgpPathAttributes;
import io.muslin.control.bgp.BgpPrefix;
import io.muslin.control.bgp.BgpUpdate;
import io.muslin.dataplane.packet.Ipv4Address;
import io.muslin.dataplane.packet.Ipv4Prefix;
import io.muslin.dataplane.packet.MacAddress;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A BGP-4 speaker for a muslin node: it announces the node's pod blocks with the node's
 * address as next hop (and, for VXLAN, its VTEP MAC as a Router's MAC extended community,
 * RFC 9135 §8.1), learns the other nodes' blocks from its peers (route reflectors, or every
 * other node), and tells a {@link BgpRouteListener} the best route of each.
 *
 * <p>What it says in OPEN: version 4, its AS (AS_TRANS above 65535), the hold time, the router
 * id; capabilities multiprotocol IPv4 unicast (RFC 4760), route refresh (RFC 2918), 4-octet AS
 * (RFC 6793) and graceful restart with no address family (RFC 4724: it helps restarting peers
 * but keeps no routes of its own across a restart). It decodes IPv6 unicast too, and counts the
 * routes it ignores; it will announce IPv6 once the dataplane forwards it.
 *
 * <p>What it announces: ORIGIN IGP, AS_PATH empty to iBGP peers ({@code [AS]} to eBGP ones),
 * NEXT_HOP the router id, LOCAL_PREF 100 (iBGP), the Router's MAC when there is one, then
 * End-of-RIB. On {@link #close} it withdraws them and sends Cease / Administrative Shutdown
 * (RFC 4486) to every peer.
 *
 * <p>Threads: one event loop ({@code muslin-bgp}, or one of a group the caller passes) runs
 * every connection, timer and route of this speaker; {@link #sessions} and {@link #counters}
 * read snapshots from any thread.
 */
public final class BgpSpeaker implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(BgpSpeaker.class);
    private static final long CLOSE_WAIT_MILLIS = 3000;
    /** Prefixes per UPDATE: 4 octets each at most (a /24), well inside 4096 octets with the attributes. */
    private static final int PREFIXES_PER_UPDATE = 900;

    /**
     * One route this node announces.
     *
     * @param prefix     its pod block
     * @param routersMac its VTEP MAC (VXLAN), or {@link MacAddress#NONE}
     */
    public record OwnRoute(Ipv4Prefix prefix, long routersMac) {
        public OwnRoute {
            Objects.requireNonNull(prefix, "prefix");
        }
    }

    private final BgpSettings settings;
    private final List<OwnRoute> own;
    private final Set<Ipv4Prefix> ownPrefixes;
    private final EventLoopGroup ownGroup;
    private final EventLoop loop;
    private final LocRib rib;
    private final Map<Integer, BgpPeer> peers = new HashMap<>();
    private final AtomicLongArray counters = new AtomicLongArray(BgpCounter.values().length);
    private final BgpOpen open;
    private Channel server;
    private volatile boolean closed;

    /**
     * A speaker on an event loop of its own ({@code muslin-bgp}).
     *
     * @param own      the routes this node announces (its pod blocks)
     * @param listener told of every best-route change, on the event loop
     */
    public BgpSpeaker(BgpSettings settings, List<OwnRoute> own, BgpRouteListener listener) {
        this(settings, own, listener, null);
    }

    /** A speaker on one loop of {@code group} (the caller's: many speakers can share it), or of its own when null. */
    public BgpSpeaker(BgpSettings settings, List<OwnRoute> own, BgpRouteListener listener, EventLoopGroup group) {
        this.settings = Objects.requireNonNull(settings, "settings");
        this.own = List.copyOf(own);
        this.ownPrefixes = this.own.stream().map(OwnRoute::prefix).collect(Collectors.toUnmodifiableSet());
        this.ownGroup = group == null
            ? new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("muslin-bgp", true), BgpTransport.ioHandlerFactory())
            : null;
        this.loop = (group == null ? ownGroup : group).next();
        this.rib = new LocRib(listener);
        this.open = BgpOpen.of(settings.as(), settings.holdTime(), settings.routerId(), List.of(
            BgpCapability.Multiprotocol.IPV4_UNICAST,
            BgpCapability.RouteRefresh.INSTANCE,
            new BgpCapability.FourOctetAs(settings.as()),
            new BgpCapability.GracefulRestart(0, settings.restartTime(), List.of())));
        for (BgpPeerConfig p : settings.peers()) {
            if (peers.put(p.address(), new BgpPeer(this, p, loop)) != null) {
                throw new IllegalArgumentException("peer " + Ipv4Address.format(p.address()) + " is configured twice");
            }
        }
    }

    /** An event loop group for speakers to share (the benchmark's simulated nodes). */
    public static EventLoopGroup newEventLoopGroup(int threads, String name) {
        return new MultiThreadIoEventLoopGroup(threads, new DefaultThreadFactory(name, true), BgpTransport.ioHandlerFactory());
    }

    /**
     * Listens (unless the settings say not to) on the router id's address and the port, and
     * starts connecting to every peer. Returns once listening.
     *
     * @throws IOException when the port cannot be bound (in use, address not local)
     */
    public void start() throws IOException {
        // peers first, so a connection accepted right after the bind finds its peer started
        onLoop(() -> {
            peers.values().forEach(BgpPeer::start);
            return null;
        });
        if (settings.listen()) {
            ServerBootstrap b = new ServerBootstrap().group(loop, loop).channel(BgpTransport.serverChannel())
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        acceptConnection(ch);
                    }
                });
            InetSocketAddress at = new InetSocketAddress(Ipv4Address.toInet(settings.routerId()), settings.port());
            ChannelFuture f = b.bind(at).awaitUninterruptibly();
            if (!f.isSuccess()) {
                close();
                throw new IOException("BGP cannot listen on " + Ipv4Address.format(settings.routerId()) + ":"
                    + settings.port() + ": " + f.cause().getMessage(), f.cause());
            }
            server = f.channel();
        }
        LOG.info("bgp: as {} router id {}{}, {} peer(s): {}", settings.as(), Ipv4Address.format(settings.routerId()),
            settings.listen() ? " listening on port " + settings.port() : "", peers.size(),
            settings.peers().stream().map(BgpPeerConfig::toString).collect(Collectors.joining(", ")));
    }

    private void acceptConnection(SocketChannel ch) {
        int from = Ipv4Address.fromInet(ch.remoteAddress().getAddress());
        BgpPeer peer = peers.get(from);
        BgpConnection c = peer == null ? null : peer.accepted();
        if (c == null) {
            count(BgpCounter.CONNECTIONS_REJECTED);
            LOG.debug("bgp: refusing a connection from {}, not a configured peer", Ipv4Address.format(from));
            ch.pipeline().addLast(new BgpEncoder());
            ch.writeAndFlush(new BgpNotification(Bgp.ERR_CEASE, Bgp.CEASE_CONNECTION_REJECTED))
                .addListener(ChannelFutureListener.CLOSE);
            return;
        }
        pipeline(ch, c);
    }

    void pipeline(SocketChannel ch, BgpConnection c) {
        ch.pipeline().addLast(c.decoder(), c.encoder(), c);
    }

    BgpSettings settings() {
        return settings;
    }

    BgpOpen open() {
        return open;
    }

    LocRib rib() {
        return rib;
    }

    boolean isOwn(Ipv4Prefix prefix) {
        return ownPrefixes.contains(prefix);
    }

    void count(BgpCounter c) {
        counters.incrementAndGet(c.ordinal());
    }

    void count(BgpCounter c, int n) {
        counters.addAndGet(c.ordinal(), n);
    }

    /** Announces our routes on an established connection, then End-of-RIB; returns how many. */
    int sendOwnRoutes(BgpConnection c) {
        boolean ebgp = c.received().as() != settings.as();
        Map<Long, List<BgpPrefix>> byMac = new HashMap<>();
        for (OwnRoute r : own) {
            byMac.computeIfAbsent(r.routersMac(), m -> new ArrayList<>()).add(BgpPrefix.of(r.prefix()));
        }
        for (Map.Entry<Long, List<BgpPrefix>> e : byMac.entrySet()) {
            BgpPathAttributes.Builder a = BgpPathAttributes.builder().origin(Bgp.ORIGIN_IGP)
                .asPath(ebgp ? List.of(BgpPathAttributes.AsPathSegment.sequence(settings.as())) : List.of())
                .nextHop(settings.routerId());
            if (!ebgp) {
                a.localPref(BgpRoute.DEFAULT_LOCAL_PREF);
            }
            if (e.getKey() != MacAddress.NONE) {
                a.extendedCommunity(BgpPathAttributes.routersMacCommunity(e.getKey()));
            }
            BgpPathAttributes attrs = a.build();
            for (List<BgpPrefix> chunk : chunks(e.getValue())) {
                c.write(new BgpUpdate(List.of(), attrs, chunk));
            }
        }
        c.write(BgpUpdate.END_OF_RIB_IPV4);
        return own.size();
    }

    /** Withdraws our routes on an established connection (at shutdown). */
    void withdrawOwnRoutes(BgpConnection c) {
        for (List<BgpPrefix> chunk : chunks(own.stream().map(r -> BgpPrefix.of(r.prefix())).toList())) {
            c.write(new BgpUpdate(chunk, BgpPathAttributes.NONE, List.of()));
        }
    }

    private static List<List<BgpPrefix>> chunks(List<BgpPrefix> all) {
        List<List<BgpPrefix>> out = new ArrayList<>();
        for (int i = 0; i < all.size(); i += PREFIXES_PER_UPDATE) {
            out.add(all.subList(i, Math.min(all.size(), i + PREFIXES_PER_UPDATE)));
        }
        return out;
    }

    /**
     * Every peer's session, in configuration order. Any thread: read on the event loop, so it
     * agrees with every route change told so far (after {@link #close}, the last state).
     */
    public List<BgpSessionStatus> sessions() {
        java.util.function.Supplier<List<BgpSessionStatus>> read = () -> {
            List<BgpSessionStatus> out = new ArrayList<>();
            for (BgpPeerConfig p : settings.peers()) {
                out.add(peers.get(p.address()).status());
            }
            return out;
        };
        return closed || loop.isShuttingDown() ? read.get() : onLoop(read);
    }

    /** Every counter by its name, in {@link BgpCounter} order. Any thread. */
    public Map<String, Long> counters() {
        Map<String, Long> out = new java.util.LinkedHashMap<>();
        for (BgpCounter c : BgpCounter.values()) {
            out.put(c.counterName(), counters.get(c.ordinal()));
        }
        return out;
    }

    /** The best route for {@code prefix} now (for tests), read on the event loop. */
    public BgpRoute route(Ipv4Prefix prefix) {
        return onLoop(() -> rib.best(prefix));
    }

    private <T> T onLoop(java.util.function.Supplier<T> what) {
        if (loop.inEventLoop()) {
            return what.get();
        }
        CompletableFuture<T> f = new CompletableFuture<>();
        loop.execute(() -> f.complete(what.get()));
        try {
            return f.get(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Withdraws our routes from every established session, sends Cease / Administrative
     * Shutdown to every peer, waits (up to 3 s) for the connections to close, then stops.
     * Idempotent.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (!loop.isShuttingDown()) {
            List<ChannelFuture> closing = onLoop(() -> {
                List<ChannelFuture> all = new ArrayList<>();
                peers.values().forEach(p -> all.addAll(p.stop()));
                if (server != null) {
                    all.add(server.close());
                }
                return all;
            });
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(CLOSE_WAIT_MILLIS);
            for (ChannelFuture f : closing) {
                long left = deadline - System.nanoTime();
                if (left > 0) {
                    f.awaitUninterruptibly(left, TimeUnit.NANOSECONDS);
                }
            }
        }
        if (ownGroup != null) {
            ownGroup.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
        }
    }
}
