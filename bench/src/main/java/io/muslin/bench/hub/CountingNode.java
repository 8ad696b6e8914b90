package io.muslin.bench.hub;

import io.muslin.control.hub.client.HubEndpoint;
import io.muslin.control.hub.protocol.HubFrames;
import io.muslin.control.hub.protocol.HubMessage;
import io.muslin.control.hub.protocol.HubMessage.Reply;
import io.muslin.control.hub.protocol.HubMessage.Status;
import io.muslin.control.hub.protocol.HubTransport;
import io.muslin.control.lease.Lease;
import io.muslin.control.tls.TlsContexts;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.LengthFieldBasedFrameDecoder;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * A simulated node that speaks the hub protocol itself and keeps only what a test of the hub
 * needs: a bit per simulated subnet and the last revision. It joins as a node's lease keeper
 * and peer source do (Hello, Acquire, List, Watch from the List's revision + 1), checks that
 * every change arrives once and in revision order, and that every lease is the one its node
 * holds ({@link SharedFrames#check}); its frames are decoded through {@link SharedFrames}, once
 * for all nodes. Everything runs on its channel's event loop, with no thread or object per
 * lease: the simulator measures the hub, not itself. {@link ClientNode} is the other kind, the
 * node's real client.
 */
final class CountingNode extends SimpleChannelInboundHandler<ByteBuf> implements SimNode {
    private static final long ACQUIRE_ID = 1;
    private static final long LIST_ID = 2;

    private final int index;
    private final String name;
    private final int nodes;
    private final SslContext ssl;
    private final HubEndpoint hub;
    private final SharedFrames frames;
    private final CountDownLatch complete = new CountDownLatch(1);
    private final CompletableFuture<Void> joined = new CompletableFuture<>();
    private final long[] table;
    private int held;
    private long revision;
    /** Leases chunks still to come for the List reply or a Resync, and that reply's revision. */
    private int chunksLeft = -1;
    private long snapshotRevision;
    private boolean resyncing;
    private long nextId = LIST_ID + 1;
    private CompletableFuture<Reply> renewal;
    private Channel channel;
    private Lease own;
    private volatile HubScale.Probe probe;
    private volatile boolean closing;

    CountingNode(int index, String name, int nodes, SslContext ssl, HubEndpoint hub, SharedFrames frames) {
        this.index = index;
        this.name = name;
        this.nodes = nodes;
        this.ssl = ssl;
        this.hub = hub;
        this.frames = frames;
        this.table = new long[(nodes + 63) / 64];
        this.own = HubScale.lease(index, index);
    }

    @Override
    public int index() {
        return index;
    }

    @Override
    public CompletableFuture<Void> join(EventLoopGroup group) {
        new Bootstrap().group(group).channel(HubTransport.socketChannel())
            .option(ChannelOption.TCP_NODELAY, true)
            .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 60_000)
            .handler(new ChannelInitializer<SocketChannel>() {
                @Override
                protected void initChannel(SocketChannel ch) {
                    if (ssl != null) {
                        ch.pipeline().addLast("tls", TlsContexts.clientHandler(ssl, ch.alloc(), hub.host(), hub.port()));
                    }
                    ch.pipeline()
                        .addLast("idle", new IdleStateHandler(0, 10, 0, TimeUnit.SECONDS))
                        .addLast("frames", new LengthFieldBasedFrameDecoder(HubFrames.MAX_FRAME, 0, HubFrames.LENGTH_FIELD,
                            0, HubFrames.LENGTH_FIELD))
                        .addLast("encoder", HubFrames.Encoder.INSTANCE)
                        .addLast("node", CountingNode.this);
                }
            })
            .connect(hub.host(), hub.port())
            .addListener(f -> {
                if (!f.isSuccess()) {
                    joined.completeExceptionally(f.cause());
                }
            });
        return joined;
    }

    @Override
    public CountDownLatch complete() {
        return complete;
    }

    @Override
    public void probe(HubScale.Probe p) {
        probe = p;
    }

    @Override
    public void renew(Lease lease) throws Exception {
        CompletableFuture<Reply> done = new CompletableFuture<>();
        channel.eventLoop().execute(() -> {
            renewal = done;
            channel.writeAndFlush(new HubMessage.Renew(nextId++, lease));
        });
        Reply r = done.get(60, TimeUnit.SECONDS);
        if (r.status() != Status.OK) {
            throw new IllegalStateException(name + ": Renew refused: " + r.status().wire() + " " + r.message());
        }
        own = lease;
    }

    @Override
    public void close() {
        closing = true;
        if (channel != null) {
            channel.close().awaitUninterruptibly(1000);
        }
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
        channel = ctx.channel();
        if (ssl == null) {
            ctx.writeAndFlush(new HubMessage.Hello(HubFrames.VERSION, name));
        }
        super.channelActive(ctx);
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
        if (evt instanceof SslHandshakeCompletionEvent done) {
            if (done.isSuccess()) {
                ctx.writeAndFlush(new HubMessage.Hello(HubFrames.VERSION, name));
            } else {
                fail(ctx, "TLS handshake failed: " + done.cause());
            }
        } else if (evt instanceof IdleStateEvent) {
            ctx.writeAndFlush(HubMessage.Ping.INSTANCE);
        }
        super.userEventTriggered(ctx, evt);
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, ByteBuf frame) {
        SharedFrames.Decoded d = frames.decode(frame);
        switch (d.message()) {
            case HubMessage.Welcome w -> ctx.writeAndFlush(new HubMessage.Acquire(ACQUIRE_ID, own, 3600));
            case Reply r when r.id() == ACQUIRE_ID -> {
                if (r.status() != Status.OK) {
                    fail(ctx, "Acquire refused: " + r.status().wire() + " " + r.message());
                    return;
                }
                ctx.writeAndFlush(new HubMessage.ListLeases(LIST_ID));
            }
            case Reply r when r.id() == LIST_ID -> startSnapshot(ctx, r.revision(), r.chunks(), false);
            case Reply r -> {
                CompletableFuture<Reply> f = renewal;
                renewal = null;
                if (f != null) {
                    f.complete(r);
                }
            }
            case HubMessage.Resync r -> startSnapshot(ctx, r.revision(), r.chunks(), true);
            case HubMessage.Leases l -> {
                if (chunksLeft <= 0) {
                    fail(ctx, "Leases without a List reply or Resync announcing it");
                    return;
                }
                for (int i : d.nodes()) {
                    set(i);
                }
                if (--chunksLeft == 0) {
                    snapshotDone(ctx);
                }
            }
            case HubMessage.Put p -> {
                if (!changeInOrder(ctx, p.revision())) {
                    return;
                }
                set(d.nodes()[0]);
                HubScale.Probe pr = probe;
                if (pr != null && pr.lease().equals(p.lease())) {
                    pr.seen(index);
                }
                checkComplete();
            }
            case HubMessage.Delete del -> {
                if (changeInOrder(ctx, del.revision())) {
                    clear(d.nodes()[0]);
                }
            }
            case HubMessage.Ping p -> {
            }
            case HubMessage.Error e -> fail(ctx, "the hub ended the session: " + e.message());
            default -> fail(ctx, "unexpected " + d.message().type());
        }
    }

    private void startSnapshot(ChannelHandlerContext ctx, long rev, int chunks, boolean resync) {
        snapshotRevision = rev;
        resyncing = resync;
        java.util.Arrays.fill(table, 0);
        held = 0;
        chunksLeft = chunks;
        if (chunks == 0) {
            snapshotDone(ctx);
        }
    }

    private void snapshotDone(ChannelHandlerContext ctx) {
        chunksLeft = -1;
        revision = snapshotRevision;
        if (!resyncing) {
            ctx.writeAndFlush(new HubMessage.Watch(revision + 1));
            joined.complete(null);
        }
        checkComplete();
    }

    /** A change must come after everything this node has: each once, in revision order. */
    private boolean changeInOrder(ChannelHandlerContext ctx, long rev) {
        if (chunksLeft > 0) {
            fail(ctx, "a change at revision " + rev + " inside a snapshot");
            return false;
        }
        if (rev <= revision) {
            fail(ctx, "change at revision " + rev + " after revision " + revision + " (again, or out of order)");
            return false;
        }
        revision = rev;
        return true;
    }

    private void set(int i) {
        long bit = 1L << i;
        if ((table[i >>> 6] & bit) == 0) {
            table[i >>> 6] |= bit;
            held++;
        }
    }

    private void clear(int i) {
        long bit = 1L << i;
        if ((table[i >>> 6] & bit) != 0) {
            table[i >>> 6] &= ~bit;
            held--;
        }
    }

    private void checkComplete() {
        if (held == nodes && complete.getCount() > 0) {
            complete.countDown();
        }
    }

    private void fail(ChannelHandlerContext ctx, String why) {
        if (closing) {
            return;
        }
        IllegalStateException e = new IllegalStateException(name + ": " + why);
        joined.completeExceptionally(e);
        HubScale.failed(e);
        ctx.close();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        if (!closing) {
            fail(ctx, "the hub closed the session");
        }
        if (!joined.isDone()) {
            joined.completeExceptionally(new IllegalStateException(name + ": the hub closed the session"));
        }
        super.channelInactive(ctx);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        fail(ctx, cause.toString());
    }
}
