package io.muslin.control.bgp.speaker;

import io.muslin.control.bgp.Bgp;
import io.muslin.control.bgp.BgpDecoder;
import io.muslin.control.bgp.BgpDecoderException;
import io.muslin.control.bgp.BgpEncoder;
import io.muslin.control.bgp.BgpKeepalive;
import io.muslin.control.bgp.BgpMessage;
import io.muslin.control.bgp.BgpNotification;
import io.muslin.control.bgp.BgpOpen;
import io.muslin.control.bgp.BgpRouteRefresh;
import io.muslin.control.bgp.BgpUpdate;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * One TCP connection of a peer and its part of the FSM (RFC 4271 §8.2.2): OpenSent,
 * OpenConfirm, Established. It runs on the peer's event loop; what the messages mean for the
 * peer (who wins a collision, what an UPDATE changes) {@link BgpPeer} decides.
 *
 * <pre>
 *   channelActive ──▶ OpenSent ──OPEN ok──▶ OpenConfirm ──KEEPALIVE──▶ Established
 *      send OPEN      hold 240 s  send KEEPALIVE, negotiated hold       UPDATE ▶ peer
 *                                          │                            ROUTE-REFRESH ▶ our routes again
 *   any state: a bad message, an unexpected one, or hold-timer expiry ─▶ NOTIFICATION, close
 * </pre>
 *
 * Timers: the hold timer checks the time of the last message read; once OPENs are exchanged a
 * KEEPALIVE goes out every third of the negotiated hold time (none when it is 0).
 */
final class BgpConnection extends ChannelInboundHandlerAdapter {
    /** RFC 4271 §8.2.2: the hold timer "set to a large value" while waiting for the OPEN. */
    static final int OPEN_HOLD_TIME = 240;

    private final BgpPeer peer;
    private final boolean outbound;
    private final BgpDecoder decoder = new BgpDecoder();
    private final BgpEncoder encoder = new BgpEncoder();
    private Channel channel;
    private BgpState state = BgpState.CONNECT;
    private BgpOpen received;
    private int holdTime = OPEN_HOLD_TIME;
    private long lastReadNanos;
    private ScheduledFuture<?> holdTimer;
    private ScheduledFuture<?> keepaliveTimer;
    private String closeReason;
    private BgpNotification notification;
    private long establishedNanos;

    BgpConnection(BgpPeer peer, boolean outbound) {
        this.peer = peer;
        this.outbound = outbound;
    }

    /** The codec this connection's pipeline needs ahead of it. */
    BgpDecoder decoder() {
        return decoder;
    }

    BgpEncoder encoder() {
        return encoder;
    }

    boolean outbound() {
        return outbound;
    }

    BgpState state() {
        return state;
    }

    /** The peer's OPEN, once received. */
    BgpOpen received() {
        return received;
    }

    int holdTime() {
        return holdTime;
    }

    long establishedNanos() {
        return establishedNanos;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        channel = ctx.channel();
        state = BgpState.OPEN_SENT;
        lastReadNanos = System.nanoTime();
        peer.connected(this);
        write(peer.open());
        armHoldTimer();
        ctx.fireChannelActive();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (closeReason != null) {
            return; // ending: what else was in the same read does not count
        }
        lastReadNanos = System.nanoTime();
        BgpMessage m = (BgpMessage) msg;
        if (m instanceof BgpNotification n) {
            peer.count(BgpCounter.NOTIFICATIONS_RECEIVED);
            notification = n;
            close("received " + n);
            peer.ending(this, closeReason);
            return;
        }
        switch (state) {
            case OPEN_SENT -> {
                if (!(m instanceof BgpOpen open)) {
                    unexpected(m, Bgp.ERR_FSM_UNEXPECTED_IN_OPEN_SENT);
                    return;
                }
                received = open;
                BgpPeer.Refusal refusal = peer.openReceived(this, open);
                if (refusal != null) {
                    fail(refusal.notification(), refusal.reason());
                    return;
                }
                boolean fourOctetAs = open.fourOctetAs();
                decoder.fourOctetAs(fourOctetAs);
                encoder.fourOctetAs(fourOctetAs);
                holdTime = Math.min(peer.holdTime(), open.holdTime());
                state = BgpState.OPEN_CONFIRM;
                peer.stateChanged();
                write(BgpKeepalive.INSTANCE);
                armHoldTimer();
                if (holdTime > 0) {
                    long every = Math.max(1000, holdTime * 1000L / 3);
                    keepaliveTimer = channel.eventLoop().scheduleAtFixedRate(() -> write(BgpKeepalive.INSTANCE), every,
                        every, TimeUnit.MILLISECONDS);
                }
            }
            case OPEN_CONFIRM -> {
                if (m instanceof BgpKeepalive) {
                    state = BgpState.ESTABLISHED;
                    establishedNanos = System.nanoTime();
                    peer.established(this);
                } else {
                    unexpected(m, Bgp.ERR_FSM_UNEXPECTED_IN_OPEN_CONFIRM);
                }
            }
            case ESTABLISHED -> {
                switch (m) {
                    case BgpUpdate u -> peer.update(this, u);
                    case BgpKeepalive k -> {
                    }
                    case BgpRouteRefresh r -> peer.refreshRequested(this, r);
                    default -> unexpected(m, Bgp.ERR_FSM_UNEXPECTED_IN_ESTABLISHED);
                }
            }
            default -> {
            }
        }
    }

