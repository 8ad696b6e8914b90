package io.muslin.control.store;

import io.muslin.control.lease.Lease;
import io.muslin.control.store.LeaseJournal.Stored;
import io.muslin.dataplane.packet.Ipv4Address;
import io.muslin.dataplane.packet.Ipv4Prefix;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The hub's own store: leases in memory, on disk through {@link LeaseJournal}, with the
 * semantics of {@link EtcdLeaseStore} (flannel's): create-if-absent, taken over by the same
 * PublicIP, a TTL per lease, revisions, watches from a revision.
 *
 * <p>One difference, because the hub renews for many nodes and may itself have restarted:
 * {@link #renew} needs only an entry with the same PublicIP, not an earlier {@link #acquire}
 * through this instance.
 *
 * <p>Threads: callers (under one lock, with a journal fsync per put or delete); one daemon
 * thread that expires leases every {@link #SWEEP}; one virtual thread per watch delivering its
 * events in order.
 */
public final class EmbeddedLeaseStore implements LeaseStore {
    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedLeaseStore.class);
    public static final Duration MIN_TTL = Duration.ofSeconds(1);
    public static final Duration MAX_TTL = Duration.ofDays(7);
    public static final int DEFAULT_HISTORY = 10_000;
    /** Journal records after which the snapshot is rewritten and the journal emptied. */
    static final int COMPACT_AFTER = 1_000;
    static final Duration SWEEP = Duration.ofMillis(100);
    private static final Comparator<Ipv4Prefix> ORDER =
        Comparator.comparingInt((Ipv4Prefix p) -> p.address()).thenComparingInt(Ipv4Prefix::length);

    /** A lease in memory: what is stored, and when it expires unless renewed. */
    private record Held(Stored stored, long deadlineNanos) {
    }

    /** A change, kept for watches that start from an earlier revision. */
    private record Change(long revision, Lease put, Ipv4Prefix deleted) {
    }

    private final Path dir;
    private final Optional<String> networkConfig;
    private final int historySize;
    private final LeaseJournal journal;
    private final TreeMap<Ipv4Prefix, Held> leases = new TreeMap<>(ORDER);
    private final ArrayDeque<Change> history = new ArrayDeque<>();
    private final Set<EmbeddedWatch> watches = ConcurrentHashMap.newKeySet();
    private final ScheduledExecutorService sweeper;
    private long revision;
    /** Every change after this revision is in {@link #history}. */
    private long historyStart;
    private boolean closed;

    private EmbeddedLeaseStore(Path dir, Optional<String> networkConfig, int historySize) throws IOException {
        this.dir = dir;
        this.networkConfig = networkConfig;
        this.historySize = historySize;
        Map<Ipv4Prefix, Stored> loaded = new HashMap<>();
        long[] rev = new long[1];
        this.journal = LeaseJournal.open(dir, loaded, rev);
        long now = System.nanoTime();
        loaded.forEach((subnet, s) -> leases.put(subnet, new Held(s, now + TimeUnit.SECONDS.toNanos(s.ttlSeconds()))));
        this.revision = rev[0];
        this.historyStart = revision;
        this.sweeper = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "muslin-store-expiry");
            t.setDaemon(true);
            return t;
        });
        sweeper.scheduleWithFixedDelay(this::expire, SWEEP.toMillis(), SWEEP.toMillis(), TimeUnit.MILLISECONDS);
        LOG.info("store {}: {} lease(s) at revision {}", dir, leases.size(), revision);
    }

    /** Opens (creating) the store in {@code dir}; {@code networkConfig} is served as {@code <prefix>/config} would be. */
    public static EmbeddedLeaseStore open(Path dir, Optional<String> networkConfig) throws IOException {
        return open(dir, networkConfig, DEFAULT_HISTORY);
    }

    /** As {@link #open(Path, Optional)}, keeping {@code historySize} changes for watches that start back in time. */
    public static EmbeddedLeaseStore open(Path dir, Optional<String> networkConfig, int historySize) throws IOException {
        return new EmbeddedLeaseStore(dir, networkConfig, historySize);
    }

    @Override
    public Optional<String> networkConfig() {
        return networkConfig;
    }

    @Override
    public synchronized boolean acquire(Lease lease, Duration ttl) throws IOException {
        checkOpen();
        checkTtl(ttl);
        Held held = leases.get(lease.subnet());
        if (held != null && held.stored().lease().publicIp() != lease.publicIp()) {
            return false;
        }
        Stored stored = new Stored(lease, ttl.toSeconds());
        if (held != null && held.stored().equals(stored)) {
            leases.put(lease.subnet(), new Held(stored, deadline(ttl.toSeconds())));
            return true;
        }
        put(stored);
        return true;
    }

    @Override
    public synchronized void renew(Lease lease) throws IOException {
        checkOpen();
        Held held = leases.get(lease.subnet());
        if (held == null) {
            throw new LeaseLostException("lease for " + lease.subnet() + " expired or was released");
        }
        if (held.stored().lease().publicIp() != lease.publicIp()) {
            throw new LeaseLostException("subnet " + lease.subnet() + " is held by "
                + Ipv4Address.format(held.stored().lease().publicIp()));
        }
        long ttl = held.stored().ttlSeconds();
        if (!held.stored().lease().equals(lease)) {
            put(new Stored(lease, ttl));
        } else {
            leases.put(lease.subnet(), new Held(held.stored(), deadline(ttl)));
        }
    }

    @Override
    public synchronized void release(Ipv4Prefix subnet) throws IOException {
        checkOpen();
        if (leases.containsKey(subnet)) {
            remove(subnet);
        }
    }

    @Override
    public synchronized Snapshot list() {
        List<Lease> all = new ArrayList<>(leases.size());
        leases.values().forEach(h -> all.add(h.stored().lease()));
        return new Snapshot(revision, all, List.of());
    }

    /**
     * Follows changes from {@code fromRevision}: the kept changes from there, or (when it is
     * older than the history, or a revision this store never reached) a
     * {@link LeaseListener#resync} with every lease, then each change as it happens.
     */
    @Override
    public synchronized Watch watch(long fromRevision, LeaseListener listener) {
        checkOpen();
        EmbeddedWatch w = new EmbeddedWatch(listener);
        if (fromRevision > historyStart && fromRevision <= revision + 1) {
            for (Change c : history) {
                if (c.revision() >= fromRevision) {
                    w.offer(c);
                }
            }
        } else {
            Snapshot s = list();
            w.deliver(() -> listener.resync(s));
        }
        watches.add(w);
        return w;
    }

    private void put(Stored stored) throws IOException {
        long rev = revision + 1;
        journal.put(rev, stored.lease(), stored.ttlSeconds());
        revision = rev;
        leases.put(stored.lease().subnet(), new Held(stored, deadline(stored.ttlSeconds())));
        changed(new Change(rev, stored.lease(), null));
    }

    private void remove(Ipv4Prefix subnet) throws IOException {
        long rev = revision + 1;
        journal.delete(rev, subnet);
        revision = rev;
        leases.remove(subnet);
        changed(new Change(rev, null, subnet));
    }

    private void changed(Change change) throws IOException {
        history.addLast(change);
        while (history.size() > historySize) {
            historyStart = history.removeFirst().revision();
        }
        for (EmbeddedWatch w : watches) {
            w.offer(change);
        }
        if (journal.records() >= COMPACT_AFTER) {
            Map<Ipv4Prefix, Stored> all = new TreeMap<>(ORDER);
            leases.forEach((s, h) -> all.put(s, h.stored()));
            journal.compact(revision, all);
        }
    }

    /** On the sweeper thread: deletes every lease past its deadline. */
    private synchronized void expire() {
        if (closed) {
            return;
        }
        long now = System.nanoTime();
        List<Ipv4Prefix> due = new ArrayList<>();
        leases.forEach((subnet, h) -> {
            if (now - h.deadlineNanos() >= 0) {
                due.add(subnet);
            }
        });
        for (Ipv4Prefix subnet : due) {
            try {
                remove(subnet);
                LOG.info("lease for {} expired", subnet);
            } catch (IOException e) {
                LOG.error("store {}: cannot record the expiry of {}: {} (retrying)", dir, subnet, e.getMessage());
                return;
            }
        }
    }

    private static long deadline(long ttlSeconds) {
        return System.nanoTime() + TimeUnit.SECONDS.toNanos(ttlSeconds);
    }

    private static void checkTtl(Duration ttl) {
        if (ttl.compareTo(MIN_TTL) < 0 || ttl.compareTo(MAX_TTL) > 0) {
            throw new IllegalArgumentException("TTL " + ttl.toSeconds() + " s is out of range (accepted: "
                + MIN_TTL.toSeconds() + "-" + MAX_TTL.toSeconds() + " s)");
        }
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("store " + dir + " is closed");
        }
    }

    @Override
    public void close() {
        List<EmbeddedWatch> open;
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            open = List.copyOf(watches);
        }
        sweeper.shutdownNow();
        open.forEach(EmbeddedWatch::close);
        synchronized (this) {
            try {
                journal.close();
            } catch (IOException e) {
                LOG.warn("store {}: closing the journal: {}", dir, e.getMessage());
            }
        }
    }

    /** A watch: its own virtual thread delivers, in the order offered (under the store's lock). */
    private final class EmbeddedWatch implements Watch {
        private final LeaseListener listener;
        private final ExecutorService delivery = Executors.newSingleThreadExecutor(
            Thread.ofVirtual().name("muslin-store-watch").factory());
        private volatile boolean closed;

        EmbeddedWatch(LeaseListener listener) {
            this.listener = listener;
        }

        void offer(Change c) {
            if (c.put() != null) {
                deliver(() -> listener.put(c.put(), c.revision()));
            } else {
                deliver(() -> listener.delete(c.deleted(), c.revision()));
            }
        }

        void deliver(Runnable call) {
            if (closed) {
                return;
            }
            try {
                delivery.execute(() -> {
                    if (closed) {
                        return;
                    }
                    try {
                        call.run();
                    } catch (RuntimeException e) {
                        LOG.warn("store {}: a watch listener failed; the watch goes on", dir, e);
                    }
                });
            } catch (RejectedExecutionException e) {
                // closed meanwhile
            }
        }

        @Override
        public void close() {
            if (closed) {
                return;
            }
            closed = true;
            watches.remove(this);
            delivery.shutdown();
            try {
                if (!Thread.currentThread().getName().equals("muslin-store-watch")) {
                    delivery.awaitTermination(5, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
