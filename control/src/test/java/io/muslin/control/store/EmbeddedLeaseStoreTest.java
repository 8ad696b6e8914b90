package io.muslin.control.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.muslin.control.lease.Lease;
import io.muslin.control.store.RecordingListener.Delete;
import io.muslin.control.store.RecordingListener.Put;
import io.muslin.control.store.RecordingListener.Resync;
import io.muslin.dataplane.packet.Ipv4Address;
import io.muslin.dataplane.packet.Ipv4Prefix;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** {@link EmbeddedLeaseStore}'s semantics and watches; what it keeps on disk is {@link EmbeddedLeaseStoreDiskTest}'s. */
class EmbeddedLeaseStoreTest {
    static final Duration TTL = Duration.ofMinutes(10);
    static final Optional<String> NET_CONF = Optional.of("{\"Network\":\"10.244.0.0/16\"}");
    @TempDir
    Path dir;
    private final List<AutoCloseable> open = new ArrayList<>();

    @AfterEach
    void closeAll() throws Exception {
        for (AutoCloseable c : open.reversed()) {
            c.close();
        }
    }

    private EmbeddedLeaseStore store() throws IOException {
        return store(EmbeddedLeaseStore.Settings.of(dir, NET_CONF));
    }

    private EmbeddedLeaseStore store(EmbeddedLeaseStore.Settings settings) throws IOException {
        EmbeddedLeaseStore s = EmbeddedLeaseStore.open(settings);
        open.add(s);
        return s;
    }

    private RecordingListener watch(LeaseStore store, long fromRevision) {
        RecordingListener events = new RecordingListener();
        open.add(store.watch(fromRevision, events));
        return events;
    }

    /** What a listener does with a put; it ignores deletes and resyncs. */
    interface OnPut {
        void put(Lease lease, long revision) throws Exception;
    }

