package io.muslin.control.hub.server;

import io.muslin.control.hub.protocol.HubFrames;
import io.muslin.control.hub.protocol.HubMessage;
import io.muslin.control.hub.protocol.HubMessage.Acquire;
import io.muslin.control.hub.protocol.HubMessage.GetConfig;
import io.muslin.control.hub.protocol.HubMessage.Hello;
import io.muslin.control.hub.protocol.HubMessage.ListLeases;
import io.muslin.control.hub.protocol.HubMessage.Ping;
import io.muslin.control.hub.protocol.HubMessage.Release;
import io.muslin.control.hub.protocol.HubMessage.Renew;
import io.muslin.control.hub.protocol.HubMessage.Reply;
import io.muslin.control.hub.protocol.HubMessage.Status;
import io.muslin.control.hub.protocol.HubMessage.Watch;
import io.muslin.control.hub.protocol.HubMessage.Welcome;
import io.muslin.control.hub.protocol.HubProtocolException;
import io.muslin.control.lease.Lease;
import io.muslin.control.store.LeaseLostException;
import io.muslin.control.store.LeaseStore;
import io.muslin.control.tls.TlsSessions;
import io.muslin.dataplane.packet.Ipv4Address;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.handler.timeout.IdleState;
import io.netty.handler.timeout.IdleStateEvent;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One node's session with the hub. Its stages:
 * <ol>
 *   <li>TLS handshake (unless the hub is insecure): a node without a certificate of the
 *       cluster CA never gets further ({@code refusedHandshake}).</li>
 *   <li>{@code Hello}: the version must be ours and the name, if given, the certificate's; the
 *       hub answers {@code Welcome} with its revision.</li>
 *   <li>Requests ({@code Acquire}, {@code Renew}, {@code Release}, {@code List}, {@code Config})
 *       in any order, each answered by a {@code Reply} with its id. A lease may only carry a
 *       PublicIP that the node's certificate names, so a node can neither announce nor release
 *       another node's subnet ({@code denied}). Store calls run on the store executor, never on
 *       the event loop.</li>
 *   <li>{@code Watch}: changes from the node's revision, or a snapshot, then every change.</li>
 * </ol>
 * A frame or message that breaks the protocol ends this session with an {@code Error} naming
 * the fault; nothing it sent after the fault is applied, and other sessions go on.
 * Either side sends {@code Ping} after a quiet heartbeat; three quiet heartbeats end the session.
 */
final class HubSession extends SimpleChannelInboundHandler<HubMessage> implements HubView.Subscriber {
    private static final Logger LOG = LoggerFactory.getLogger(HubSession.class);
    static final Duration MIN_TTL = Duration.ofSeconds(1);
    static final Duration MAX_TTL = Duration.ofDays(7);

    /** Store calls one session may have waiting for the store at once; more wait in {@link #waiting}. */
    static final int MAX_IN_FLIGHT = 16;
    /**
     * Messages read but not yet handled (the session is unwritable, or has {@link #MAX_IN_FLIGHT}
     * calls out). Reading stops while any wait, so this only fills from one read's worth of small
     * frames; past it the node is sending without reading its replies, and the session ends.
     */
    static final int MAX_WAITING = 10_000;
    /** How long an ended session's Error may take to leave before the connection is closed regardless. */
    static final long END_GRACE_MS = 1000;

    private final HubView view;
    private final LeaseStore store;
    private final HubPolicy policy;
    private final Executor storeOps;
    private final HubStats stats;
    /** Identity from the TLS session; null on an insecure hub. */
    private final Function<SSLSession, NodeIdentity> identityOf;
    private final long maxQueuedBytes;
    private final long heartbeatMillis;
    private Channel channel;
    /** Everything this session sends, in order; event loop only. */
    private SessionOutput output;
    private volatile NodeIdentity identity;
    private volatile boolean closing;
    /** Event loop only: messages read and not yet handled, in order. */
    private final ArrayDeque<HubMessage> waiting = new ArrayDeque<>();
    /** Event loop only: store calls sent and not yet answered. */
    private int inFlight;

