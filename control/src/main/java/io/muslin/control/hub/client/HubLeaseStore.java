package io.muslin.control.hub.client;

import io.muslin.control.hub.protocol.HubMessage;
import io.muslin.control.hub.protocol.HubMessage.Acquire;
import io.muslin.control.hub.protocol.HubMessage.Delete;
import io.muslin.control.hub.protocol.HubMessage.GetConfig;
import io.muslin.control.hub.protocol.HubMessage.ListLeases;
import io.muslin.control.hub.protocol.HubMessage.Put;
import io.muslin.control.hub.protocol.HubMessage.Release;
import io.muslin.control.hub.protocol.HubMessage.Renew;
import io.muslin.control.hub.protocol.HubMessage.Reply;
import io.muslin.control.hub.protocol.HubMessage.Resync;
import io.muslin.control.hub.protocol.HubMessage.Status;
import io.muslin.control.hub.protocol.HubTransport;
import io.muslin.control.lease.Lease;
import io.muslin.control.store.LeaseListener;
import io.muslin.control.store.LeaseLostException;
import io.muslin.control.store.LeaseStore;
import io.muslin.dataplane.packet.Ipv4Prefix;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A node's {@link LeaseStore} on a hub: every call is a request on one session
 * ({@link HubConnection}), which reconnects by itself (to the next hub in the list when there
 * are several) and resumes the watch from the last revision it delivered.
 *
 * <p>Errors: a hub that cannot be reached or does not answer within the request timeout is an
 * {@link IOException} naming the hub; a refusal ({@code denied}, {@code invalid}) is an
 * IOException with the hub's words. Only one {@link #watch} may be open at a time.
 */
public final class HubLeaseStore implements LeaseStore {
    private static final Logger LOG = LoggerFactory.getLogger(HubLeaseStore.class);

    private final HubConnection connection;
    private final EventLoopGroup ownGroup;
    private ClientWatch watch;

    private HubLeaseStore(HubConnection connection, EventLoopGroup ownGroup) {
        this.connection = connection;
        this.ownGroup = ownGroup;
    }

    /** An event loop group for hub sessions (the transport they need); for callers that share one among many. */
    public static EventLoopGroup newEventLoopGroup(int threads, String name) {
        return new MultiThreadIoEventLoopGroup(threads, new DefaultThreadFactory(name, true), HubTransport.ioHandlerFactory());
    }

    /** Connects to the first hub of {@code settings} that answers, on an event loop of its own. */
    public static HubLeaseStore open(HubClientSettings settings) throws IOException {
        EventLoopGroup group = newEventLoopGroup(1, "muslin-hub-client");
        try {
            return open(settings, group, group);
        } catch (IOException | RuntimeException e) {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            throw e;
        }
    }

    /**
     * Connects on {@code group} (from {@link #newEventLoopGroup}), which the caller keeps (many
     * simulated nodes share one).
     * {@code ownGroup} is shut down by {@link #close()}; null when shared.
     */
    public static HubLeaseStore open(HubClientSettings settings, EventLoopGroup group, EventLoopGroup ownGroup)
        throws IOException {
        HubConnection connection = new HubConnection(settings, group);
        HubLeaseStore store = new HubLeaseStore(connection, ownGroup);
        connection.onEvent(store::event);
        connection.onSession(store::sessionUp);
        connection.connect();
        return store;
    }

    /** Which hub the session is on now, for logs: {@code 10.0.0.1:8473}, or "none". */
    public String hub() {
        return connection.hub();
    }

    /** {@code hub 10.0.0.1:8473}, or {@code hub none (reconnecting)} while no session is up. */
    @Override
    public String where() {
        return connection.connected() ? "hub " + connection.hub() : "hub none (reconnecting)";
    }

    @Override
    public Optional<String> networkConfig() throws IOException {
        return connection.request(id -> new GetConfig(id), Status.OK).config();
    }

    /** The Reply's {@code Revision} is the write's: the hub answers once its view (and so a List) has it. */
    @Override
    public Written acquireWritten(Lease lease, Duration ttl) throws IOException {
        long seconds = Math.max(1, (ttl.toMillis() + 999) / 1000);
        Reply reply = connection.request(id -> new Acquire(id, lease, (int) Math.min(Integer.MAX_VALUE, seconds)),
            Status.OK, Status.HELD);
        if (reply.status() == Status.HELD) {
            LOG.info("hub: {}", reply.message());
            return Written.REFUSED;
        }
        return Written.at(reply.revision());
    }

    @Override
    public Written renewWritten(Lease lease) throws IOException {
        Reply reply = connection.request(id -> new Renew(id, lease), Status.OK, Status.LOST);
        if (reply.status() == Status.LOST) {
            throw new LeaseLostException("hub " + connection.hub() + ": lease for " + lease.subnet() + " lost: "
                + reply.message());
        }
        return Written.at(reply.revision());
    }

    @Override
    public Written releaseWritten(Ipv4Prefix subnet, int publicIp) throws IOException {
        Reply reply = connection.request(id -> new Release(id, subnet, publicIp), Status.OK, Status.LOST);
        return reply.status() == Status.OK ? Written.at(reply.revision()) : Written.REFUSED;
    }