    private static LeaseListener onPut(OnPut action) {
        return new LeaseListener() {
            @Override
            public void put(Lease lease, long revision) {
                try {
                    action.put(lease, revision);
                } catch (RuntimeException e) {
                    throw e;
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }

            @Override
            public void delete(Ipv4Prefix subnet, long revision) {
            }

            @Override
            public void resync(LeaseStore.Snapshot snapshot) {
            }
        };
    }

    /** Subnet 10.244.n.0/24 held by 192.168.50.ip. */
    static Lease lease(int n, int ip) {
        return Lease.vxlan(Ipv4Prefix.parse("10.244." + n + ".0/24"), Ipv4Address.parse("192.168.50." + ip), 1,
            0x6e7573000000L + ip);
    }

    /** {@link #lease} with another VTEP MAC: the same node's lease, changed. */
    static Lease changed(Lease lease) {
        return Lease.vxlan(lease.subnet(), lease.publicIp(), 1, lease.vtepMac() + 0x100);
    }

    @Test
    void acquireTakeOverAndRefusal() throws Exception {
        EmbeddedLeaseStore s = store();
        assertTrue(s.acquire(lease(1, 1), TTL));
        assertFalse(s.acquire(lease(1, 2), TTL), "held by another PublicIP");
        assertEquals(List.of(lease(1, 1)), s.list().leases(), "a refusal changes nothing");
        assertEquals(1, s.list().revision());
        Lease again = changed(lease(1, 1));
        assertTrue(s.acquire(again, TTL), "same PublicIP: ours, taken over");
        assertEquals(List.of(again), s.list().leases());
        assertEquals(2, s.list().revision());
        assertTrue(s.acquire(again, TTL), "the same value again");
        assertEquals(2, s.list().revision(), "an unchanged value and TTL is not written again");
        assertEquals(NET_CONF, s.networkConfig());
    }

    @Test
    void renewNeedsTheSamePublicIpAndALiveLease() throws Exception {
        EmbeddedLeaseStore s = store();
        LeaseLostException never = assertThrows(LeaseLostException.class, () -> s.renew(lease(1, 1)));
        assertEquals("lost 10.244.1.0/24: it expired or was released", never.getMessage());
        assertTrue(s.acquire(lease(1, 1), TTL));
        s.renew(lease(1, 1));
        assertEquals(1, s.list().revision(), "a renewal that changes nothing writes nothing");
        LeaseLostException e = assertThrows(LeaseLostException.class, () -> s.renew(lease(1, 2)));
        assertEquals("lost 10.244.1.0/24: it is held by 192.168.50.1", e.getMessage());
        s.renew(changed(lease(1, 1)));
        assertEquals(List.of(changed(lease(1, 1))), s.list().leases(), "a changed value is written on renewal");
        assertEquals(2, s.list().revision());
        assertFalse(s.release(lease(1, 2).subnet(), lease(1, 2).publicIp()), "another PublicIP's release deletes nothing");
        assertEquals(List.of(changed(lease(1, 1))), s.list().leases());
        assertEquals(2, s.list().revision());
        assertTrue(s.release(lease(1, 1).subnet(), lease(1, 1).publicIp()));
        assertFalse(s.release(lease(1, 1).subnet(), lease(1, 1).publicIp()));
        assertEquals(3, s.list().revision(), "release is idempotent");
        assertThrows(LeaseLostException.class, () -> s.renew(lease(1, 1)));
    }

    @Test
    void anotherStoreInstanceMayRenew() throws Exception {
        EmbeddedLeaseStore s = store();
        assertTrue(s.acquire(lease(1, 1), TTL));
        s.close();
        EmbeddedLeaseStore restarted = store();
        restarted.renew(lease(1, 1)); // the hub restarted: no acquire through this instance
        assertEquals(List.of(lease(1, 1)), restarted.list().leases());
    }

    @ParameterizedTest
    @ValueSource(strings = {"PT0S", "PT0.5S", "PT1.5S", "PT24H0.001S", "PT168H1S", "PT8760H", "PT-1S"})
    void ttlOutOfRangeNamesTheRange(String ttl) throws Exception {
        EmbeddedLeaseStore s = store();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
            () -> s.acquire(lease(1, 1), Duration.parse(ttl)));
        assertTrue(e.getMessage().startsWith("lease TTL "), e.getMessage());
        assertTrue(e.getMessage().endsWith(" is out of range (accepted: whole seconds, 1-604800 s)"), e.getMessage());
        assertEquals(List.of(), s.list().leases());
    }