    HubSession(HubView view, LeaseStore store, HubPolicy policy, Executor storeOps, HubStats stats,
               Function<SSLSession, NodeIdentity> identityOf, long maxQueuedBytes, Duration heartbeat) {
        this.view = view;
        this.store = store;
        this.policy = policy;
        this.storeOps = storeOps;
        this.stats = stats;
        this.identityOf = identityOf;
        this.maxQueuedBytes = maxQueuedBytes;
        this.heartbeatMillis = heartbeat.toMillis();
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
        channel = ctx.channel();
        output = new SessionOutput(channel);
        stats.sessionsOpened.increment();
        super.channelActive(ctx);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        view.unsubscribe(this);
        if (output != null) {
            output.drop();
        }
        stats.sessionsClosed.increment();
        LOG.debug("session {} from {} closed", this, channel.remoteAddress());
        super.channelInactive(ctx);
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
        if (evt instanceof SslHandshakeCompletionEvent done) {
            if (!done.isSuccess()) {
                stats.refusedHandshake.increment();
                LOG.info("refused {}: TLS handshake failed: {}", ctx.channel().remoteAddress(), rootMessage(done.cause()));
                ctx.close();
                return;
            }
            stats.tlsHandshakes.increment();
            SslHandler ssl = ctx.pipeline().get(SslHandler.class);
            if (ssl != null && TlsSessions.resumed(ssl.engine()).orElse(false)) {
                stats.tlsResumed.increment();
            }
        }
        if (evt instanceof IdleStateEvent idle) {
            if (idle.state() == IdleState.WRITER_IDLE) {
                send(ctx, Ping.INSTANCE);
            } else if (idle.state() == IdleState.READER_IDLE) {
                if (ctx.channel().config().isAutoRead()) {
                    stats.heartbeatTimeouts.increment();
                    end(ctx, "no message for three heartbeats");
                } else if (!ctx.channel().isWritable() || !output.isEmpty()) {
                    // reading paused because the node has not read its replies for three heartbeats
                    stats.slowSessions.increment();
                    end(ctx, "replies not read for three heartbeats");
                }
                // else: reading waits for the store (calls in flight), not for the node
            }
            return;
        }
        super.userEventTriggered(ctx, evt);
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, HubMessage msg) {
        if (closing) {
            return;
        }
        if (identity == null) {
            if (!(msg instanceof Hello hello)) {
                throw new HubProtocolException("expected Hello first, got " + msg.type());
            }
            hello(ctx, hello);
            return;
        }
        waiting.addLast(msg);
        if (waiting.size() > MAX_WAITING) {
            stats.floods.increment();
            end(ctx, "more than " + MAX_WAITING + " messages sent without reading the replies");
            return;
        }
        drain(ctx);
    }

    /**
     * Handles waiting messages while the session can take their answers: its outbound buffer is
     * under the high-water mark and fewer than {@link #MAX_IN_FLIGHT} store calls are out. Reading
     * stops while anything waits and starts again when all is handled, so a node that sends
     * requests without reading the replies fills its own TCP window, not the hub's heap.
     */
    private void drain(ChannelHandlerContext ctx) {
        while (!closing && !waiting.isEmpty() && ready(ctx)) {
            handle(ctx, waiting.pollFirst());
        }
        boolean read = !closing && waiting.isEmpty() && ready(ctx);
        if (ctx.channel().config().isAutoRead() != read) {
            if (!read) {
                stats.readsPaused.increment();
            }
            ctx.channel().config().setAutoRead(read);
        }
    }

    /** Requests are handled while their replies can be written at once: nothing waits in the output, the channel is writable. */
    private boolean ready(ChannelHandlerContext ctx) {
        return ctx.channel().isWritable() && output.isEmpty() && inFlight < MAX_IN_FLIGHT;
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) throws Exception {
        output.pump();
        drain(ctx);
        super.channelWritabilityChanged(ctx);
    }

