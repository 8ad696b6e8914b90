package io.muslin.control.store;

import io.muslin.control.lease.Lease;
import io.muslin.control.lease.LeaseJson;
import io.muslin.control.store.EmbeddedLeaseWatch.Change;
import io.muslin.control.store.LeaseJournal.Stored;
import io.muslin.dataplane.packet.Ipv4Address;
import io.muslin.dataplane.packet.Ipv4Prefix;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The hub's own store: leases in memory, on disk through {@link LeaseJournal}, with the
 * semantics of {@link EtcdLeaseStore} (flannel's): create-if-absent, taken over by the same
 * PublicIP, a TTL per lease, a revision per put or delete, watches from a revision.
 *
 * <p>One difference, because the hub renews for many nodes and may itself have restarted:
 * {@link #renew} needs only an entry with the same PublicIP, not an earlier {@link #acquire}
 * through this instance.
 *
 * <p>Durability: a put or delete is in the journal and forced to disk before the call returns;
 * renewals are not written. Writes are committed in groups: a caller writes its record under the
 * lock and waits (without it) for the journal thread's next fsync, which covers every record
 * written meanwhile, so Acquires that arrive together share one fsync and each returns only
 * once its record is on disk. Watches and the history see a change only then. After a restart
 * every lease gets its full TTL again from the load (as etcd does after a leader change) and
 * revisions continue from the last one on disk. A change whose write fails is not applied, but
 * uses up its revision, so a record that reached the disk after all can never share a revision
 * with a later one. A failed fsync fails every change written since the last good one (they
 * are taken back out of memory and their callers get the IOException) and the store takes no
 * more changes until it is opened again, which reads what the disk really holds.
 *
 * <p>Threads: callers, under one lock (a write call then waits for the fsync without it); one
 * daemon thread, {@code muslin-store-journal}, that forces the journal, hands synced changes to
 * the watches and compacts; one daemon thread, {@code muslin-store-expiry}, that deletes the
 * leases past their TTL every {@link #SWEEP} (a scan of the table, all of a sweep's deletes in
 * one record group); one virtual thread per watch ({@link EmbeddedLeaseWatch}), never called
 * under the lock.
 */
public final class EmbeddedLeaseStore implements LeaseStore {
    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedLeaseStore.class);
    public static final Duration MIN_TTL = Duration.ofSeconds(1);
    /** flannel's lease TTL, and the longest accepted. */
    /** The node's own limit for {@code Control.TTL} (flannel's default is 24 h). */
    public static final Duration MAX_TTL = Duration.ofDays(7);
    static final Duration SWEEP = Duration.ofMillis(100);
    /** Key order: by network address (unsigned), then prefix length. */
    static final Comparator<Ipv4Prefix> ORDER =
        Comparator.comparing(Ipv4Prefix::address, Integer::compareUnsigned).thenComparingInt(Ipv4Prefix::length);

    /**
     * The embedded store's configuration.
     *
     * @param dir           where {@code leases.json} and {@code leases.journal} are kept (created if absent)
     * @param networkConfig flannel's net-conf.json, served by {@link #networkConfig()}
     * @param historySize   changes kept for watches that start at an earlier revision
     * @param compactAfter  journal records after which the snapshot is rewritten and the journal emptied
     */
    public record Settings(Path dir, Optional<String> networkConfig, int historySize, int compactAfter) {
        public static final int DEFAULT_HISTORY = 10_000;
        public static final int DEFAULT_COMPACT_AFTER = 1_000;

        public Settings {
            Objects.requireNonNull(dir, "dir");
            Objects.requireNonNull(networkConfig, "networkConfig");
            if (historySize < 1) {
                throw new IllegalArgumentException("historySize: " + historySize + " is out of range (accepted: 1 or more)");
            }
            if (compactAfter < 1) {
                throw new IllegalArgumentException("compactAfter: " + compactAfter + " is out of range (accepted: 1 or more)");
            }
        }

        public static Settings of(Path dir, Optional<String> networkConfig) {
            return new Settings(dir, networkConfig, DEFAULT_HISTORY, DEFAULT_COMPACT_AFTER);
        }

        public Settings withHistorySize(int newSize) {
            return new Settings(dir, networkConfig, newSize, compactAfter);
        }

        public Settings withCompactAfter(int records) {
            return new Settings(dir, networkConfig, historySize, records);
        }
    }

    /** A lease in memory: what is stored, when it expires unless renewed, and the revision that wrote it. */
    private record Held(Stored stored, long deadlineNanos, long modRevision) {
    }

    /**
     * A change written to the journal and not yet synced, with what it replaced and where its
     * record starts in the journal (to take it back if the sync fails).
     */
    private record Unsynced(Change change, Held replaced, long journalStart) {
    }

    private final Settings settings;
    private final String where;
    private final LeaseJournal journal;
    private final TreeMap<Ipv4Prefix, Held> leases = new TreeMap<>(ORDER);
    private final ArrayDeque<Change> history = new ArrayDeque<>();
    private final Set<EmbeddedLeaseWatch> watches = ConcurrentHashMap.newKeySet();
    private final ScheduledExecutorService sweeper;
    private final Thread journalThread;
    /** Changes written and not yet synced, in revision order. */
    private final ArrayDeque<Unsynced> unsynced = new ArrayDeque<>();
    /** The last revision assigned (a failed write uses one up). */
    private long revision;
    /** The revision of the last change written to the journal, and of the last one known to be on disk. */
    private long written;
    private long synced;
    /** Set when a sync failed: no more changes. */
    private IOException syncFailure;
    /** Every change after this revision is in {@link #history}. */
    private long historyStart;
    private boolean expiryFailing;
    private boolean closed;

    private EmbeddedLeaseStore(Settings settings, LeaseJournal.Syncer syncer) throws IOException {
        this.settings = settings;
        this.where = "store " + settings.dir();
        LeaseJournal.Loaded loaded = LeaseJournal.open(settings.dir(), syncer);
        this.journal = loaded.journal();
        loaded.leases().forEach((subnet, s) -> leases.put(subnet,
            new Held(s, deadline(s.ttlSeconds()), loaded.revision())));
        this.revision = loaded.revision();
        this.written = revision;
        this.synced = revision;
        this.historyStart = revision;
        this.journalThread = new Thread(this::syncLoop, "muslin-store-journal");
        journalThread.setDaemon(true);
        journalThread.start();
        this.sweeper = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "muslin-store-expiry");
            t.setDaemon(true);
            return t;
        });
        sweeper.scheduleWithFixedDelay(this::expire, SWEEP.toMillis(), SWEEP.toMillis(), TimeUnit.MILLISECONDS);
        LOG.info("{}: {} lease(s) at revision {}", where, leases.size(), revision);
    }

    /** Opens (creating) the store in {@code dir}, with the default history and compaction. */
    public static EmbeddedLeaseStore open(Path dir, Optional<String> networkConfig) throws IOException {
        return open(Settings.of(dir, networkConfig));
    }

    /**
     * Opens (creating) the store and loads what is on disk. Throws IOException naming the file
     * (and line) if a file cannot be read or is corrupt, or if another store has the directory open.
     */
    public static EmbeddedLeaseStore open(Settings settings) throws IOException {
        return new EmbeddedLeaseStore(settings, LeaseJournal.Syncer.FORCE);
    }

    /** As {@link #open(Settings)}, forcing the journal with {@code syncer} (tests). */
    static EmbeddedLeaseStore open(Settings settings, LeaseJournal.Syncer syncer) throws IOException {
        return new EmbeddedLeaseStore(settings, syncer);
    }

    public Settings settings() {
        return settings;
    }

    @Override
    public String where() {
        return "embedded store in " + settings.dir();
    }

    @Override
    public Optional<String> networkConfig() {
        return settings.networkConfig();
    }

    /** As {@link LeaseStore#acquire}; a TTL outside {@link #MIN_TTL}..{@link #MAX_TTL} is an IllegalArgumentException. */
    @Override
    public synchronized Written acquireWritten(Lease lease, Duration ttl) throws IOException {
        long ttlSeconds = ttlSeconds(ttl);
        checkOpen();
        Held held = leases.get(lease.subnet());
        Written done;
        if (held != null && held.stored().lease().publicIp() != lease.publicIp()) {
            done = Written.REFUSED;
        } else {
            Stored stored = new Stored(lease, ttlSeconds);
            if (held != null && held.stored().equals(stored)) {
                leases.put(lease.subnet(), new Held(stored, deadline(ttlSeconds), held.modRevision()));
                done = Written.at(held.modRevision());
            } else {
                done = Written.at(put(stored));
            }
        }
        awaitSynced(written);
        return done;
    }

    /**
     * Restarts the TTL of the entry for {@code lease.subnet()}, and writes {@code lease} if it
     * differs from what is stored. Any entry with the same PublicIP can be renewed.
     *
     * @throws LeaseLostException if there is no entry (expired or released) or another PublicIP holds it
     */
    @Override
    public synchronized Written renewWritten(Lease lease) throws IOException {
        checkOpen();
        Held held = leases.get(lease.subnet());
        if (held == null) {
            throw new LeaseLostException("lost " + lease.subnet() + ": it expired or was released");
        }
        if (held.stored().lease().publicIp() != lease.publicIp()) {
            throw new LeaseLostException("lost " + lease.subnet() + ": it is held by "
                + Ipv4Address.format(held.stored().lease().publicIp()));
        }
        long ttlSeconds = held.stored().ttlSeconds();
        Written done;
        if (held.stored().lease().equals(lease)) {
            leases.put(lease.subnet(), new Held(held.stored(), deadline(ttlSeconds), held.modRevision()));
            done = Written.at(held.modRevision());
        } else {
            done = Written.at(put(new Stored(lease, ttlSeconds)));
        }
        awaitSynced(written);
        return done;
    }

    @Override
    public synchronized Written releaseWritten(Ipv4Prefix subnet, int publicIp) throws IOException {
        checkOpen();
        Held held = leases.get(subnet);
        Written done = Written.REFUSED;
        if (held != null && held.stored().lease().publicIp() == publicIp) {
            done = Written.at(delete(List.of(subnet)));
        }
        awaitSynced(written);
        return done;
    }

    @Override
    public synchronized Snapshot list() {
        List<Lease> all = new ArrayList<>(leases.size());
        leases.values().forEach(h -> all.add(h.stored().lease()));
        return new Snapshot(revision, all, List.of());
    }

    /**
     * As {@link LeaseStore#watch}. The kept changes from {@code fromRevision} are delivered first;
     * if it is older than the history (or than the load, after a restart) the watch starts with
     * a {@link LeaseListener#resync} and goes on after the listing's revision. A revision the
     * store has not reached yet is waited for.
     */
    @Override
    public synchronized Watch watch(long fromRevision, LeaseListener listener) {
        if (fromRevision < 1) {
            throw new IllegalArgumentException("watch revision " + fromRevision + " is out of range (accepted: 1 or more)");
        }
        checkOpen();
        EmbeddedLeaseWatch w;
        if (fromRevision > historyStart) {
            w = new EmbeddedLeaseWatch(where, listener, fromRevision, watches::remove);
            history.forEach(w::offer);
        } else {
            Snapshot s = list();
            LOG.debug("{}: watch from revision {}, before the history (from {}): resync at {}", where, fromRevision,
                historyStart + 1, s.revision());
            w = new EmbeddedLeaseWatch(where, listener, s.revision() + 1, watches::remove);
            w.resync(s);
        }
        watches.add(w);
        return w;
    }

    /** Writes {@code stored} to the journal and applies it; returns its revision. Synced later ({@link #awaitSynced}). */
    private long put(Stored stored) throws IOException {
        checkWritable();
        checkStorable(stored.lease());
        long rev = ++revision; // used up even if the write fails
        long start = journal.put(rev, stored.lease(), stored.ttlSeconds());
        Held replaced = leases.put(stored.lease().subnet(), new Held(stored, deadline(stored.ttlSeconds()), rev));
        written(new Unsynced(Change.put(rev, stored.lease()), replaced, start));
        return rev;
    }

    /** Deletes {@code subnets}, one revision each, in one journal write; returns the last revision. */
    private long delete(List<Ipv4Prefix> subnets) throws IOException {
        checkWritable();
        long first = revision + 1;
        revision += subnets.size(); // used up even if the write fails
        long start = journal.delete(first, subnets);
        long rev = first;
        for (Ipv4Prefix subnet : subnets) {
            written(new Unsynced(Change.delete(rev++, subnet), leases.remove(subnet), start));
        }
        return rev - 1;
    }

    private void written(Unsynced change) {
        unsynced.addLast(change);
        written = change.change().revision();
        notifyAll(); // the journal thread
    }

    /**
     * Waits (the lock let go meanwhile) until every change up to {@code rev} is on disk; an
     * IOException if the sync failed. Not interruptible: the outcome of a write in progress is
     * known only once its sync is done, so an interrupted caller waits for it and keeps its interrupt.
     */
    private void awaitSynced(long rev) throws IOException {
        boolean interrupted = false;
        try {
            while (synced < rev && syncFailure == null) {
                try {
                    wait();
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
        if (synced < rev) {
            throw new IOException(where + ": cannot record a change: syncing the journal failed: "
                + syncFailure.getMessage(), syncFailure);
        }
    }

    /**
     * The journal thread: forces every record written since the last sync to disk with one
     * fsync, then (under the lock) hands those changes to the history and the watches, wakes
     * their callers, and compacts when due. Runs until the store is closed and nothing waits.
     */
    private void syncLoop() {
        for (;;) {
            long target;
            synchronized (this) {
                while (synced == written && !closed) {
                    try {
                        wait();
                    } catch (InterruptedException e) {
                        // never interrupted by the store; go on until closed
                    }
                }
                if (synced == written) {
                    return; // closed, nothing left to sync
                }
                target = written;
            }
            IOException failure = null;
            try {
                while (!journal.sync()) {
                    synchronized (this) {
                        journal.reopen(); // an interrupted writer closed the channel: the data is in the page cache
                    }
                }
            } catch (IOException e) {
                failure = e;
            }
            synchronized (this) {
                if (failure == null) {
                    settle(target);
                    compactIfDue();
                } else {
                    failSync(failure);
                }
                notifyAll();
            }
        }
    }

    /** Changes up to {@code target} are on disk: they go to the history and the watches. */
    private void settle(long target) {
        while (!unsynced.isEmpty() && unsynced.peekFirst().change().revision() <= target) {
            changed(unsynced.pollFirst().change());
        }
        synced = Math.max(synced, target);
    }

    /** The sync failed: every unsynced change is taken back, newest first, and the store takes no more changes. */
    private void failSync(IOException failure) {
        syncFailure = failure;
        if (!unsynced.isEmpty()) {
            journal.syncFailed(failure, unsynced.peekFirst().journalStart());
        }
        LOG.error("{}: syncing the journal failed; {} change(s) not recorded and taken back; no more changes until the "
            + "store is opened again: {}", where, unsynced.size(), failure.toString());
        while (!unsynced.isEmpty()) {
            Unsynced u = unsynced.pollLast();
            Ipv4Prefix subnet = u.change().subnet();
            if (u.replaced() == null) {
                leases.remove(subnet);
            } else {
                leases.put(subnet, u.replaced());
            }
        }
        written = synced; // their revisions stay used up
    }

    private void changed(Change change) {
        history.addLast(change);
        while (history.size() > settings.historySize()) {
            historyStart = history.removeFirst().revision();
        }
        for (EmbeddedLeaseWatch w : watches) {
            w.offer(change);
        }
    }

    /**
     * On the journal thread, under the lock, after a good sync. The snapshot holds every lease in
     * memory, the unsynced ones too, and is forced to disk: those are then settled as well. A
     * failed compaction is logged and tried again after the next sync.
     */
    private void compactIfDue() {
        if (journal.records() < settings.compactAfter()) {
            return;
        }
        List<Stored> all = new ArrayList<>(leases.size());
        leases.values().forEach(h -> all.add(h.stored()));
        try {
            journal.compact(revision, all);
            settle(written);
            LOG.debug("{}: compacted {} lease(s) at revision {}", where, all.size(), revision);
        } catch (IOException e) {
            LOG.warn("{}: cannot write the snapshot, the journal keeps growing: {}", where, e.toString());
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
        if (due.isEmpty()) {
            return;
        }
        try {
            delete(due);
            awaitSynced(written);
        } catch (IOException e) {
            if (!expiryFailing) {
                LOG.error("{}: cannot record the expiry of {} lease(s), retrying: {}", where, due.size(), e.getMessage());
                expiryFailing = true;
            }
            return;
        }
        if (expiryFailing) {
            LOG.info("{}: expiry recorded again", where);
            expiryFailing = false;
        }
        LOG.info("{}: {} lease(s) expired: {}", where, due.size(), due.size() <= 10 ? due : due.subList(0, 10) + " ...");
    }

    /**
     * A lease is written only if it reads back as itself: one that does not (a multicast VTEP
     * MAC, a VXLAN lease without a VNI) would make the journal fail to load.
     */
    private static void checkStorable(Lease lease) {
        Lease back;
        try {
            back = LeaseJson.fromTree(LeaseJson.toTree(lease, true), "lease");
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("cannot store " + lease + ": " + e.getMessage(), e);
        }
        if (!back.equals(lease)) {
            throw new IllegalArgumentException("cannot store " + lease + ": it reads back as " + back);
        }
    }

    private static long deadline(long ttlSeconds) {
        return System.nanoTime() + TimeUnit.SECONDS.toNanos(ttlSeconds);
    }

    private static long ttlSeconds(Duration ttl) {
        if (ttl.compareTo(MIN_TTL) < 0 || ttl.compareTo(MAX_TTL) > 0 || ttl.toNanosPart() != 0) {
            throw new IllegalArgumentException("lease TTL " + describe(ttl) + " is out of range (accepted: whole seconds, "
                + MIN_TTL.toSeconds() + "-" + MAX_TTL.toSeconds() + " s)");
        }
        return ttl.toSeconds();
    }

    private static String describe(Duration d) {
        return d.toNanosPart() == 0 ? d.toSeconds() + " s" : d.toString();
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException(where + " is closed");
        }
    }

    private void checkWritable() throws IOException {
        if (syncFailure != null) {
            throw new IOException(where + ": takes no more changes since syncing the journal failed ("
                + syncFailure.getMessage() + "); open the store again to reload it", syncFailure);
        }
    }

    /**
     * Stops expiry, lets the journal thread sync what was written, closes the watches (waiting
     * for listener calls in progress) and the journal.
     */
    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            notifyAll();
        }
        sweeper.shutdown(); // never interrupt it: an interrupt in a FileChannel call closes the journal
        try {
            journalThread.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        for (EmbeddedLeaseWatch w : List.copyOf(watches)) {
            w.close();
        }
        synchronized (this) {
            try {
                journal.close();
            } catch (IOException e) {
                LOG.warn("{}: closing the journal: {}", where, e.toString());
            }
            LOG.info("{}: closed at revision {}", where, revision);
        }
    }
}