    @Test
    void ttlRangeEndsAreAccepted() throws Exception {
        EmbeddedLeaseStore s = store();
        assertTrue(s.acquire(lease(1, 1), Duration.ofSeconds(1)));
        assertTrue(s.acquire(lease(2, 2), Duration.ofDays(7)));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
            () -> s.acquire(lease(3, 3), Duration.ofDays(7).plusSeconds(1)));
        assertEquals("lease TTL 604801 s is out of range (accepted: whole seconds, 1-604800 s)", e.getMessage());
    }

    @Test
    void settingsAreValidated() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
            () -> EmbeddedLeaseStore.Settings.of(dir, NET_CONF).withHistorySize(0));
        assertEquals("historySize: 0 is out of range (accepted: 1 or more)", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> EmbeddedLeaseStore.Settings.of(dir, NET_CONF).withCompactAfter(-1));
        assertEquals("compactAfter: -1 is out of range (accepted: 1 or more)", e.getMessage());
    }

    @Test
    void listIsInAddressOrderThenLength() throws Exception {
        EmbeddedLeaseStore s = store();
        List<String> subnets = List.of("192.168.7.0/24", "10.244.10.0/24", "10.244.2.0/24", "10.244.0.0/16",
            "10.244.0.0/24", "172.16.0.0/24", "255.255.255.0/24");
        for (int i = 0; i < subnets.size(); i++) {
            Lease l = Lease.vxlan(Ipv4Prefix.parse(subnets.get(i)), Ipv4Address.parse("192.168.50." + (i + 1)), 1, i + 1);
            assertTrue(s.acquire(l, TTL));
        }
        assertEquals(List.of("10.244.0.0/16", "10.244.0.0/24", "10.244.2.0/24", "10.244.10.0/24", "172.16.0.0/24",
            "192.168.7.0/24", "255.255.255.0/24"), s.list().leases().stream().map(l -> l.subnet().toString()).toList());
    }

    @Test
    void anUnrenewedLeaseExpiresAsADeleteEvent() throws Exception {
        EmbeddedLeaseStore s = store();
        RecordingListener events = watch(s, 1);
        assertTrue(s.acquire(lease(2, 2), TTL));
        assertTrue(s.acquire(lease(1, 1), Duration.ofSeconds(1)));
        assertEquals(new Put(lease(2, 2), 1), events.next());
        assertEquals(new Put(lease(1, 1), 2), events.next());
        assertEquals(new Delete(lease(1, 1).subnet(), 3), events.next());
        assertEquals(List.of(lease(2, 2)), s.list().leases());
        assertEquals(3, s.list().revision());
        assertThrows(LeaseLostException.class, () -> s.renew(lease(1, 1)));
        assertTrue(events.thread.getName().startsWith("muslin-store-watch"), events.thread.getName());
    }

    @Test
    void leasesDueTogetherExpireWithOneRevisionEach() throws Exception {
        EmbeddedLeaseStore s = store();
        RecordingListener events = watch(s, 1);
        int n = 30;
        for (int i = 1; i <= n; i++) {
            assertTrue(s.acquire(lease(i, i), Duration.ofSeconds(1)));
        }
        // The first may expire before the last is taken: check the order per subnet, not overall.
        List<Ipv4Prefix> taken = new ArrayList<>();
        List<Ipv4Prefix> deleted = new ArrayList<>();
        for (long rev = 1; rev <= 2L * n; rev++) {
            RecordingListener.Event e = events.next();
            if (e instanceof Put p) {
                assertEquals(rev, p.revision());
                taken.add(p.lease().subnet());
            } else {
                Delete d = assertInstanceOf(Delete.class, e);
                assertEquals(rev, d.revision(), "one revision per delete, in order");
                assertTrue(taken.contains(d.subnet()) && !deleted.contains(d.subnet()), d.toString());
                deleted.add(d.subnet());
            }
        }
        assertEquals(new LeaseStore.Snapshot(2L * n, List.of(), List.of()), s.list());
    }

    @Test
    void aRenewedLeaseOutlivesItsTtl() throws Exception {
        EmbeddedLeaseStore s = store();
        RecordingListener events = watch(s, 1);
        assertTrue(s.acquire(lease(1, 1), Duration.ofSeconds(2)));
        for (int i = 0; i < 8; i++) {
            Thread.sleep(400);
            s.renew(lease(1, 1));
        }
        assertEquals(List.of(lease(1, 1)), s.list().leases());
        assertEquals(List.of(new Put(lease(1, 1), 1)), events.pending(), "renewals are no events");
    }

    @Test
    void watchReplaysFromARevisionInOrderThenFollows() throws Exception {
        EmbeddedLeaseStore s = store();
        for (int n = 1; n <= 5; n++) {
            assertTrue(s.acquire(lease(n, n), TTL));
        }
        s.release(lease(2, 2).subnet(), lease(2, 2).publicIp());
        RecordingListener events = watch(s, 4);
        assertEquals(new Put(lease(4, 4), 4), events.next());
        assertEquals(new Put(lease(5, 5), 5), events.next());
        assertEquals(new Delete(lease(2, 2).subnet(), 6), events.next());
        assertTrue(s.acquire(lease(9, 9), TTL));
        assertEquals(new Put(lease(9, 9), 7), events.next());
    }

    @Test
    void aWatchFromARevisionNotReachedYetWaitsForIt() throws Exception {
        EmbeddedLeaseStore s = store();
        assertTrue(s.acquire(lease(1, 1), TTL));
        RecordingListener events = watch(s, 4);
        assertTrue(s.acquire(lease(2, 2), TTL));
        assertTrue(s.acquire(lease(3, 3), TTL));
        assertTrue(s.acquire(lease(4, 4), TTL));
        assertEquals(new Put(lease(4, 4), 4), events.next(), "revisions 2 and 3 are before the watch");
        RecordingListener current = watch(s, s.list().revision() + 1);
        s.release(lease(1, 1).subnet(), lease(1, 1).publicIp());
        assertEquals(new Delete(lease(1, 1).subnet(), 5), events.next());
        assertEquals(new Delete(lease(1, 1).subnet(), 5), current.next());
        assertThrows(IllegalArgumentException.class, () -> s.watch(0, new RecordingListener()));
    }

    @Test
    void aRevisionOlderThanTheHistoryGetsAResync() throws Exception {
        EmbeddedLeaseStore s = store(EmbeddedLeaseStore.Settings.of(dir, NET_CONF).withHistorySize(2));
        for (int n = 1; n <= 5; n++) {
            assertTrue(s.acquire(lease(n, n), TTL));
        }
        RecordingListener kept = watch(s, 4);
        assertEquals(new Put(lease(4, 4), 4), kept.next(), "revisions 4 and 5 are still kept");
        RecordingListener events = watch(s, 3);
        Resync r = assertInstanceOf(Resync.class, events.next());
        assertEquals(5, r.snapshot().revision());
        assertEquals(5, r.snapshot().leases().size());
        assertTrue(s.acquire(lease(6, 6), TTL));
        assertEquals(new Put(lease(6, 6), 6), events.next());
        assertEquals(List.of(), events.pending(), "nothing from before the resync follows it");
    }

    @Test
    void aListenerThatThrowsDoesNotStopItsWatch() throws Exception {
        EmbeddedLeaseStore s = store();
        RecordingListener events = new RecordingListener();
        open.add(s.watch(1, onPut((lease, revision) -> {
            events.put(lease, revision);
            if (revision == 1) {
                throw new IllegalStateException("listener bug (expected by the test)");
            }
        })));
        assertTrue(s.acquire(lease(1, 1), TTL));
        assertTrue(s.acquire(lease(2, 2), TTL));
        assertEquals(new Put(lease(1, 1), 1), events.next());
        assertEquals(new Put(lease(2, 2), 2), events.next());
    }

    @Test
    void aListenerMayCallTheStore() throws Exception {
        EmbeddedLeaseStore s = store();
        RecordingListener seen = new RecordingListener();
        open.add(s.watch(1, onPut((lease, revision) -> {
            seen.resync(s.list());
            if (revision == 1) {
                assertTrue(s.acquire(lease(2, 2), TTL));
            }
        })));
        assertTrue(s.acquire(lease(1, 1), TTL));
        assertInstanceOf(Resync.class, seen.next());
        assertEquals(2, assertInstanceOf(Resync.class, seen.next()).snapshot().leases().size());
    }

    @Test
    void concurrentAcquiresOfOneSubnetHaveOneWinner() throws Exception {
        EmbeddedLeaseStore s = store();
        RecordingListener events = watch(s, 1);
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            CountDownLatch go = new CountDownLatch(1);
            List<Future<Boolean>> results = new ArrayList<>();
            for (int i = 1; i <= 8; i++) {
                int ip = i;
                results.add(pool.submit(() -> {
                    go.await();
                    return s.acquire(lease(7, ip), TTL);
                }));
            }
            go.countDown();
            int winners = 0;
            for (Future<Boolean> f : results) {
                winners += f.get() ? 1 : 0;
            }
            assertEquals(1, winners);
        } finally {
            pool.shutdown();
        }
        assertEquals(1, s.list().leases().size());
        assertEquals(1, s.list().revision());
        assertEquals(s.list().leases().getFirst(), assertInstanceOf(Put.class, events.next()).lease());
    }

    @Test
    void concurrentChangesReachAWatchInRevisionOrder() throws Exception {
        EmbeddedLeaseStore s = store();
        RecordingListener events = watch(s, 1);
        int threads = 4;
        int each = 25;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int base = t * each;
                done.add(pool.submit(() -> {
                    for (int i = 1; i <= each; i++) {
                        s.acquire(lease(base + i, base + i), TTL);
                        if (i % 5 == 0) {
                            s.release(lease(base + i, base + i).subnet(), lease(base + i, base + i).publicIp());
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get();
            }
        } finally {
            pool.shutdown();
        }
        long total = s.list().revision();
        assertEquals(threads * each + threads * each / 5, total);
        for (long rev = 1; rev <= total; rev++) {
            RecordingListener.Event e = events.next();
            assertEquals(rev, e instanceof Put p ? p.revision() : assertInstanceOf(Delete.class, e).revision());
        }
        assertEquals(threads * each * 4 / 5, s.list().leases().size());
    }

    @Test
    void closeStopsWatches() throws Exception {
        EmbeddedLeaseStore s = store();
        RecordingListener closedByHand = new RecordingListener();
        LeaseStore.Watch w = s.watch(1, closedByHand);
        RecordingListener closedWithStore = watch(s, 1);
        assertTrue(s.acquire(lease(1, 1), TTL));
        assertEquals(new Put(lease(1, 1), 1), closedByHand.next());
        assertEquals(new Put(lease(1, 1), 1), closedWithStore.next());
        w.close();
        w.close();
        assertTrue(s.acquire(lease(2, 2), TTL));
        assertEquals(new Put(lease(2, 2), 2), closedWithStore.next());
        s.close();
        assertThrows(IllegalStateException.class, () -> s.acquire(lease(3, 3), TTL));
        assertThrows(IllegalStateException.class, () -> s.watch(1, new RecordingListener()));
        assertNull(closedByHand.poll(), "nothing after Watch.close()");
        assertNull(closedWithStore.poll(), "nothing after the store's close()");
    }

    @Test
    void closeWaitsForACallInProgressAndDropsTheRest() throws Exception {
        EmbeddedLeaseStore s = store();
        RecordingListener events = new RecordingListener();
        CountDownLatch release = new CountDownLatch(1);
        LeaseStore.Watch w = s.watch(1, onPut((lease, revision) -> {
            events.put(lease, revision);
            release.await();
        }));
        open.add(w);
        for (int n = 1; n <= 3; n++) {
            assertTrue(s.acquire(lease(n, n), TTL));
        }
        assertEquals(new Put(lease(1, 1), 1), events.next()); // in progress, 2 and 3 queued
        Thread closer = Thread.ofPlatform().start(w::close);
        while (closer.getState() != Thread.State.TIMED_WAITING && closer.isAlive()) {
            Thread.onSpinWait(); // close() has marked the watch closed and waits for the call
        }
        assertTrue(closer.isAlive(), "close() returned while a listener call was in progress");
        release.countDown();
        closer.join(RecordingListener.BOUND.toMillis());
        assertFalse(closer.isAlive());
        assertNull(events.poll(), "no call starts after close() returns");
    }

    @Test
    void aListenerMayCloseItsOwnWatch() throws Exception {
        EmbeddedLeaseStore s = store();
        RecordingListener events = new RecordingListener();
        LeaseStore.Watch[] self = new LeaseStore.Watch[1];
        CountDownLatch bothQueued = new CountDownLatch(1);
        self[0] = s.watch(1, onPut((lease, revision) -> {
            bothQueued.await();
            events.put(lease, revision);
            self[0].close(); // must not wait for itself
        }));
        open.add(self[0]);
        assertTrue(s.acquire(lease(1, 1), TTL));
        assertTrue(s.acquire(lease(2, 2), TTL));
        bothQueued.countDown();
        assertEquals(new Put(lease(1, 1), 1), events.next());
        RecordingListener later = watch(s, 3);
        assertTrue(s.acquire(lease(3, 3), TTL));
        assertEquals(new Put(lease(3, 3), 3), later.next());
        TimeUnit.MILLISECONDS.sleep(100);
        assertNull(events.poll(), "revision 2, queued before the close, is dropped");
    }
}