    private void handle(ChannelHandlerContext ctx, HubMessage msg) {
        switch (msg) {
            case Acquire m -> request(ctx, m.id(), () -> acquire(m));
            case Renew m -> request(ctx, m.id(), () -> renew(m));
            case Release m -> request(ctx, m.id(), () -> release(m));
            case ListLeases m -> {
                stats.requests.increment();
                // a Reply naming the revision and its chunks, then the chunks: the view's shared frames
                for (HubView.Out o : view.listReply(m.id())) {
                    output.add(o.frame(), o.shared());
                }
                output.pump();
            }
            case GetConfig m -> request(ctx, m.id(),
                () -> new Reply(m.id(), Status.OK, "", 0, List.of(), store.networkConfig()));
            case Watch m -> {
                view.unsubscribe(this);
                boolean resumed = view.subscribe(this, m.from());
                LOG.debug("{} watches from {}: {}", identity, m.from(), resumed ? "resumed" : "snapshot");
            }
            case Ping m -> {
            }
            case HubMessage.Error m -> {
                LOG.info("session {} ended by the node: {}", identity, m.message());
                closing = true;
                ctx.close();
            }
            default -> {
                stats.refusedMalformed.increment();
                end(ctx, msg.type() + " is a message of the hub, not of a node");
            }
        }
    }

    /** Writes a reply after what the session has queued; one that cannot be encoded (too large) ends the session. */
    private void reply(ChannelHandlerContext ctx, Reply reply) {
        send(ctx, reply);
    }

    /** Queues {@code message} after what the session has queued and writes what the connection can take. */
    private void send(ChannelHandlerContext ctx, HubMessage message) {
        if (closing || output == null) {
            return;
        }
        ByteBuf frame;
        try {
            frame = HubFrames.frame(ctx.alloc(), message);
        } catch (IllegalStateException e) {
            LOG.warn("session {}: {} not sent: {}; closing", this, message.type(), e.getMessage());
            closing = true;
            ctx.close();
            return;
        }
        output.add(frame, false);
        output.pump();
    }

    private void hello(ChannelHandlerContext ctx, Hello hello) {
        if (hello.version() != HubFrames.VERSION) {
            stats.refusedHello.increment();
            end(ctx, "unsupported protocol version " + hello.version() + " (this hub speaks " + HubFrames.VERSION + ")");
            return;
        }
        NodeIdentity who;
        SslHandler ssl = ctx.pipeline().get(SslHandler.class);
        if (identityOf != null && ssl != null) {
            try {
                who = identityOf.apply(ssl.engine().getSession());
            } catch (RuntimeException e) {
                stats.refusedHello.increment();
                end(ctx, "certificate not usable: " + e.getMessage());
                return;
            }
            if (!hello.node().isEmpty() && !hello.node().equals(who.name())) {
                stats.refusedHello.increment();
                end(ctx, "Hello.Node \"" + hello.node() + "\" is not the certificate's name \"" + who.name() + "\"");
                return;
            }
        } else {
            if (hello.node().isEmpty()) {
                stats.refusedHello.increment();
                end(ctx, "Hello.Node: missing (expected: the node's name)");
                return;
            }
            who = NodeIdentity.insecure(hello.node());
        }
        identity = who;
        LOG.debug("session {} from {}", who, ctx.channel().remoteAddress());
        send(ctx, new Welcome(HubFrames.VERSION, who.name(), view.revision(), heartbeatMillis));
    }

