package io.muslin.control.store;

import io.muslin.control.lease.Lease;
import io.muslin.dataplane.packet.Ipv4Prefix;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A watch on an {@link EmbeddedLeaseStore}, in two stages:
 * <ol>
 *   <li>the store offers each change (under its lock, in revision order) and, once, a resync;
 *       changes before the watch's first revision are dropped, so a watch from a revision the
 *       store has not reached yet waits for it;
 *   <li>the watch's own virtual thread ({@code muslin-store-watch}) calls the listener, one
 *       call at a time, in the order offered. A listener that throws is logged; the watch goes on.
 * </ol>
 * The store's lock is never held during a listener call, so a listener may call the store.
 * {@link #close()} waits for a call in progress (unless the listener closes its own watch); no
 * call starts after it returns.
 */
final class EmbeddedLeaseWatch implements LeaseStore.Watch {
    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedLeaseWatch.class);
    private static final long CLOSE_WAIT_MILLIS = 5000;

    /** A change, as kept in the store's history and offered to watches. */
    record Change(long revision, Ipv4Prefix subnet, Lease put) {
        static Change put(long revision, Lease lease) {
            return new Change(revision, lease.subnet(), lease);
        }

        static Change delete(long revision, Ipv4Prefix subnet) {
            return new Change(revision, subnet, null);
        }
    }

    private final String where;
    private final LeaseListener listener;
    private final long fromRevision;
    private final Consumer<EmbeddedLeaseWatch> onClose;
    private final ExecutorService delivery = Executors.newSingleThreadExecutor(
        Thread.ofVirtual().name("muslin-store-watch").factory());
    private volatile Thread deliveryThread;
    private volatile boolean closed;

    EmbeddedLeaseWatch(String where, LeaseListener listener, long fromRevision, Consumer<EmbeddedLeaseWatch> onClose) {
        this.where = where;
        this.listener = listener;
        this.fromRevision = fromRevision;
        this.onClose = onClose;
    }

    /** Stage 1 (store's lock): queues {@code change} for the listener, unless it is before this watch's start. */
    void offer(Change change) {
        if (change.revision() < fromRevision) {
            return;
        }
        if (change.put() != null) {
            deliver(() -> listener.put(change.put(), change.revision()), change.revision());
        } else {
            deliver(() -> listener.delete(change.subnet(), change.revision()), change.revision());
        }
    }

    /** Stage 1 (store's lock): queues a resync. */
    void resync(LeaseStore.Snapshot snapshot) {
        deliver(() -> listener.resync(snapshot), snapshot.revision());
    }

    /** Stage 2 (the watch's thread): one listener call. */
    private void deliver(Runnable call, long revision) {
        if (closed) {
            return;
        }
        try {
            delivery.execute(() -> {
                deliveryThread = Thread.currentThread();
                if (closed) {
                    return;
                }
                try {
                    call.run();
                } catch (RuntimeException e) {
                    LOG.error("{}: the lease listener failed at revision {}; the watch goes on", where, revision, e);
                }
            });
        } catch (RejectedExecutionException e) {
            // closed meanwhile: dropped
        }
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        onClose.accept(this);
        delivery.shutdown();
        if (Thread.currentThread() == deliveryThread) {
            return; // the listener closes its own watch: its call is the last
        }
        try {
            if (!delivery.awaitTermination(CLOSE_WAIT_MILLIS, TimeUnit.MILLISECONDS)) {
                LOG.warn("{}: the watch's listener did not return within {} ms of close", where, CLOSE_WAIT_MILLIS);
                delivery.shutdownNow();
            }
        } catch (InterruptedException e) {
            delivery.shutdownNow();
            Thread.currentThread().interrupt();
        }
    }
}
