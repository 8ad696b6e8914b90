package io.muslin.control.hub.client;

import io.muslin.control.hub.protocol.HubFrames;
import io.muslin.control.hub.protocol.HubMessage;
import io.muslin.control.hub.protocol.HubMessage.Hello;
import io.muslin.control.hub.protocol.HubMessage.Ping;
import io.muslin.control.hub.protocol.HubMessage.Reply;
import io.muslin.control.hub.protocol.HubMessage.Status;
import io.muslin.control.hub.protocol.HubMessage.Watch;
import io.muslin.control.hub.protocol.HubMessage.Welcome;
import io.muslin.control.hub.protocol.HubProtocolException;
import io.muslin.control.hub.protocol.HubTransport;
import io.muslin.control.tls.TlsContexts;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.timeout.IdleState;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.LongFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One node's session with a hub, made again whenever it drops: connect, TLS, {@code Hello} /
 * {@code Welcome}; then requests matched to replies by id, and the hub's changes passed on.
 * While no session is up, requests wait (up to their timeout) and a virtual thread tries the
 * hubs in turn with a growing pause.
 */
final class HubConnection {
    private static final Logger LOG = LoggerFactory.getLogger(HubConnection.class);

    private static final long RETRY_PAUSE_MS = 20;
    /** The first pause between reconnection attempts. */
    static final long FIRST_PAUSE_MS = 100;
    /**
     * A session shorter than this did not prove the hub well: the next reconnection goes on
     * with the pause where it was, and waits it before its first attempt, so a hub that accepts
     * and then drops sessions at once is not hammered.
     */
    static final long SHORT_SESSION_MS = 10_000;

    private final HubClientSettings settings;
    private final EventLoopGroup group;
    private final Map<Long, CompletableFuture<Reply>> pending = new ConcurrentHashMap<>();
    private final AtomicLong ids = new AtomicLong();
    private Consumer<HubMessage> onEvent = m -> { };
    private Runnable onSession = () -> { };
    /** The session's channel; null while there is none. Guarded by this. */
    private Channel channel;
    private HubEndpoint endpoint;
    /** The endpoint to try first. */
    private int preferred;
    private boolean reconnecting;
    /** The pause before the next reconnection attempt; grows while sessions stay short. Guarded by this. */
    private long pauseMs = FIRST_PAUSE_MS;
    /** When the session now up began (System.nanoTime), and whether the last one was short. Guarded by this. */
    private long sessionStart;
    private boolean lastSessionShort;
    private volatile boolean closed;

    HubConnection(HubClientSettings settings, EventLoopGroup group) {
        this.settings = settings;
        this.group = group;
    }

    void onEvent(Consumer<HubMessage> handler) {
        this.onEvent = handler;
    }

    void onSession(Runnable handler) {
        this.onSession = handler;
    }

    synchronized boolean connected() {
        return channel != null;
    }

    synchronized String hub() {
        return endpoint == null ? "none" : endpoint.toString();
    }

    /** Opens a session with the first hub that answers, or throws naming each failure. */
    void connect() throws IOException {
        List<HubEndpoint> endpoints = settings.endpoints();
        List<String> failures = new ArrayList<>();
        int start;
        synchronized (this) {
            start = preferred;
        }
        for (int i = 0; i < endpoints.size() && !closed; i++) {
            int index = (start + i) % endpoints.size();
            HubEndpoint e = endpoints.get(index);
            try {
                Channel ch = open(e);
                synchronized (this) {
                    if (closed) {
                        ch.close();
                        throw new IOException("hub connection closed");
                    }
                    channel = ch;
                    endpoint = e;
                    preferred = index;
                    sessionStart = System.nanoTime();
                    notifyAll();
                }
                ch.closeFuture().addListener(f -> lost(ch));
                onSession.run();
                return;
            } catch (IOException ex) {
                failures.add(e + ": " + ex.getMessage());
            }
        }
        throw new IOException("no hub reachable (" + String.join("; ", failures) + ")");
    }

