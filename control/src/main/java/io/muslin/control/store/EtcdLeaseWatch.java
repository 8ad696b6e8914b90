package io.muslin.control.store;

import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.Watch;
import io.etcd.jetcd.common.exception.CompactedException;
import io.etcd.jetcd.options.WatchOption;
import io.etcd.jetcd.watch.WatchEvent;
import io.etcd.jetcd.watch.WatchResponse;
import io.muslin.control.lease.Lease;
import io.muslin.dataplane.packet.Ipv4Prefix;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A watch on {@code <prefix>/subnets/}, in four stages:
 * <ol>
 *   <li>{@link #open}: a jetcd watcher from the next revision, tagged with a generation number;
 *   <li>jetcd calls back on its own threads; each callback is handed to this watch's thread
 *       ({@code muslin-etcd-watch}) with its generation, so calls reach the listener one at a
 *       time and in order, and a callback from a replaced watcher is dropped;
 *   <li>on that thread, {@link #deliver} turns events into {@code put}/{@code delete} (a value that
 *       does not parse is logged and passed to {@code malformed}; a listener that throws is
 *       logged) and remembers the next revision;
 *   <li>when etcd says the revision was compacted, {@link #resync} lists, calls {@code resync},
 *       and opens again after the listing's revision. jetcd retries lost connections itself
 *       from the last revision it saw; if its watcher ends for another reason, the watch opens
 *       again from the next revision after {@link #RETRY_DELAY_MILLIS}.
 * </ol>
 * All fields but {@code closed} are touched only on the watch's thread.
 */
final class EtcdLeaseWatch implements LeaseStore.Watch {
    private static final Logger LOG = LoggerFactory.getLogger(EtcdLeaseWatch.class);
    static final long RETRY_DELAY_MILLIS = 1000;
    private static final long CLOSE_WAIT_MILLIS = 5000;
    /** How often the watch asks etcd for a progress notification (it says the watch is current). */
    static final long PROGRESS_EVERY_MILLIS = 5000;

    private final EtcdLeaseStore store;
    private final Watch watchClient;
    private final LeaseListener listener;
    private final Consumer<EtcdLeaseWatch> onClose;
    private final ScheduledExecutorService thread;
    private volatile boolean closed;

    private Watch.Watcher watcher;
    private long generation;
    private long nextRevision;
    private boolean failing;
    /** The highest header revision of any response jetcd handed over (its threads write). */
    private final AtomicLong heard = new AtomicLong();
    /** Every change up to this revision has reached the listener (the watch thread writes). */
    private volatile long delivered;
    private final long progressEveryMillis;

    EtcdLeaseWatch(EtcdLeaseStore store, Watch watchClient, LeaseListener listener, Consumer<EtcdLeaseWatch> onClose) {
        this(store, watchClient, listener, onClose, PROGRESS_EVERY_MILLIS);
    }

    EtcdLeaseWatch(EtcdLeaseStore store, Watch watchClient, LeaseListener listener, Consumer<EtcdLeaseWatch> onClose,
                   long progressEveryMillis) {
        this.progressEveryMillis = progressEveryMillis;
        this.store = store;
        this.watchClient = watchClient;
        this.listener = listener;
        this.onClose = onClose;
        this.thread = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "muslin-etcd-watch");
            t.setDaemon(true);
            return t;
        });
    }

    void start(long fromRevision) {
        run(() -> open(fromRevision));
        // etcd answers a progress request once the watch has been sent every change up to its
        // revision; without it, writes outside the subnets would look like lag forever.
        try {
            thread.scheduleWithFixedDelay(this::requestProgress, progressEveryMillis, progressEveryMillis,
                TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            // closed
        }
    }

    /**
     * The store's revision the watch last heard of, less the revision up to which every change
     * has reached the listener: 0 when it is current (within {@link #PROGRESS_EVERY_MILLIS}
     * after writes to other keys), more while the listener is behind or the watch catches up.
     */
    @Override
    public long lagRevisions() {
        return Math.max(0, heard.get() - delivered);
    }

    private void requestProgress() {
        if (watcher != null && !closed) {
            try {
                watcher.requestProgress();
            } catch (RuntimeException e) {
                LOG.debug("{}: progress request failed: {}", store.where(), e.getMessage());
            }
        }
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        run(this::stopWatcher);
        thread.shutdown();
        try {
            if (!thread.awaitTermination(CLOSE_WAIT_MILLIS, TimeUnit.MILLISECONDS)) {
                LOG.warn("{}: the watch's listener did not return within {} ms of close", store.where(), CLOSE_WAIT_MILLIS);
                thread.shutdownNow();
            }
        } catch (InterruptedException e) {
            thread.shutdownNow();
            Thread.currentThread().interrupt();
        }
        onClose.accept(this);
    }

    // --- stage 1: open (watch thread) ---

    private void open(long fromRevision) {
        if (closed) {
            return;
        }
        stopWatcher();
        long gen = ++generation;
        nextRevision = fromRevision;
        delivered = Math.max(delivered, fromRevision - 1);
        WatchOption option = WatchOption.builder().isPrefix(true).withRevision(fromRevision).build();
        watcher = watchClient.watch(EtcdLeaseStore.bytes(store.keys().subnets()), option, Watch.listener(
            response -> {
                heard.accumulateAndGet(response.getHeader().getRevision(), Math::max); // on jetcd's thread
                run(() -> {
                    if (gen == generation && !closed) {
                        deliver(response);
                    }
                });
            },
            error -> run(() -> {
                if (gen == generation && !closed) {
                    failed(error);
                }
            }),
            () -> run(() -> {
                if (gen == generation && !closed) {
                    ended();
                }
            })));
        LOG.debug("{}: watching {} from revision {}", store.where(), store.keys().subnets(), fromRevision);
    }

    private void stopWatcher() {
        generation++;
        if (watcher != null) {
            watcher.close();
            watcher = null;
        }
    }

    // --- stage 2: hand-off to the watch thread ---

    private void run(Runnable task) {
        try {
            thread.execute(task);
        } catch (RejectedExecutionException e) {
            // closed: drop it
        }
    }

    // --- stage 3: deliver (watch thread) ---

    private void deliver(WatchResponse response) {
        if (failing) {
            LOG.info("{}: watch of {} is back", store.where(), store.keys().subnets());
            failing = false;
        }
        for (WatchEvent event : response.getEvents()) {
            KeyValue kv = event.getKeyValue();
            long revision = kv.getModRevision();
            nextRevision = Math.max(nextRevision, revision + 1);
            String key = kv.getKey().toString(StandardCharsets.UTF_8);
            try {
                switch (event.getEventType()) {
                    case PUT -> putEvent(key, kv, revision);
                    case DELETE -> deleteEvent(key, revision);
                    default -> LOG.debug("{}: ignoring {} event on {}", store.where(), event.getEventType(), key);
                }
            } catch (RuntimeException e) {
                LOG.error("{}: the lease listener failed on {} at revision {}", store.where(), key, revision, e);
            }
            delivered = Math.max(delivered, revision);
        }
        if (response.isProgressNotify()) {
            // Every change up to the header's revision has been sent, and so delivered.
            delivered = Math.max(delivered, response.getHeader().getRevision());
        }
    }

    private void putEvent(String key, KeyValue kv, long revision) {
        Lease lease;
        try {
            lease = store.parse(key, kv.getValue());
        } catch (IllegalArgumentException e) {
            malformed(new LeaseStore.Malformed(key, e.getMessage()), revision);
            return;
        }
        listener.put(lease, revision);
    }

    private void deleteEvent(String key, long revision) {
        Ipv4Prefix subnet;
        try {
            subnet = store.keys().parseKey(key).subnet();
        } catch (IllegalArgumentException e) {
            malformed(new LeaseStore.Malformed(key, e.getMessage()), revision);
            return;
        }
        listener.delete(subnet, revision);
    }

    private void malformed(LeaseStore.Malformed entry, long revision) {
        LOG.warn("{}: skipping an entry that is not a lease at revision {}: {}", store.where(), revision, entry);
        listener.malformed(entry, revision);
    }

    // --- stage 4: compaction and errors (watch thread) ---

    private void failed(Throwable error) {
        if (error instanceof CompactedException compacted) {
            LOG.info("{}: watch revision {} was compacted (compacted up to {}); listing again",
                store.where(), nextRevision, compacted.getCompactedRevision());
            stopWatcher();
            resync();
        } else if (!failing) {
            failing = true;
            LOG.warn("{}: watch of {} failed, retrying: {}", store.where(), store.keys().subnets(), error.getMessage());
        } else {
            LOG.debug("{}: watch still failing: {}", store.where(), error.getMessage());
        }
    }

    /** jetcd's watcher ended on its own (not by {@link #stopWatcher}): open again later. */
    private void ended() {
        LOG.debug("{}: watcher ended; opening again from revision {}", store.where(), nextRevision);
        stopWatcher();
        long from = nextRevision;
        schedule(() -> open(from));
    }

    private void resync() {
        if (closed) {
            return;
        }
        LeaseStore.Snapshot snapshot;
        try {
            snapshot = store.list();
        } catch (IOException e) {
            if (!failing) {
                failing = true;
                LOG.warn("{}: cannot list after compaction, retrying: {}", store.where(), e.getMessage());
            }
            schedule(this::resync);
            return;
        }
        failing = false;
        try {
            for (LeaseStore.Malformed entry : snapshot.malformed()) {
                listener.malformed(entry, snapshot.revision());
            }
            listener.resync(snapshot);
        } catch (RuntimeException e) {
            LOG.error("{}: the lease listener failed on a resync at revision {}", store.where(), snapshot.revision(), e);
        }
        delivered = Math.max(delivered, snapshot.revision());
        open(snapshot.revision() + 1);
    }

    private void schedule(Runnable task) {
        try {
            thread.schedule(task, RETRY_DELAY_MILLIS, TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            // closed
        }
    }
}
