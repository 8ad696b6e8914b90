package io.muslin.control.hub.server;

import io.muslin.control.hub.protocol.HubFrames;
import io.muslin.control.hub.protocol.HubMessage;
import io.muslin.control.hub.protocol.HubMessage.Delete;
import io.muslin.control.hub.protocol.HubMessage.Leases;
import io.muslin.control.hub.protocol.HubMessage.Put;
import io.muslin.control.hub.protocol.HubMessage.Reply;
import io.muslin.control.hub.protocol.HubMessage.Resync;
import io.muslin.control.hub.protocol.HubMessage.Status;
import io.muslin.control.lease.Lease;
import io.muslin.control.store.LeaseListener;
import io.muslin.control.store.LeaseStore;
import io.muslin.dataplane.packet.Ipv4Prefix;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
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
 * that hands all of that loop's pending changes to each of its sessions and then lets each
 * write them at once ({@link LoopQueue}; the session coalesces them into one write). One lock
 * orders changes and subscriptions, so a session sees its backlog (or snapshot) and then every
 * later change, each exactly once, in revision order.
 *
 * <p>Snapshots (a Resync, a List's reply) are sent in chunks: the leases are kept in groups of
 * at most {@link #CHUNK_SUBNETS} subnets of one length, each group's {@code Leases} frame encoded
 * once and shared by every session until a lease in that group changes. A join re-encodes one
 * chunk, not the whole table; no frame grows with the network; and a session holds references
 * to shared chunks, not copies ({@link SessionOutput}).
 */
final class HubView implements LeaseListener {
    /**
     * Subnets (of one prefix length, consecutive) per chunk: 2^6 = 64, a frame of about 9-13 KB.
     * A change makes its chunk be encoded again at the next snapshot, so in a storm of joins
     * each join costs an encoding of up to 64 leases, whatever the network's size.
     */
    static final int CHUNK_BITS = 6;
    static final int CHUNK_SUBNETS = 1 << CHUNK_BITS;

    /** Where a change goes: a session that follows changes. */
    interface Subscriber {
        /** The thread the session's writes run on. */
        Executor loop();

        /**
         * Takes a frame (ownership passes) and queues it for writing; called on {@link #loop()}
         * only. {@code shared}: a snapshot chunk that other sessions hold too (it does not count
         * towards what one slow session may make the hub hold).
         */
        void write(ByteBuf frame, boolean shared);

        /** Writes what {@link #write} queued; called on {@link #loop()} only. */
        void flush();
    }

    /** A frame to write and whether it is a shared snapshot chunk. */
    record Out(ByteBuf frame, boolean shared) {
    }

    /** One group of leases and its encoded frame (null until asked for, and again after a change). */
    private static final class Chunk {
        final TreeMap<Ipv4Prefix, Lease> leases = new TreeMap<>(SUBNET_ORDER);
        ByteBuf frame;

        void changed() {
            if (frame != null) {
                frame.release();
                frame = null;
            }
        }
    }

    static final Comparator<Ipv4Prefix> SUBNET_ORDER =
        Comparator.comparingInt((Ipv4Prefix p) -> p.address()).thenComparingInt(Ipv4Prefix::length);

    private final ByteBufAllocator alloc;
    private final int historySize;
    private final HubStats stats;
    private final TreeMap<Ipv4Prefix, Lease> leases = new TreeMap<>(SUBNET_ORDER);
    /** The same leases by chunk ({@link #chunkOf}), in key order. */
    private final TreeMap<Long, Chunk> chunks = new TreeMap<>();
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
    /** Every change with a revision above this one is in {@link #history}. */
    private long historyStart;

    HubView(ByteBufAllocator alloc, int historySize, HubStats stats) {
        this.alloc = alloc;
        this.historySize = historySize;
        this.stats = stats;
    }

    /** Replaces everything with a listing of the store (at start, and on a store's resync). */
    synchronized void load(LeaseStore.Snapshot snapshot) {
        leases.clear();
        chunks.values().forEach(Chunk::changed);
        chunks.clear();
        perAddress.clear();
        macHolder.clear();
        snapshot.leases().forEach(l -> stored(l.subnet(), l));
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

    /** The lease now held for {@code subnet}, or null. */
    synchronized Lease lease(Ipv4Prefix subnet) {
        return leases.get(subnet);
    }

    /** The chunk {@code subnet} belongs to: its prefix length, then which run of {@link #CHUNK_SUBNETS} subnets. */
    static long chunkOf(Ipv4Prefix subnet) {
        long index = Integer.toUnsignedLong(subnet.address()) >>> (32 - subnet.length());
        return ((long) subnet.length() << 32) | (index >>> CHUNK_BITS);
    }

    /** Sets (or, {@code now} null, removes) the lease for {@code subnet}, keeping the chunks and counts with it. */
    private void stored(Ipv4Prefix subnet, Lease now) {
        Lease old = now == null ? leases.remove(subnet) : leases.put(subnet, now);
        long key = chunkOf(subnet);
        Chunk chunk = chunks.get(key);
        if (now != null) {
            if (chunk == null) {
                chunk = new Chunk();
                chunks.put(key, chunk);
            }
            chunk.leases.put(subnet, now);
            chunk.changed();
        } else if (chunk != null) {
            chunk.leases.remove(subnet);
            chunk.changed();
            if (chunk.leases.isEmpty()) {
                chunks.remove(key);
            }
        }
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

    @Override
    public synchronized void put(Lease lease, long rev) {
        stored(lease.subnet(), lease);
        change(new Put(rev, lease), rev);
    }

    @Override
    public synchronized void delete(Ipv4Prefix subnet, long rev) {
        if (leases.containsKey(subnet)) {
            stored(subnet, null);
            change(new Delete(rev, subnet), rev);
        } else if (rev > revision) {
            revision = rev;
            reached();
        }
    }

    /** The store fell behind compaction and listed again: every session gets the new listing. */
    @Override
    public synchronized void resync(LeaseStore.Snapshot snapshot) {
        load(snapshot);
        List<Out> frames = snapshotFrames(n -> new Resync(revision, List.of(), n));
        subscribers.forEach((loop, sessions) -> {
            if (!sessions.isEmpty()) {
                List<Out> copies = new ArrayList<>(frames.size());
                frames.forEach(o -> copies.add(new Out(o.frame().retainedDuplicate(), o.shared())));
                queues.computeIfAbsent(loop, LoopQueue::new).offer(copies, List.copyOf(sessions));
            }
        });
        frames.forEach(o -> o.frame().release());
    }

    private void change(HubMessage message, long rev) {
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
                queues.computeIfAbsent(loop, LoopQueue::new)
                    .offer(List.of(new Out(frame.retainedDuplicate(), false)), List.copyOf(sessions));
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
     * The changes waiting for one event loop's sessions. One task drains it: it hands every
     * waiting change to its sessions, then has each session write once, so a burst of changes
     * (a thousand nodes joining) costs a session one write and one system call (one TLS record
     * run) per drain, not one per change.
     */
    private final class LoopQueue implements Runnable {
        private record Pending(List<Out> frames, List<Subscriber> targets) {
        }

        private final Executor loop;
        private final Queue<Pending> pending = new ConcurrentLinkedQueue<>();
        private final AtomicBoolean scheduled = new AtomicBoolean();

        LoopQueue(Executor loop) {
            this.loop = loop;
        }

        /** Takes ownership of the frames. */
        void offer(List<Out> frames, List<Subscriber> targets) {
            pending.add(new Pending(frames, targets));
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
                        for (Out o : p.frames()) {
                            s.write(o.frame().retainedDuplicate(), o.shared());
                        }
                        written.add(s);
                    }
                    stats.framesFannedOut.add((long) p.targets().size() * p.frames().size());
                } finally {
                    p.frames().forEach(o -> o.frame().release());
                }
            }
            written.forEach(Subscriber::flush);
        }

        private void drop() {
            Pending p;
            while ((p = pending.poll()) != null) {
                p.frames().forEach(o -> o.frame().release());
            }
        }
    }

    /**
     * Starts sending changes to {@code subscriber}: the changes from revision {@code from} if
     * the history still has them all, else a {@link Resync} with every lease (in chunks); then
     * each change as it happens. {@code from} 0, or a revision this hub has not reached, gets a
     * Resync too.
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
                    subscriber.write(c.frame().retainedDuplicate(), false);
                }
            }
            stats.resumed.increment();
        } else {
            for (Out o : snapshotFrames(n -> new Resync(revision, List.of(), n))) {
                subscriber.write(o.frame(), o.shared());
            }
            stats.snapshotsSent.increment();
        }
        subscriber.flush();
        subscribers.computeIfAbsent(subscriber.loop(), l -> ConcurrentHashMap.newKeySet()).add(subscriber);
        return resume;
    }

    /** The answer to List {@code id}: a Reply naming the revision and how many chunks follow, then the chunks. */
    synchronized List<Out> listReply(long id) {
        return snapshotFrames(n -> new Reply(id, Status.OK, "", revision, List.of(), Optional.empty(), n));
    }

    /**
     * A header made by {@code header} from the number of chunks, then every chunk's frame
     * (encoded now if a lease in it changed since it last was), each frame the caller's to
     * release. Encoding a chunk is the only work here that grows with the leases, and only for
     * chunks that changed.
     */
    private List<Out> snapshotFrames(java.util.function.IntFunction<HubMessage> header) {
        List<Out> out = new ArrayList<>(chunks.size() + 1);
        out.add(new Out(HubFrames.frame(alloc, header.apply(chunks.size())), false));
        for (Chunk c : chunks.values()) {
            if (c.frame == null) {
                c.frame = HubFrames.frame(alloc, new Leases(List.copyOf(c.leases.values())));
                stats.chunksEncoded.increment();
            }
            out.add(new Out(c.frame.retainedDuplicate(), true));
        }
        return out;
    }

    /** Lets go of the encoded chunks and history (the hub is stopping). */
    synchronized void close() {
        chunks.values().forEach(Chunk::changed);
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
