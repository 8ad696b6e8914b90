package io.muslin.control.hub.server;

import io.muslin.control.hub.protocol.HubFrames;
import io.muslin.control.hub.protocol.HubMessage;
import io.muslin.control.hub.protocol.HubMessage.Delete;
import io.muslin.control.hub.protocol.HubMessage.Put;
import io.muslin.control.hub.protocol.HubMessage.Resync;
import io.muslin.control.lease.Lease;
import io.muslin.control.store.LeaseListener;
import io.muslin.control.store.LeaseStore;
import io.muslin.dataplane.packet.Ipv4Prefix;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.util.ArrayDeque;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Queue;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The hub's copy of its store: every lease at a revision, the most recent changes (so a node
 * that reconnects resumes where it was), and the sessions that follow changes.
 *
 * <p>Fed by one watch on the store ({@link LeaseListener}, one thread). Each change is encoded
 * once and the same bytes are written to every watching session, by one task per event loop
 * that writes to all of that loop's sessions (not one cross-thread write per session) and
 * flushes each once ({@link LoopQueue}). One lock orders changes and
 * subscriptions, so a session sees its backlog (or snapshot) and then every later change, each
 * exactly once, in revision order.
 */
final class HubView implements LeaseListener {
    static final Comparator<Ipv4Prefix> SUBNET_ORDER =
        Comparator.comparingInt((Ipv4Prefix p) -> p.address()).thenComparingInt(Ipv4Prefix::length);

    /** Where a change goes: a session that follows changes. */
    interface Subscriber {
        /** The thread the session's writes run on. */
        Executor loop();

        /** Takes a frame (ownership passes) and queues it for writing; called on {@link #loop()} only. */
        void write(ByteBuf frame);

        /** Writes what {@link #write} queued; called on {@link #loop()} only. */
        void flush();
    }

    private final ByteBufAllocator alloc;
    private final int historySize;
    private final HubStats stats;
    private final TreeMap<Ipv4Prefix, Lease> leases = new TreeMap<>(SUBNET_ORDER);
    /** How many leases each PublicIP holds. */
    private final Map<Integer, Integer> perAddress = new HashMap<>();
    /** VXLAN VTEP MAC → the PublicIP of the lease that has it. */
    private final Map<Long, Integer> macHolder = new HashMap<>();
    /** The most recent changes, each encoded once: fanned out, and written again to sessions that resume. */
    private final ArrayDeque<Change> history = new ArrayDeque<>();

    /** A change at {@code revision} and its frame (owned by the history). */
    private record Change(long revision, ByteBuf frame) {
    }
    /** Watching sessions, by the event loop they write on: a change is one task per loop, not per session. */
    private final Map<Executor, Set<Subscriber>> subscribers = new ConcurrentHashMap<>();
    private final Map<Executor, LoopQueue> queues = new ConcurrentHashMap<>();
    private long revision;
    /** Replies held until the view reaches their write's revision ({@link #whenAt}), lowest revision first. */
    private final PriorityQueue<Waiter> waiters = new PriorityQueue<>(Comparator.comparingLong(Waiter::revision));

    private record Waiter(long revision, Runnable action) {
    }
    /** {@link #snapshotFrame()}'s encoding of the leases now, or null. */
    private ByteBuf snapshot;
    /** Every change with a revision above this one is in {@link #history}. */
    private long historyStart;

    HubView(ByteBufAllocator alloc, int historySize, HubStats stats) {
        this.alloc = alloc;
        this.historySize = historySize;
        this.stats = stats;
    }

    /** Replaces everything with a listing of the store (at start). */
    synchronized void load(LeaseStore.Snapshot snapshot) {
        forgetSnapshot();
        leases.clear();
        perAddress.clear();
        macHolder.clear();
        snapshot.leases().forEach(l -> counted(leases.put(l.subnet(), l), l));
        revision = snapshot.revision();
        forgetHistory();
        historyStart = revision;
        reached();
    }

    synchronized long revision() {
        return revision;
    }

    synchronized int size() {
        return leases.size();
    }