    private Channel open(HubEndpoint e) throws IOException {
        CompletableFuture<Welcome> welcome = new CompletableFuture<>();
        long heartbeatMs = settings.heartbeat().toMillis();
        Bootstrap b = new Bootstrap()
            .group(group)
            .channel(HubTransport.socketChannel())
            .option(ChannelOption.TCP_NODELAY, true)
            .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) settings.connectTimeout().toMillis())
            .handler(new ChannelInitializer<SocketChannel>() {
                @Override
                protected void initChannel(SocketChannel ch) {
                    if (settings.ssl() != null) {
                        ch.pipeline().addLast("tls", TlsContexts.clientHandler(settings.ssl(), ch.alloc(), e.host(), e.port()));
                    }
                    ch.pipeline()
                        .addLast("idle", new IdleStateHandler(3 * heartbeatMs, heartbeatMs, 0, TimeUnit.MILLISECONDS))
                        .addLast("frames", new HubFrames.Decoder())
                        .addLast("encoder", HubFrames.Encoder.INSTANCE)
                        .addLast("session", new Session(welcome));
                }
            });
        long deadline = System.nanoTime() + settings.connectTimeout().toNanos();
        ChannelFuture connected = b.connect(e.host(), e.port());
        Channel ch = connected.channel();
        try {
            if (!connected.awaitUninterruptibly(settings.connectTimeout().toMillis())) {
                throw new IOException("connect timed out after " + settings.connectTimeout().toMillis() + " ms");
            }
            if (!connected.isSuccess()) {
                throw new IOException(message(connected.cause()));
            }
            SslHandler ssl = ch.pipeline().get(SslHandler.class);
            if (ssl != null) {
                var handshake = ssl.handshakeFuture();
                if (!handshake.awaitUninterruptibly(remainingMs(deadline))) {
                    throw new IOException("TLS handshake timed out");
                }
                if (!handshake.isSuccess()) {
                    throw new IOException("TLS handshake failed: " + message(handshake.cause()));
                }
            }
            ch.writeAndFlush(new Hello(HubFrames.VERSION, settings.node()));
            Welcome w = welcome.get(remainingMs(deadline), TimeUnit.MILLISECONDS);
            LOG.debug("hub {}: session as {} at revision {}", e, w.node(), w.revision());
            return ch;
        } catch (TimeoutException ex) {
            ch.close();
            throw new IOException("no Welcome within " + settings.connectTimeout().toMillis() + " ms");
        } catch (ExecutionException ex) {
            ch.close();
            throw new IOException(message(ex.getCause()));
        } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            ch.close();
            throw new IOException("interrupted while connecting");
        } catch (IOException | RuntimeException ex) {
            ch.close();
            throw ex;
        }
    }

    private static long remainingMs(long deadline) {
        return Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime()));
    }

    /** The session on {@code ch} ended: fail its requests and make a new one. */
    private void lost(Channel ch) {
        synchronized (this) {
            if (channel != ch) {
                return;
            }
            channel = null;
            lastSessionShort = System.nanoTime() - sessionStart < TimeUnit.MILLISECONDS.toNanos(SHORT_SESSION_MS);
            if (!lastSessionShort) {
                pauseMs = FIRST_PAUSE_MS;
            }
        }
        IOException cause = new SessionLost("session with hub " + hub() + " lost");
        pending.values().forEach(f -> f.completeExceptionally(cause));
        if (!closed) {
            LOG.warn("hub {}: session lost; reconnecting (the tables stay as they are)", hub());
            reconnect();
        }
    }

    private void reconnect() {
        long firstPause;
        synchronized (this) {
            if (reconnecting || closed) {
                return;
            }
            reconnecting = true;
            firstPause = lastSessionShort ? pauseMs : 0;
        }
        Thread.ofVirtual().name("muslin-hub-reconnect").start(() -> {
            int attempts = 0;
            try {
                if (firstPause > 0) {
                    pause();
                }
                while (!closed) {
                    try {
                        connect();
                        LOG.info("hub {}: session made again after {} attempt(s)", hub(), attempts + 1);
                        return;
                    } catch (IOException e) {
                        if (attempts++ == 0 || attempts % 20 == 0) {
                            LOG.warn("hub: {} (attempt {}; retrying)", e.getMessage(), attempts);
                        }
                    }
                    pause();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                boolean again;
                synchronized (this) {
                    reconnecting = false;
                    // The session made here may have died before this thread let go of the flag.
                    again = channel == null && !closed;
                }
                if (again) {
                    reconnect();
                }
            }
        });
    }

    /** Sleeps the current pause (with up to half of it again as jitter), then doubles it up to the maximum. */
    private void pause() throws InterruptedException {
        long ms;
        synchronized (this) {
            ms = pauseMs;
            pauseMs = Math.min(pauseMs * 2, settings.maxBackoff().toMillis());
        }
        Thread.sleep(ms + ThreadLocalRandom.current().nextLong(ms / 2 + 1));
    }

    /**
     * Sends the request {@code make(id)} and waits for its reply, reconnecting if needed.
     *
     * @param accepted the statuses the caller handles; any other is an IOException with the hub's words
     */
    Reply request(LongFunction<HubMessage> make, Status... accepted) throws IOException {
        long deadline = System.nanoTime() + settings.requestTimeout().toNanos();
        for (;;) {
            try {
                return requestOnce(make, deadline, accepted);
            } catch (SessionLost e) {
                // Every request is idempotent (an Acquire by the same PublicIP is a take-over,
                // a Release of a released subnet is nothing), so it is sent again on the next session.
                if (closed || System.nanoTime() - deadline >= 0) {
                    throw e;
                }
                try {
                    Thread.sleep(RETRY_PAUSE_MS); // until the dead session is noticed and a new one made
                } catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                    throw e;
                }
            }
        }
    }

    private Reply requestOnce(LongFunction<HubMessage> make, long deadline, Status... accepted) throws IOException {
        Channel ch = awaitSession(deadline);
        long id = ids.incrementAndGet();
        HubMessage request = make.apply(id);
        CompletableFuture<Reply> reply = new CompletableFuture<>();
        pending.put(id, reply);
        try {
            ch.writeAndFlush(request).addListener(f -> {
                if (!f.isSuccess()) {
                    reply.completeExceptionally(new SessionLost("cannot send to hub: " + message(f.cause())));
                }
            });
            if (!ch.isActive()) {
                reply.completeExceptionally(new SessionLost("session with hub " + hub() + " lost"));
            }
            Reply r = reply.get(remainingMs(deadline), TimeUnit.MILLISECONDS);
            if (Arrays.asList(accepted).contains(r.status())) {
                return r;
            }
            throw new IOException("hub " + hub() + " refused " + request.type() + " (" + r.status().wire() + "): " + r.message());
        } catch (TimeoutException e) {
            throw new IOException("hub " + hub() + " did not answer " + request.type() + " within "
                + settings.requestTimeout().toMillis() + " ms");
        } catch (ExecutionException e) {
            throw e.getCause() instanceof IOException io ? io : new IOException(message(e.getCause()), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted waiting for hub " + hub());
        } finally {
            pending.remove(id);
        }
    }

    /** The session a request went out on ended before its reply: worth sending again. */
    private static final class SessionLost extends IOException {
        SessionLost(String message) {
            super(message);
        }
    }

    private synchronized Channel awaitSession(long deadline) throws IOException {
        while (channel == null) {
            if (closed) {
                throw new IOException("hub connection closed");
            }
            reconnectLater();
            long ms = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
            if (ms <= 0) {
                throw new IOException("no session with any hub of " + settings.endpoints() + " within "
                    + settings.requestTimeout().toMillis() + " ms");
            }
            try {
                wait(ms);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted waiting for a hub session");
            }
        }
        return channel;
    }

    private void reconnectLater() {
        if (!reconnecting) {
            reconnect();
        }
    }

    /**
     * Stops or starts reading from the hub (the watch's listener has too much to catch up on:
     * the hub's changes then wait in the hub and in TCP, not in this node's heap). A new session
     * starts reading.
     */
    void reading(boolean on) {
        Channel ch;
        synchronized (this) {
            ch = channel;
        }
        if (ch != null && ch.config().isAutoRead() != on) {
            ch.config().setAutoRead(on);
        }
    }

    /** Asks the hub for changes from {@code from}; a no-op while no session is up (the next one asks). */
    void watch(long from) {
        Channel ch;
        synchronized (this) {
            ch = channel;
        }
        if (ch != null) {
            ch.writeAndFlush(new Watch(from));
        }
    }

    void close() {
        Channel ch;
        synchronized (this) {
            closed = true;
            ch = channel;
            channel = null;
            notifyAll();
        }
        if (ch != null) {
            ch.close().awaitUninterruptibly(1000);
        }
        IOException cause = new IOException("hub connection closed");
        pending.values().forEach(f -> f.completeExceptionally(cause));
    }

    private static String message(Throwable t) {
        Throwable root = t;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return root.getMessage() == null ? root.toString() : root.getMessage();
    }

    /** The pipeline's last handler: Welcome, replies, changes, heartbeats. */
    private final class Session extends SimpleChannelInboundHandler<HubMessage> {
        private final CompletableFuture<Welcome> welcome;
        /** A Reply or Resync whose {@code Leases} chunks are still arriving, and what they brought so far. */
        private HubMessage assembling;
        private int chunksLeft;
        private List<io.muslin.control.lease.Lease> chunked;

        Session(CompletableFuture<Welcome> welcome) {
            this.welcome = welcome;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, HubMessage msg) {
            if (assembling != null) {
                if (!(msg instanceof HubMessage.Leases chunk)) {
                    throw new HubProtocolException("expected " + chunksLeft + " more Leases after " + assembling.type()
                        + ", got " + msg.type());
                }
                chunked.addAll(chunk.leases());
                if (--chunksLeft == 0) {
                    HubMessage whole = assembling instanceof Reply r ? r.withLeases(chunked)
                        : ((HubMessage.Resync) assembling).withLeases(chunked);
                    assembling = null;
                    chunked = null;
                    dispatch(ctx, whole);
                }
                return;
            }
            int chunks = msg instanceof Reply r ? r.chunks() : msg instanceof HubMessage.Resync r ? r.chunks() : 0;
            if (chunks > 0) {
                assembling = msg;
                chunksLeft = chunks;
                chunked = new ArrayList<>();
                return;
            }
            dispatch(ctx, msg);
        }

        private void dispatch(ChannelHandlerContext ctx, HubMessage msg) {
            switch (msg) {
                case Welcome w -> {
                    // the hub's heartbeat, so both ends agree when a session is dead
                    long ms = w.heartbeatMillis();
                    ctx.pipeline().replace("idle", "idle", new IdleStateHandler(3 * ms, ms, 0, TimeUnit.MILLISECONDS));
                    welcome.complete(w);
                }
                case Reply r -> {
                    CompletableFuture<Reply> f = pending.remove(r.id());
                    if (f != null) {
                        f.complete(r);
                    }
                }
                case HubMessage.Put p -> onEvent.accept(p);
                case HubMessage.Delete d -> onEvent.accept(d);
                case HubMessage.Resync r -> onEvent.accept(r);
                case HubMessage.Leases l -> throw new HubProtocolException("Leases without a Reply or Resync announcing it");
                case Ping p -> {
                }
                case HubMessage.Error e -> {
                    welcome.completeExceptionally(new IOException("hub refused the session: " + e.message()));
                    LOG.warn("hub {} ended the session: {}", ctx.channel().remoteAddress(), e.message());
                    ctx.close();
                }
                default -> throw new HubProtocolException(msg.type() + " is a message of a node, not of the hub");
            }
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
            if (evt instanceof IdleStateEvent idle) {
                if (idle.state() == IdleState.WRITER_IDLE) {
                    ctx.writeAndFlush(Ping.INSTANCE, ctx.voidPromise());
                } else if (idle.state() == IdleState.READER_IDLE) {
                    LOG.warn("hub {}: nothing for three heartbeats; dropping the session", ctx.channel().remoteAddress());
                    ctx.close();
                }
                return;
            }
            super.userEventTriggered(ctx, evt);
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) throws Exception {
            welcome.completeExceptionally(new IOException("the hub closed the connection"));
            super.channelInactive(ctx);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            welcome.completeExceptionally(cause);
            LOG.warn("hub {}: {}; dropping the session", ctx.channel().remoteAddress(), message(cause));
            ctx.close();
        }
    }
}