    @Override
    public Snapshot list() throws IOException {
        Reply reply = connection.request(ListLeases::new, Status.OK);
        return new Snapshot(reply.revision(), reply.leases(), List.of());
    }

    /**
     * Follows changes from {@code fromRevision}. After a reconnection the watch asks the hub for
     * the changes after the last one it delivered; if the hub no longer has them (or is another
     * hub with its own history) it answers with a snapshot, delivered as {@link LeaseListener#resync}.
     */
    @Override
    public synchronized Watch watch(long fromRevision, LeaseListener listener) {
        if (watch != null && !watch.closed) {
            throw new IllegalStateException("a hub session carries one watch; close the open one first");
        }
        ClientWatch w = new ClientWatch(listener, fromRevision);
        watch = w;
        connection.watch(fromRevision);
        return w;
    }

    /** On the session's event loop: a change or snapshot for the watch. */
    private void event(HubMessage message) {
        ClientWatch w;
        synchronized (this) {
            w = watch;
        }
        if (w == null || w.closed) {
            return;
        }
        w.offer(message);
    }

    /** A new session is up (after a reconnection): the watch resumes after what it received. */
    private void sessionUp() {
        ClientWatch w;
        synchronized (this) {
            w = watch;
        }
        if (w != null && !w.closed) {
            if (w.paused.get()) {
                connection.reading(false); // the new session waits for the listener too
            }
            connection.watch(w.next.get());
        }
    }

    @Override
    public void close() {
        ClientWatch w;
        synchronized (this) {
            w = watch;
            watch = null;
        }
        if (w != null) {
            w.close();
        }
        connection.close();
        if (ownGroup != null) {
            ownGroup.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }

    /**
     * Changes a watch may have waiting for its listener before the session stops reading from the
     * hub; it reads again once fewer than {@link #RESUME_READING} wait. A node whose listener is
     * slower than the hub (programming tables at a cold start of thousands of nodes) holds this
     * many, not everything the hub sends.
     */
    static final int PAUSE_READING = 10_000;
    static final int RESUME_READING = 1_000;

    /** Delivers a watch's changes on a thread of its own, in order, skipping any already delivered. */
    private final class ClientWatch implements Watch {
        private final LeaseListener listener;
        /** One virtual thread: a node has one watch, a simulation of a thousand nodes has a thousand. */
        private final ExecutorService delivery = Executors.newSingleThreadExecutor(r -> {
            Thread t = Thread.ofVirtual().name("muslin-hub-watch").unstarted(r);
            deliveryThread = t;
            return t;
        });
        /** The thread that calls the listener: a close from the listener itself must not wait for itself. */
        private volatile Thread deliveryThread;
        /** The first revision not yet received. */
        final AtomicLong next;
        /** Deliveries queued and not yet done. */
        private final java.util.concurrent.atomic.AtomicInteger waiting = new java.util.concurrent.atomic.AtomicInteger();
        /** True while reading is paused for this watch's listener to catch up. */
        final java.util.concurrent.atomic.AtomicBoolean paused = new java.util.concurrent.atomic.AtomicBoolean();
        volatile boolean closed;

        ClientWatch(LeaseListener listener, long from) {
            this.listener = listener;
            this.next = new AtomicLong(from);
        }

        /** Called on the event loop, in the order the hub sent. */
        void offer(HubMessage message) {
            switch (message) {
                case Put p -> {
                    if (p.revision() < next.get()) {
                        return;
                    }
                    next.set(p.revision() + 1);
                    deliver(() -> listener.put(p.lease(), p.revision()));
                }
                case Delete d -> {
                    if (d.revision() < next.get()) {
                        return;
                    }
                    next.set(d.revision() + 1);
                    deliver(() -> listener.delete(d.subnet(), d.revision()));
                }
                case Resync r -> {
                    next.set(r.revision() + 1);
                    deliver(() -> listener.resync(new Snapshot(r.revision(), r.leases(), List.of())));
                }
                default -> {
                }
            }
        }

        private void deliver(Runnable call) {
            if (closed) {
                return;
            }
            if (waiting.incrementAndGet() >= PAUSE_READING && paused.compareAndSet(false, true)) {
                connection.reading(false); // on the event loop: no more changes read until the listener catches up
            }
            try {
                delivery.execute(() -> {
                    try {
                        if (!closed) {
                            call.run();
                        }
                    } catch (RuntimeException e) {
                        LOG.warn("hub watch listener failed; the watch goes on", e);
                    } finally {
                        if (waiting.decrementAndGet() < RESUME_READING && paused.compareAndSet(true, false)) {
                            connection.reading(true);
                        }
                    }
                });
            } catch (java.util.concurrent.RejectedExecutionException e) {
                waiting.decrementAndGet(); // closed meanwhile
            }
        }

        @Override
        public void close() {
            if (closed) {
                return;
            }
            closed = true;
            delivery.shutdown();
            try {
                if (Thread.currentThread() != deliveryThread) {
                    delivery.awaitTermination(5, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            synchronized (HubLeaseStore.this) {
                if (watch == this) {
                    watch = null;
                }
            }
        }
    }
}