    /** Every lease, in subnet order, and the revision they are at. */
    synchronized LeaseStore.Snapshot snapshot() {
        return new LeaseStore.Snapshot(revision, List.copyOf(leases.values()), List.of());
    }

    /** How many leases other than {@code except}'s carry {@code publicIp}. */
    synchronized int countHeldBy(int publicIp, Ipv4Prefix except) {
        Lease same = leases.get(except);
        return perAddress.getOrDefault(publicIp, 0) - (same != null && same.publicIp() == publicIp ? 1 : 0);
    }

    /** The PublicIP of another lease with VXLAN VTEP MAC {@code mac} than {@code publicIp}'s, or null. */
    synchronized Integer vtepMacHolder(long mac, int publicIp) {
        Integer holder = macHolder.get(mac);
        return holder != null && holder != publicIp ? holder : null;
    }

    /** Keeps {@link #perAddress} and {@link #macHolder} with {@link #leases}: {@code old} replaced by {@code now} (either may be null). */
    private void counted(Lease old, Lease now) {
        if (old != null) {
            perAddress.merge(old.publicIp(), -1, (a, b) -> a + b == 0 ? null : a + b);
            if (old.isVxlan()) {
                macHolder.remove(old.vtepMac(), old.publicIp());
            }
        }
        if (now != null) {
            perAddress.merge(now.publicIp(), 1, Integer::sum);
            if (now.isVxlan()) {
                macHolder.put(now.vtepMac(), now.publicIp());
            }
        }
    }

    /** The lease now held for {@code subnet}, or null. */
    synchronized Lease lease(Ipv4Prefix subnet) {
        return leases.get(subnet);
    }

    @Override
    public synchronized void put(Lease lease, long rev) {
        counted(leases.put(lease.subnet(), lease), lease);
        change(new Put(rev, lease), rev);
    }

    @Override
    public synchronized void delete(Ipv4Prefix subnet, long rev) {
        Lease gone = leases.remove(subnet);
        if (gone != null) {
            counted(gone, null);
            change(new Delete(rev, subnet), rev);
        } else if (rev > revision) {
            forgetSnapshot();
            revision = rev;
            reached();
        }
    }

    /** The store fell behind compaction and listed again: every session gets the new listing. */
    @Override
    public synchronized void resync(LeaseStore.Snapshot snapshot) {
        load(snapshot);
        ByteBuf frame = HubFrames.frame(alloc, new Resync(revision, List.copyOf(leases.values())));
        try {
            fanOut(frame);
        } finally {
            frame.release();
        }
    }

    private void change(HubMessage message, long rev) {
        forgetSnapshot();
        revision = Math.max(revision, rev);
        Change c = new Change(rev, HubFrames.frame(alloc, message));
        history.addLast(c);
        while (history.size() > historySize) {
            Change dropped = history.removeFirst();
            dropped.frame().release();
            historyStart = dropped.revision();
        }
        fanOut(c.frame());
        stats.changes.increment();
        reached();
    }

    /**
     * Runs {@code action} once this view has reached {@code rev}: at once if it has, else when
     * the store's watch brings that revision. A session holds the reply to a write here, so that
     * a List it answers afterwards (from this view) shows the write. The action must be quick
     * (it runs under this view's lock, on the watch's thread): hand the reply to an event loop.
     */
    void whenAt(long rev, Runnable action) {
        synchronized (this) {
            if (rev > revision) {
                waiters.add(new Waiter(rev, action));
                stats.repliesHeldForView.increment();
                return;
            }
        }
        action.run();
    }

    /** The revision moved: runs the waiters it has reached. */
    private void reached() {
        while (!waiters.isEmpty() && waiters.peek().revision() <= revision) {
            waiters.poll().action().run();
        }
    }

    /** Queues {@code frame} (borrowed) for every watching session. */
    private void fanOut(ByteBuf frame) {
        subscribers.forEach((loop, sessions) -> {
            if (!sessions.isEmpty()) {
                // the sessions watching now: one that subscribes later has this change in its backlog
                queues.computeIfAbsent(loop, LoopQueue::new).offer(frame.retainedDuplicate(), List.copyOf(sessions));
            }
        });
    }

