package io.muslin.control.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.muslin.control.lease.Lease;
import io.muslin.dataplane.packet.Ipv4Address;
import io.muslin.dataplane.packet.Ipv4Prefix;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EmbeddedLeaseStoreTest {
    private static final Duration TTL = Duration.ofMinutes(10);
    @TempDir
    Path dir;
    private final List<AutoCloseable> open = new ArrayList<>();

    @AfterEach
    void closeAll() throws Exception {
        for (int i = open.size() - 1; i >= 0; i--) {
            open.get(i).close();
        }
    }

    private EmbeddedLeaseStore store() throws IOException {
        return store(settings());
    }

    private EmbeddedLeaseStore.Settings settings() {
        return EmbeddedLeaseStore.Settings.of(dir, Optional.of("{\"Network\":\"10.244.0.0/16\"}"));
    }

    private EmbeddedLeaseStore store(EmbeddedLeaseStore.Settings settings) throws IOException {
        EmbeddedLeaseStore s = EmbeddedLeaseStore.open(settings);
        open.add(s);
        return s;
    }

    static Lease lease(int n, int ip) {
        return Lease.vxlan(Ipv4Prefix.parse("10.244." + n + ".0/24"), Ipv4Address.parse("192.168.50." + ip), 1,
            0x6e7573000000L + ip);
    }

    @Test
    void acquireTakeOverAndRefusal() throws Exception {
        EmbeddedLeaseStore s = store();
        assertTrue(s.acquire(lease(1, 1), TTL));
        assertFalse(s.acquire(lease(1, 2), TTL), "held by another PublicIP");
        Lease again = Lease.vxlan(lease(1, 1).subnet(), lease(1, 1).publicIp(), 1, 0x6e75730000aaL);
        assertTrue(s.acquire(again, TTL), "same PublicIP: ours, taken over");
        assertEquals(List.of(again), s.list().leases());
        assertEquals(2, s.list().revision());
        assertEquals(Optional.of("{\"Network\":\"10.244.0.0/16\"}"), s.networkConfig());
    }

    @Test
    void renewNeedsTheSamePublicIpAndALiveLease() throws Exception {
        EmbeddedLeaseStore s = store();
        assertThrows(LeaseLostException.class, () -> s.renew(lease(1, 1)));
        assertTrue(s.acquire(lease(1, 1), TTL));
        s.renew(lease(1, 1));
        assertEquals(1, s.list().revision(), "a renewal that changes nothing writes nothing");
        LeaseLostException e = assertThrows(LeaseLostException.class, () -> s.renew(lease(1, 2)));
        assertEquals("lost 10.244.1.0/24: it is held by 192.168.50.1", e.getMessage());
        s.release(lease(1, 1).subnet());
        s.release(lease(1, 1).subnet());
        assertEquals(2, s.list().revision(), "release is idempotent");
        assertThrows(LeaseLostException.class, () -> s.renew(lease(1, 1)));
    }

    @Test
    void ttlOutOfRangeNamesTheRange() throws Exception {
        EmbeddedLeaseStore s = store();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
            () -> s.acquire(lease(1, 1), Duration.ofDays(2)));
        assertEquals("lease TTL 172800 s is out of range (accepted: whole seconds, 1-86400 s)", e.getMessage());
    }

    @Test
    void anUnrenewedLeaseExpiresAsADeleteEvent() throws Exception {
        EmbeddedLeaseStore s = store();
        RecordingListener events = new RecordingListener();
        open.add(s.watch(1, events));
        assertTrue(s.acquire(lease(1, 1), Duration.ofSeconds(1)));
        assertEquals(new RecordingListener.Put(lease(1, 1), 1), events.next());
        assertEquals(new RecordingListener.Delete(lease(1, 1).subnet(), 2), events.next());
        assertEquals(List.of(), s.list().leases());
        assertThrows(LeaseLostException.class, () -> s.renew(lease(1, 1)));
    }

    @Test
    void aRenewedLeaseOutlivesItsTtl() throws Exception {
        EmbeddedLeaseStore s = store();
        assertTrue(s.acquire(lease(1, 1), Duration.ofSeconds(1)));
        for (int i = 0; i < 6; i++) {
            Thread.sleep(400);
            s.renew(lease(1, 1));
        }
        assertEquals(List.of(lease(1, 1)), s.list().leases());
    }

    @Test
    void watchReplaysFromARevisionInOrderThenFollows() throws Exception {
        EmbeddedLeaseStore s = store();
        for (int n = 1; n <= 5; n++) {
            assertTrue(s.acquire(lease(n, n), TTL));
        }
        s.release(lease(2, 2).subnet());
        RecordingListener events = new RecordingListener();
        open.add(s.watch(4, events));
        assertEquals(new RecordingListener.Put(lease(4, 4), 4), events.next());
        assertEquals(new RecordingListener.Put(lease(5, 5), 5), events.next());
        assertEquals(new RecordingListener.Delete(lease(2, 2).subnet(), 6), events.next());
        assertTrue(s.acquire(lease(9, 9), TTL));
        assertEquals(new RecordingListener.Put(lease(9, 9), 7), events.next());
    }

    @Test
    void aRevisionOlderThanTheHistoryGetsAResync() throws Exception {
        EmbeddedLeaseStore s = store(settings().withHistorySize(2));
        for (int n = 1; n <= 5; n++) {
            assertTrue(s.acquire(lease(n, n), TTL));
        }
        RecordingListener events = new RecordingListener();
        open.add(s.watch(2, events));
        RecordingListener.Resync r = assertInstanceOf(RecordingListener.Resync.class, events.next());
        assertEquals(5, r.snapshot().revision());
        assertEquals(5, r.snapshot().leases().size());
        assertTrue(s.acquire(lease(6, 6), TTL));
        assertEquals(new RecordingListener.Put(lease(6, 6), 6), events.next());
    }

    @Test
    void leasesAndRevisionSurviveARestart() throws Exception {
        EmbeddedLeaseStore s = store();
        for (int n = 1; n <= 3; n++) {
            assertTrue(s.acquire(lease(n, n), TTL));
        }
        s.release(lease(2, 2).subnet());
        s.close();
        EmbeddedLeaseStore again = store();
        assertEquals(List.of(lease(1, 1), lease(3, 3)), again.list().leases());
        assertEquals(4, again.list().revision());
        again.renew(lease(3, 3));
        assertTrue(again.acquire(lease(4, 4), TTL));
        assertEquals(5, again.list().revision(), "revisions never go back");
    }

    @Test
    void aHalfWrittenLastRecordIsCutOffAndTheRestLoads() throws Exception {
        EmbeddedLeaseStore s = store();
        assertTrue(s.acquire(lease(1, 1), TTL));
        assertTrue(s.acquire(lease(2, 2), TTL));
        s.close();
        Path journal = dir.resolve(LeaseJournal.JOURNAL);
        Files.writeString(journal, "{\"Revision\":3,\"TTL\":600,\"Put\":{\"Subnet\":\"10.244", StandardCharsets.UTF_8,
            StandardOpenOption.APPEND);
        EmbeddedLeaseStore again = store();
        assertEquals(List.of(lease(1, 1), lease(2, 2)), again.list().leases());
        assertTrue(again.acquire(lease(3, 3), TTL));
        again.close();
        assertEquals(3, Files.readAllLines(journal).size(), "the broken tail was replaced by the next record");
        assertEquals(3, store().list().leases().size());
    }

    @Test
    void aCorruptRecordInTheMiddleIsAnErrorNamingFileAndLine() throws Exception {
        EmbeddedLeaseStore s = store();
        assertTrue(s.acquire(lease(1, 1), TTL));
        assertTrue(s.acquire(lease(2, 2), TTL));
        s.close();
        Path journal = dir.resolve(LeaseJournal.JOURNAL);
        List<String> lines = new ArrayList<>(Files.readAllLines(journal));
        lines.set(0, "{\"Revision\":1,\"TTL\":600,\"Put\":{\"Subnet\":\"10.244.1.0/24\"}}");
        Files.write(journal, lines);
        IOException e = assertThrows(IOException.class, this::store);
        assertTrue(e.getMessage().startsWith(journal + " line 1: Put.PublicIP: missing"), e.getMessage());
    }

    @Test
    void compactionWritesASnapshotAndEmptiesTheJournal() throws Exception {
        EmbeddedLeaseStore s = store(settings().withCompactAfter(100));
        for (int i = 0; i < 100 + 10; i++) {
            assertTrue(s.acquire(Lease.vxlan(lease(i % 20, 1).subnet(), lease(1, 1).publicIp(), 1, 0x6e0000000000L + i), TTL));
        }
        LeaseStore.Snapshot before = s.list();
        s.close();
        assertTrue(Files.exists(dir.resolve(LeaseJournal.SNAPSHOT)));
        assertEquals(10, Files.readAllLines(dir.resolve(LeaseJournal.JOURNAL)).size());
        LeaseStore.Snapshot after = store().list();
        assertEquals(before, after);
    }

    @Test
    void concurrentAcquiresOfOneSubnetHaveOneWinner() throws Exception {
        EmbeddedLeaseStore s = store();
        ExecutorService pool = Executors.newFixedThreadPool(8);
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
        pool.shutdown();
        assertEquals(1, winners);
        assertEquals(1, s.list().leases().size());
    }

    @Test
    void closeStopsWatches() throws Exception {
        EmbeddedLeaseStore s = store();
        RecordingListener events = new RecordingListener();
        LeaseStore.Watch w = s.watch(1, events);
        assertTrue(s.acquire(lease(1, 1), TTL));
        assertEquals(new RecordingListener.Put(lease(1, 1), 1), events.next());
        w.close();
        assertTrue(s.acquire(lease(2, 2), TTL));
        s.close();
        assertThrows(IllegalStateException.class, () -> s.acquire(lease(3, 3), TTL));
        Thread.sleep(200);
        assertEquals(null, (Object) events.poll());
    }
}
