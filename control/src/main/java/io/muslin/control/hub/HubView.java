package io.muslin.control.hub;

import io.muslin.control.hub.HubMessage.Delete;
import io.muslin.control.hub.HubMessage.Put;
import io.muslin.control.hub.HubMessage.Resync;
import io.muslin.control.lease.Lease;
import io.muslin.control.store.LeaseListener;
import io.muslin.control.store.LeaseStore;
import io.muslin.dataplane.packet.Ipv4Prefix;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The hub's copy of its store: every lease at a revision, the most recent changes (so a node
 * that reconnects resumes where it was), and the sessions that follow changes.
 *
 * <p>Fed by one watch on the store ({@link LeaseListener}, one thread). Each change is encoded
 * once and the same bytes are written to every watching session. One lock orders changes and
 * subscriptions, so a session sees its backlog (or snapshot) and then every later change, each
 * exactly once, in revision order.
 */
final class HubView implements LeaseListener {
    static final Comparator<Ipv4Prefix> SUBNET_ORDER =
        Comparator.comparingInt((Ipv4Prefix p) -> p.address()).thenComparingInt(Ipv4Prefix::length);

    /** Where a change goes: a session that follows changes. */
    interface Subscriber {
        /** Takes a frame (ownership passes); must not block. */
        void send(ByteBuf frame);
    }

    private final ByteBufAllocator alloc;
    private final int historySize;
    private final HubStats stats;
    private final TreeMap<Ipv4Prefix, Lease> leases = new TreeMap<>(SUBNET_ORDER);
    private final ArrayDeque<HubMessage> history = new ArrayDeque<>();
    private final Set<Subscriber> subscribers = ConcurrentHashMap.newKeySet();
    private long revision;
    /** Every change with a revision above this one is in {@link #history}. */
    private long historyStart;

    HubView(ByteBufAllocator alloc, int historySize, HubStats stats) {
        this.alloc = alloc;
        this.historySize = historySize;
        this.stats = stats;
    }

    /** Replaces everything with a listing of the store (at start). */
    synchronized void load(LeaseStore.Snapshot snapshot) {
        leases.clear();
        snapshot.leases().forEach(l -> leases.put(l.subnet(), l));
        revision = snapshot.revision();
        history.clear();
        historyStart = revision;
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

    /** The lease now held for {@code subnet}, or null. */
    synchronized Lease lease(Ipv4Prefix subnet) {
        return leases.get(subnet);
    }

    @Override
    public synchronized void put(Lease lease, long rev) {
        leases.put(lease.subnet(), lease);
        change(new Put(rev, lease), rev);
    }

    @Override
    public synchronized void delete(Ipv4Prefix subnet, long rev) {
        if (leases.remove(subnet) != null) {
            change(new Delete(rev, subnet), rev);
        } else {
            revision = Math.max(revision, rev);
        }
    }

    /** The store fell behind compaction and listed again: every session gets the new listing. */
    @Override
    public synchronized void resync(LeaseStore.Snapshot snapshot) {
        load(snapshot);
        fanOut(new Resync(revision, List.copyOf(leases.values())));
    }

    private void change(HubMessage message, long rev) {
        revision = Math.max(revision, rev);
        history.addLast(message);
        while (history.size() > historySize) {
            HubMessage dropped = history.removeFirst();
            historyStart = revisionOf(dropped);
        }
        fanOut(message);
        stats.changes.increment();
    }

    private void fanOut(HubMessage message) {
        if (subscribers.isEmpty()) {
            return;
        }
        ByteBuf frame = HubFrames.frame(alloc, message);
        try {
            for (Subscriber s : subscribers) {
                s.send(frame.retainedDuplicate());
            }
            stats.framesFannedOut.add(subscribers.size());
        } finally {
            frame.release();
        }
    }

    /**
     * Starts sending changes to {@code subscriber}: the changes from revision {@code from} if
     * the history still has them all, else a {@link Resync} with every lease; then each change
     * as it happens. {@code from} 0, or a revision this hub has not reached, gets a Resync too.
     *
     * @return true if the session resumed from its revision, false if it got a snapshot
     */
    synchronized boolean subscribe(Subscriber subscriber, long from) {
        boolean resume = from > historyStart && from <= revision + 1;
        if (resume) {
            List<HubMessage> backlog = new ArrayList<>();
            for (HubMessage m : history) {
                if (revisionOf(m) >= from) {
                    backlog.add(m);
                }
            }
            for (HubMessage m : backlog) {
                subscriber.send(HubFrames.frame(alloc, m));
            }
            stats.resumed.increment();
        } else {
            subscriber.send(HubFrames.frame(alloc, new Resync(revision, List.copyOf(leases.values()))));
            stats.snapshotsSent.increment();
        }
        subscribers.add(subscriber);
        return resume;
    }

    void unsubscribe(Subscriber subscriber) {
        subscribers.remove(subscriber);
    }

    int subscribers() {
        return subscribers.size();
    }

    private static long revisionOf(HubMessage m) {
        return switch (m) {
            case Put p -> p.revision();
            case Delete d -> d.revision();
            default -> throw new IllegalStateException("not a change: " + m.type());
        };
    }
}