    private void forgetHistory() {
        Change c;
        while ((c = history.pollFirst()) != null) {
            c.frame().release();
        }
    }

    /**
     * The changes waiting for one event loop's sessions. One task drains it: it writes every
     * waiting change to its sessions, then flushes each session once, so a burst of changes (a
     * thousand nodes joining) costs a session one write system call (one TLS record) per
     * drain, not one per change.
     */
    private final class LoopQueue implements Runnable {
        private record Pending(ByteBuf frame, List<Subscriber> targets) {
        }

        private final Executor loop;
        private final Queue<Pending> pending = new ConcurrentLinkedQueue<>();
        private final AtomicBoolean scheduled = new AtomicBoolean();

        LoopQueue(Executor loop) {
            this.loop = loop;
        }

        /** Takes ownership of {@code frame}. */
        void offer(ByteBuf frame, List<Subscriber> targets) {
            pending.add(new Pending(frame, targets));
            if (scheduled.compareAndSet(false, true)) {
                try {
                    loop.execute(this);
                } catch (RejectedExecutionException e) {
                    scheduled.set(false);
                    drop(); // the hub is stopping
                }
            }
        }

        @Override
        public void run() {
            scheduled.set(false);
            Set<Subscriber> written = Collections.newSetFromMap(new IdentityHashMap<>());
            Pending p;
            while ((p = pending.poll()) != null) {
                try {
                    for (Subscriber s : p.targets()) {
                        s.write(p.frame().retainedDuplicate());
                        written.add(s);
                    }
                    stats.framesFannedOut.add(p.targets().size());
                } finally {
                    p.frame().release();
                }
            }
            written.forEach(Subscriber::flush);
        }

        private void drop() {
            Pending p;
            while ((p = pending.poll()) != null) {
                p.frame().release();
            }
        }
    }

    /**
     * Starts sending changes to {@code subscriber}: the changes from revision {@code from} if
     * the history still has them all, else a {@link Resync} with every lease; then each change
     * as it happens. {@code from} 0, or a revision this hub has not reached, gets a Resync too.
     *
     * Called on the subscriber's event loop, so its backlog is written before any change queued
     * for it afterwards.
     *
     * @return true if the session resumed from its revision, false if it got a snapshot
     */
    synchronized boolean subscribe(Subscriber subscriber, long from) {
        boolean resume = from > historyStart && from <= revision + 1;
        if (resume) {
            // the frames encoded when the changes happened: no encoding here, under this lock
            for (Change c : history) {
                if (c.revision() >= from) {
                    subscriber.write(c.frame().retainedDuplicate());
                }
            }
            subscriber.flush();
            stats.resumed.increment();
        } else {
            subscriber.write(snapshotFrame().retainedDuplicate());
            subscriber.flush();
            stats.snapshotsSent.increment();
        }
        subscribers.computeIfAbsent(subscriber.loop(), l -> ConcurrentHashMap.newKeySet()).add(subscriber);
        return resume;
    }

    /**
     * The Resync of every lease now, encoded once per revision: a thousand nodes reconnecting
     * after a hub restart cost one encoding, not a thousand, under this lock.
     */
    private ByteBuf snapshotFrame() {
        if (snapshot == null) {
            snapshot = HubFrames.frame(alloc, new Resync(revision, List.copyOf(leases.values())));
        }
        return snapshot;
    }

    /** The leases changed: the next snapshot is encoded afresh. */
    private void forgetSnapshot() {
        if (snapshot != null) {
            snapshot.release();
            snapshot = null;
        }
    }

    /** Lets go of the encoded snapshot and history (the hub is stopping). */
    synchronized void close() {
        forgetSnapshot();
        forgetHistory();
        waiters.clear();
    }

    void unsubscribe(Subscriber subscriber) {
        Set<Subscriber> sessions = subscribers.get(subscriber.loop());
        if (sessions != null) {
            sessions.remove(subscriber);
        }
    }

    int subscribers() {
        int n = 0;
        for (Set<Subscriber> sessions : subscribers.values()) {
            n += sessions.size();
        }
        return n;
    }

}