    private Reply acquire(Acquire m) throws IOException {
        Reply denied = deny(m.id(), m.lease());
        if (denied != null) {
            return denied;
        }
        Duration ttl = Duration.ofSeconds(m.ttlSeconds());
        if (ttl.compareTo(MIN_TTL) < 0 || ttl.compareTo(MAX_TTL) > 0) {
            return invalid(m.id(), m.lease(), "Acquire.TTL: " + m.ttlSeconds() + " is out of range (accepted: "
                + MIN_TTL.toSeconds() + "-" + MAX_TTL.toSeconds() + ")");
        }
        String refusal = policy.refusal(m.lease(), true);
        if (refusal != null) {
            return invalid(m.id(), m.lease(), "Acquire.Lease: " + refusal);
        }
        LeaseStore.Written written = store.acquireWritten(m.lease(), ttl);
        if (written.done()) {
            LOG.info("{} holds {}", identity.name(), m.lease());
            return Reply.ok(m.id(), written.revision());
        }
        Lease holder = view.lease(m.lease().subnet());
        return Reply.failed(m.id(), Status.HELD, "subnet " + m.lease().subnet() + " is held by "
            + (holder == null ? "another node" : Ipv4Address.format(holder.publicIp())));
    }

    private Reply renew(Renew m) throws IOException {
        Reply denied = deny(m.id(), m.lease());
        if (denied != null) {
            return denied;
        }
        String refusal = policy.refusal(m.lease(), false);
        if (refusal != null) {
            return invalid(m.id(), m.lease(), "Renew.Lease: " + refusal);
        }
        try {
            return Reply.ok(m.id(), store.renewWritten(m.lease()).revision());
        } catch (LeaseLostException | IllegalStateException e) {
            return Reply.failed(m.id(), Status.LOST, e.getMessage());
        }
    }

    private Reply release(Release m) throws IOException {
        if (!identity.owns(m.publicIp())) {
            stats.denied.increment();
            return Reply.failed(m.id(), Status.DENIED, "PublicIP " + Ipv4Address.format(m.publicIp())
                + " is not an address of " + identity + " (its certificate's IP SANs)");
        }
        // Compare-and-delete in the store: a subnet taken over by another node since is left alone.
        LeaseStore.Written written = store.releaseWritten(m.subnet(), m.publicIp());
        if (written.done()) {
            LOG.info("{} released {}", identity.name(), m.subnet());
            return Reply.ok(m.id(), written.revision());
        }
        return Reply.failed(m.id(), Status.LOST, "subnet " + m.subnet() + " is not held by "
            + Ipv4Address.format(m.publicIp()));
    }

    private Reply invalid(long id, Lease lease, String why) {
        stats.invalid.increment();
        LOG.warn("refused a lease of {} for {}: {}", identity, lease.subnet(), why);
        return Reply.failed(id, Status.INVALID, why);
    }

    /** A refusal if this node may not announce {@code lease}, else null. */
    private Reply deny(long id, Lease lease) {
        if (identity.owns(lease.publicIp())) {
            return null;
        }
        stats.denied.increment();
        LOG.warn("denied {}: a lease for {} with PublicIP {}, which its certificate does not name", identity,
            lease.subnet(), Ipv4Address.format(lease.publicIp()));
        return Reply.failed(id, Status.DENIED, "PublicIP " + Ipv4Address.format(lease.publicIp())
            + " is not an address of " + identity + " (its certificate's IP SANs)");
    }

    private interface Call {
        Reply run() throws IOException;
    }

    /** Runs {@code call} on a store thread; its reply is written on the event loop, which then handles what waits. */
    private void request(ChannelHandlerContext ctx, long id, Call call) {
        stats.requests.increment();
        inFlight++;
        try {
            storeOps.execute(() -> {
                Reply reply;
                try {
                    reply = call.run();
                } catch (IOException e) {
                    stats.storeErrors.increment();
                    reply = Reply.failed(id, Status.UNAVAILABLE, "hub store: " + e.getMessage());
                } catch (IllegalArgumentException e) {
                    reply = Reply.failed(id, Status.INVALID, e.getMessage());
                } catch (RuntimeException e) {
                    stats.storeErrors.increment();
                    LOG.warn("request {} of {} failed", id, identity, e);
                    reply = Reply.failed(id, Status.UNAVAILABLE, "hub error: " + e);
                }
                Reply done = reply;
                if (done.status() == Status.OK && done.revision() > 0) {
                    // read your writes: a List after this reply is answered from the view, so the view must have the write
                    view.whenAt(done.revision(), () -> answered(ctx, done));
                } else {
                    answered(ctx, done);
                }
            });
        } catch (RejectedExecutionException e) {
            inFlight--;
            reply(ctx, Reply.failed(id, Status.UNAVAILABLE, "hub is shutting down"));
        }
    }

