package io.muslin.control.store;

import static org.junit.jupiter.api.Assertions.fail;

import io.muslin.control.lease.Lease;
import io.muslin.dataplane.packet.Ipv4Prefix;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/** A listener that queues what it receives, for tests to wait on (with generous bounds, never timed). */
final class RecordingListener implements LeaseListener {
    /** How long a test waits for an event before failing: generous, this is not a timing test. */
    static final Duration BOUND = Duration.ofSeconds(60);

    sealed interface Event permits Put, Delete, Resync, Bad {
    }

    record Put(Lease lease, long revision) implements Event {
    }

    record Delete(Ipv4Prefix subnet, long revision) implements Event {
    }

    record Resync(LeaseStore.Snapshot snapshot) implements Event {
    }

    record Bad(LeaseStore.Malformed entry, long revision) implements Event {
    }

    private final LinkedBlockingQueue<Event> events = new LinkedBlockingQueue<>();
    /** Everything taken from the queue so far, in order. */
    final List<Event> seen = new ArrayList<>();
    volatile Thread thread;

    @Override
    public void put(Lease lease, long revision) {
        add(new Put(lease, revision));
    }

    @Override
    public void delete(Ipv4Prefix subnet, long revision) {
        add(new Delete(subnet, revision));
    }

    @Override
    public void resync(LeaseStore.Snapshot snapshot) {
        add(new Resync(snapshot));
    }

    @Override
    public void malformed(LeaseStore.Malformed entry, long revision) {
        add(new Bad(entry, revision));
    }

    private void add(Event event) {
        thread = Thread.currentThread();
        events.add(event);
    }

    /** The next event if one is queued now, else null. */
    Event poll() {
        return events.poll();
    }

    /** Waits for the next event; fails after {@link #BOUND}. */
    Event next() throws InterruptedException {
        Event e = events.poll(BOUND.toMillis(), TimeUnit.MILLISECONDS);
        if (e == null) {
            fail("no lease event within " + BOUND + "; seen so far: " + seen);
        }
        seen.add(e);
        return e;
    }

    /** Waits for an event of {@code type}, skipping others; fails after {@link #BOUND}. */
    <T extends Event> T next(Class<T> type, Predicate<T> matching) throws InterruptedException {
        long deadline = System.nanoTime() + BOUND.toNanos();
        while (System.nanoTime() < deadline) {
            Event e = events.poll(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            if (e == null) {
                break;
            }
            seen.add(e);
            if (type.isInstance(e) && matching.test(type.cast(e))) {
                return type.cast(e);
            }
        }
        return fail("no matching " + type.getSimpleName() + " event within " + BOUND + "; seen: " + seen);
    }

    /** What has arrived and not been taken yet, without waiting. */
    List<Event> pending() {
        List<Event> out = new ArrayList<>();
        events.drainTo(out);
        seen.addAll(out);
        return out;
    }
}
