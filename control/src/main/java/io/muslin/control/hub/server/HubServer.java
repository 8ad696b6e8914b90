package io.muslin.control.hub.server;

import io.muslin.control.hub.protocol.HubFrames;
import io.muslin.control.hub.protocol.HubTransport;
import io.muslin.control.store.LeaseStore;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.ssl.ReferenceCountedOpenSslContext;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import javax.net.ssl.SSLSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The hub: serves leases to nodes over TCP (TLS with client certificates unless configured
 * insecure), backed by a {@link LeaseStore} (the embedded one, or etcd).
 *
 * <p>Threads: one acceptor and a few I/O threads (Netty); {@link Settings#storeThreads} threads
 * for store calls, which may block (etcd, fsync); the store's watch thread, which feeds
 * {@link HubView} and fans changes out. The hub holds no lease state of its own beyond that
 * view: a restarted hub (or a second hub on the same etcd) lists the store again.
 */
public final class HubServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(HubServer.class);

    /**
     * @param listen         the address to listen on
     * @param ssl            a server context requiring client certificates, or null for an
     *                       insecure (plaintext) hub
     * @param identityOf     reads a node's identity from its verified TLS session (TLS only)
     * @param heartbeat      a Ping is sent after this much quiet; three times it with nothing
     *                       received ends a session
     * @param historySize    changes kept so reconnecting nodes resume instead of re-listing
     * @param storeThreads   threads for store calls
     * @param maxQueuedBytes a session with more than this waiting to be written is closed
     */
    public record Settings(InetSocketAddress listen, SslContext ssl, Function<SSLSession, NodeIdentity> identityOf,
                           Duration heartbeat, int historySize, int storeThreads, long maxQueuedBytes) {
        public static final Duration DEFAULT_HEARTBEAT = Duration.ofSeconds(10);
        public static final int DEFAULT_HISTORY = 10_000;

        public Settings {
            Objects.requireNonNull(listen, "listen");
            Objects.requireNonNull(heartbeat, "heartbeat");
            if (ssl != null) {
                Objects.requireNonNull(identityOf, "identityOf (required with TLS)");
            }
        }

        public static Settings insecure(InetSocketAddress listen) {
            return new Settings(listen, null, null, DEFAULT_HEARTBEAT, DEFAULT_HISTORY, 4, 64L << 20);
        }

        /** TLS with client certificates: a node is its certificate's name and addresses ({@link NodeIdentity#of}). */
        public static Settings tls(InetSocketAddress listen, SslContext ssl) {
            return new Settings(listen, ssl, NodeIdentity::of, DEFAULT_HEARTBEAT, DEFAULT_HISTORY, 4, 64L << 20);
        }

        public Settings withHeartbeat(Duration newHeartbeat) {
            return new Settings(listen, ssl, identityOf, newHeartbeat, historySize, storeThreads, maxQueuedBytes);
        }

        public Settings withHistorySize(int newSize) {
            return new Settings(listen, ssl, identityOf, heartbeat, newSize, storeThreads, maxQueuedBytes);
        }
    }

    private final Settings settings;
    private final LeaseStore store;
    private final HubStats stats = new HubStats();
    private final HubView view;
    private final HubPolicy policy;
    private final EventLoopGroup group;
    private final ChannelGroup sessions;
    private final ExecutorService storeOps;
    private final LeaseStore.Watch watch;
    private final Channel server;

    private HubServer(Settings settings, LeaseStore store) throws IOException {
        this.settings = settings;
        this.store = store;
        ByteBufAllocator alloc = PooledByteBufAllocator.DEFAULT;
        this.view = new HubView(alloc, settings.historySize(), stats);
        LeaseStore.Snapshot snapshot = store.list();
        view.load(snapshot);
        this.policy = new HubPolicy(store, view);
        this.watch = store.watch(snapshot.revision() + 1, view);
        this.storeOps = Executors.newFixedThreadPool(settings.storeThreads(), new DefaultThreadFactory("muslin-hub-store", true));
        this.group = new MultiThreadIoEventLoopGroup(0, new DefaultThreadFactory("muslin-hub-io", true), HubTransport.ioHandlerFactory());
        this.sessions = new DefaultChannelGroup("muslin-hub-sessions", group.next());
        boolean bound = false;
        try {
            long heartbeatMs = settings.heartbeat().toMillis();
            this.server = new ServerBootstrap()
                .group(group)
                .channel(HubTransport.serverChannel())
                .option(ChannelOption.SO_BACKLOG, 4096)
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childOption(ChannelOption.ALLOCATOR, alloc)
                .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, new WriteBufferWaterMark(1 << 20, 4 << 20))
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        sessions.add(ch);
                        if (settings.ssl() != null) {
                            ch.pipeline().addLast("tls", settings.ssl().newHandler(ch.alloc()));
                        }
                        ch.pipeline()
                            .addLast("idle", new IdleStateHandler(3 * heartbeatMs, heartbeatMs, 0, TimeUnit.MILLISECONDS))
                            .addLast("frames", new HubFrames.Decoder(HubFrames.MAX_NODE_FRAME))
                            .addLast("encoder", HubFrames.Encoder.INSTANCE)
                            .addLast("session", new HubSession(view, store, policy, storeOps, stats, settings.identityOf(),
                                settings.maxQueuedBytes(), settings.heartbeat()));
                    }
                })
                .bind(settings.listen()).syncUninterruptibly().channel();
            bound = true;
        } catch (RuntimeException e) {
            throw new IOException("hub: cannot listen on " + settings.listen() + ": " + e.getMessage(), e);
        } finally {
            if (!bound) {
                watch.close();
                storeOps.shutdownNow();
                group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            }
        }
        group.next().scheduleAtFixedRate(this::report, REPORT_EVERY.toSeconds(), REPORT_EVERY.toSeconds(), TimeUnit.SECONDS);
        LOG.info("hub listening on {} ({}), {} lease(s) at revision {}", server.localAddress(),
            settings.ssl() == null ? "INSECURE: plaintext, no authentication"
                : "TLS (" + (settings.ssl() instanceof ReferenceCountedOpenSslContext ? "OpenSSL" : "JDK")
                + " engine), client certificates required",
            view.size(), view.revision());
    }

    /** How often the hub logs its state, when something changed since the last time. */
    static final Duration REPORT_EVERY = Duration.ofMinutes(1);
    private Map<String, Long> reported = Map.of();

    /** One INFO line a minute while things change: sessions, leases, revision, counters. */
    private void report() {
        Map<String, Long> now = stats.values();
        if (!now.equals(reported)) {
            reported = now;
            LOG.info("hub: {} session(s) watching, {} lease(s) at revision {}; {}", view.subscribers(), view.size(),
                view.revision(), now);
        }
    }

    /** Lists {@code store}, follows it, and listens. The store stays the caller's to close. */
    public static HubServer start(Settings settings, LeaseStore store) throws IOException {
        return new HubServer(settings, store);
    }

    /** The address the hub listens on (with the port chosen when 0 was asked for). */
    public InetSocketAddress address() {
        return (InetSocketAddress) server.localAddress();
    }

    public HubStats stats() {
        return stats;
    }

    /** Sessions that follow changes now. */
    public int watchers() {
        return view.subscribers();
    }

    /**
     * Bytes waiting to be sent to sessions, over all sessions: in their outputs (shared chunks
     * counted once per session) and in their channels (for tests and reports; asks each
     * session's event loop).
     */
    public long queuedBytes() {
        long n = 0;
        for (Channel ch : sessions) {
            try {
                n += ch.eventLoop().submit(() -> {
                    ChannelOutboundBuffer out = ch.unsafe().outboundBuffer();
                    HubSession session = ch.pipeline().get(HubSession.class);
                    return (out == null ? 0 : out.totalPendingWriteBytes()) + (session == null ? 0 : session.outputBytes());
                }).get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return n;
            } catch (java.util.concurrent.ExecutionException e) {
                // the channel closed meanwhile
            }
        }
        return n;
    }

    /** The revision of the latest change the hub has seen. */
    public long revision() {
        return view.revision();
    }

    /**
     * Stops listening, lets store calls under way finish (a few seconds at most), ends every
     * session and stops following the store.
     */
    @Override
    public void close() {
        server.close().syncUninterruptibly();
        watch.close();
        storeOps.shutdown();
        try {
            if (!storeOps.awaitTermination(5, TimeUnit.SECONDS)) {
                LOG.warn("hub: store calls still running after 5 s; stopping anyway");
                storeOps.shutdownNow();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            storeOps.shutdownNow();
        }
        sessions.close().awaitUninterruptibly(2, TimeUnit.SECONDS);
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
        view.close();
        LOG.info("hub stopped");
    }
}