    private void unexpected(BgpMessage m, int subcode) {
        fail(new BgpNotification(Bgp.ERR_FSM, subcode), Bgp.typeName(m.type()) + " in " + state);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof BgpDecoderException e) {
            fail(e.notification(), e.getMessage());
        } else {
            close("connection error: " + (cause.getMessage() != null ? cause.getMessage() : cause.toString()));
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        cancelTimers();
        BgpState was = state;
        state = BgpState.IDLE;
        peer.closed(this, was, closeReason != null ? closeReason : "connection closed by the peer");
        ctx.fireChannelInactive();
    }

    /** Sends {@code message} (any state but closed). */
    void write(BgpMessage message) {
        if (channel != null && channel.isActive()) {
            channel.writeAndFlush(message, channel.voidPromise());
        }
    }

    /** Sends the NOTIFICATION, then closes; {@code why} becomes the peer's last error. */
    void fail(BgpNotification notification, String why) {
        if (closeReason != null) {
            return;
        }
        peer.count(BgpCounter.NOTIFICATIONS_SENT);
        this.notification = notification;
        closeReason = "sent " + notification + ": " + why;
        peer.ending(this, closeReason);
        if (channel != null && channel.isActive()) {
            channel.writeAndFlush(notification).addListener(ChannelFutureListener.CLOSE);
        }
    }

    /** Closes without a NOTIFICATION (the peer sent one, or the connection broke). */
    void close(String why) {
        if (closeReason == null) {
            closeReason = why;
        }
        if (channel != null) {
            channel.close();
        }
    }

    private void armHoldTimer() {
        if (holdTimer != null) {
            holdTimer.cancel(false);
            holdTimer = null;
        }
        if (holdTime > 0 && channel != null) {
            holdTimer = channel.eventLoop().schedule(this::checkHold, holdTime, TimeUnit.SECONDS);
        }
    }

    /** Fires when the hold time may have passed since the last message; re-arms for the rest if it has not. */
    private void checkHold() {
        long left = TimeUnit.SECONDS.toNanos(holdTime) - (System.nanoTime() - lastReadNanos);
        if (left <= 0) {
            peer.count(BgpCounter.HOLD_TIMER_EXPIRED);
            fail(new BgpNotification(Bgp.ERR_HOLD_TIMER_EXPIRED, 0), "no message for " + holdTime + " s");
        } else {
            holdTimer = channel.eventLoop().schedule(this::checkHold, left, TimeUnit.NANOSECONDS);
        }
    }

    private void cancelTimers() {
        if (holdTimer != null) {
            holdTimer.cancel(false);
        }
        if (keepaliveTimer != null) {
            keepaliveTimer.cancel(false);
        }
    }

    Channel channel() {
        return channel;
    }

    /** The NOTIFICATION that ended this connection (sent or received), or null. */
    BgpNotification notification() {
        return notification;
    }
}
