package io.muslin.control.hub.server;

import static org.junit.jupiter.api.Assertions.fail;

import io.muslin.control.lease.Lease;
import io.muslin.control.store.LeaseListener;
import io.muslin.control.store.LeaseStore;
import io.muslin.dataplane.packet.Ipv4Prefix;
import java.io.IOException;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A node's peer table as a watch builds it: puts, deletes and resyncs applied in order. Tests
 * wait (with a generous bound, never timed) for it to hold exactly what they expect.
 */
final class LeaseTable implements LeaseListener {
    static final Duration BOUND = Duration.ofSeconds(60);

    private final Map<Ipv4Prefix, Lease> leases = new HashMap<>();
    final AtomicInteger resyncs = new AtomicInteger();
    final AtomicInteger puts = new AtomicInteger();
    private long lastRevision;
    private boolean outOfOrder;

    /** Lists {@code store}, then watches it from the listing, as a node's peer source does; the watch goes in {@code open}. */
    static LeaseTable follow(LeaseStore store, List<AutoCloseable> open) throws IOException {
        LeaseTable table = new LeaseTable();
        LeaseStore.Snapshot s = store.list();
        table.resync(s);
        open.add(store.watch(s.revision() + 1, table));
        return table;
    }

    @Override
    public synchronized void put(Lease lease, long revision) {
        order(revision);
        leases.put(lease.subnet(), lease);
        puts.incrementAndGet();
        notifyAll();
    }

    @Override
    public synchronized void delete(Ipv4Prefix subnet, long revision) {
        order(revision);
        leases.remove(subnet);
        notifyAll();
    }

    @Override
    public synchronized void resync(LeaseStore.Snapshot snapshot) {
        leases.clear();
        snapshot.leases().forEach(l -> leases.put(l.subnet(), l));
        lastRevision = snapshot.revision();
        resyncs.incrementAndGet();
        notifyAll();
    }

    private void order(long revision) {
        if (revision <= lastRevision) {
            outOfOrder = true;
        }
        lastRevision = revision;
    }

    synchronized Map<Ipv4Prefix, Lease> now() {
        return Map.copyOf(leases);
    }

    /** Waits until the table holds exactly {@code expected}; fails after {@link #BOUND}. */
    synchronized void awaitExactly(Set<Lease> expected) throws InterruptedException {
        long deadline = System.nanoTime() + BOUND.toNanos();
        while (!Set.copyOf(leases.values()).equals(expected)) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                fail("table " + leases.values() + " never became " + expected);
            }
            wait(Math.max(1, left / 1_000_000));
        }
        if (outOfOrder) {
            fail("changes arrived out of revision order or twice");
        }
    }
}