    private void answered(ChannelHandlerContext ctx, Reply reply) {
        try {
            ctx.executor().execute(() -> {
                inFlight--;
                reply(ctx, reply);
                drain(ctx);
            });
        } catch (RejectedExecutionException e) {
            // the event loop is stopping: the session is ending anyway
        }
    }

    @Override
    public Executor loop() {
        return channel.eventLoop();
    }

    /**
     * A change or snapshot chunk for this session (from {@link HubView}, on its event loop);
     * takes ownership of {@code frame}. A session with more than {@code maxQueuedBytes} of its own
     * waiting (in its output and its channel) is closed: it resumes when it reconnects.
     */
    @Override
    public void write(ByteBuf frame, boolean shared) {
        Channel ch = channel;
        if (closing || ch == null || !ch.isActive()) {
            frame.release();
            return;
        }
        if (!shared && output.ownBytes() + frame.readableBytes() > maxQueuedBytes) {
            frame.release();
            stats.slowSessions.increment();
            LOG.warn("session {} reads its changes too slowly (over {} bytes queued); closing it, it will resume",
                identity, maxQueuedBytes);
            closing = true;
            output.drop();
            ch.close();
            return;
        }
        output.add(frame, shared);
    }

    @Override
    public void flush() {
        if (channel != null && !closing) {
            output.pump();
        }
    }

    /** Bytes waiting in this session's output (event loop only; for {@link HubServer#queuedBytes}). */
    long outputBytes() {
        return output == null ? 0 : output.ownBytes() + output.sharedBytes();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof DecoderException && cause.getCause() instanceof SSLException) {
            // a failed handshake: counted and logged by userEventTriggered
            closing = true;
            ctx.close();
            return;
        }
        if (cause instanceof DecoderException) {
            stats.refusedMalformed.increment();
            String why = cause instanceof HubProtocolException ? cause.getMessage() : rootMessage(cause);
            LOG.info("session {} from {} ended: {}", this, ctx.channel().remoteAddress(), why);
            end(ctx, why);
            return;
        }
        if (cause instanceof IOException) {
            LOG.debug("session {} from {}: {}", this, ctx.channel().remoteAddress(), cause.toString());
        } else {
            LOG.warn("session {} from {} failed", this, ctx.channel().remoteAddress(), cause);
        }
        closing = true;
        ctx.close();
    }

    /** Sends an Error naming the fault, then closes; ignores everything the node sends after. */
    private void end(ChannelHandlerContext ctx, String why) {
        if (closing) {
            return;
        }
        closing = true;
        view.unsubscribe(this);
        if (output != null) {
            output.drop(); // what was queued no longer matters: the Error goes next
        }
        ctx.writeAndFlush(new HubMessage.Error(why)).addListener(ChannelFutureListener.CLOSE);
        // A node that reads nothing never lets the Error out: close anyway, a little later.
        ctx.executor().schedule(() -> {
            ctx.close();
        }, END_GRACE_MS, TimeUnit.MILLISECONDS);
    }

    @Override
    public String toString() {
        NodeIdentity who = identity;
        return who == null ? "(before Hello)" : who.toString();
    }

    private static String rootMessage(Throwable t) {
        Throwable root = t;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return root.getMessage() == null ? root.toString() : root.getMessage();
    }
}
