package io.muslin.control.store;

import static io.muslin.control.store.EmbeddedLeaseStoreTest.NET_CONF;
import static io.muslin.control.store.EmbeddedLeaseStoreTest.TTL;
import static io.muslin.control.store.EmbeddedLeaseStoreTest.changed;
import static io.muslin.control.store.EmbeddedLeaseStoreTest.lease;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.muslin.control.lease.Lease;
import io.muslin.control.store.RecordingListener.Delete;
import io.muslin.control.store.RecordingListener.Put;
import io.muslin.control.store.RecordingListener.Resync;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.HashSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What {@link EmbeddedLeaseStore} keeps on disk ({@link LeaseJournal}): restarts, crashes
 * (simulated by editing the files of a closed store), compaction, the directory lock.
 */
class EmbeddedLeaseStoreDiskTest {
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
        return store(settings());
    }

    private EmbeddedLeaseStore.Settings settings() {
        return EmbeddedLeaseStore.Settings.of(dir, NET_CONF);
    }

    private EmbeddedLeaseStore store(EmbeddedLeaseStore.Settings settings) throws IOException {
        EmbeddedLeaseStore s = EmbeddedLeaseStore.open(settings);
        open.add(s);
        return s;
    }

    private Path journal() {
        return dir.resolve(LeaseJournal.JOURNAL);
    }

    private void append(String text) throws IOException {
        Files.writeString(journal(), text, StandardCharsets.UTF_8, StandardOpenOption.APPEND);
    }

    /** Two leases at revisions 1 and 2, then closed. */
    private void twoLeases() throws IOException {
        EmbeddedLeaseStore s = store();
        assertTrue(s.acquire(lease(1, 1), TTL));
        assertTrue(s.acquire(lease(2, 2), TTL));
        s.close();
    }

    @Test
    void leasesAndRevisionSurviveARestart() throws Exception {
        EmbeddedLeaseStore s = store();
        for (int n = 1; n <= 3; n++) {
            assertTrue(s.acquire(lease(n, n), TTL));
        }
        s.release(lease(2, 2).subnet(), lease(2, 2).publicIp());
        assertTrue(s.acquire(changed(lease(3, 3)), Duration.ofSeconds(30)));
        LeaseStore.Snapshot before = s.list();
        s.close();
        EmbeddedLeaseStore again = store();
        assertEquals(before, again.list());
        assertEquals(List.of(lease(1, 1), changed(lease(3, 3))), again.list().leases());
        assertEquals(5, again.list().revision());
        again.renew(changed(lease(3, 3)));
        assertTrue(again.acquire(lease(4, 4), TTL));
        assertEquals(6, again.list().revision(), "revisions never go back");
        assertTrue(Files.readString(journal()).contains("\"TTL\":30,"), "the TTL is kept with the lease");
    }

    @Test
    void loadedLeasesGetTheirFullTtlAgainFromTheLoad() throws Exception {
        EmbeddedLeaseStore s = store();
        assertTrue(s.acquire(lease(1, 1), Duration.ofSeconds(2)));
        s.close();
        Thread.sleep(2_200); // longer than the TTL: only a restarted TTL keeps it
        EmbeddedLeaseStore again = store();
        assertEquals(List.of(lease(1, 1)), again.list().leases());
        RecordingListener events = new RecordingListener();
        open.add(again.watch(2, events));
        assertEquals(new Delete(lease(1, 1).subnet(), 2), events.next(), "and it expires when not renewed");
        again.close();
        assertEquals(new LeaseStore.Snapshot(2, List.of(), List.of()), store().list(), "the expiry is on disk too");
    }

    @Test
    void aWatchFromBeforeTheLoadResyncs() throws Exception {
        twoLeases();
        EmbeddedLeaseStore s = store();
        RecordingListener old = new RecordingListener();
        open.add(s.watch(2, old));
        Resync r = assertInstanceOf(Resync.class, old.next(), "revision 2 is in no history after a restart");
        assertEquals(new LeaseStore.Snapshot(2, List.of(lease(1, 1), lease(2, 2)), List.of()), r.snapshot());
        RecordingListener current = new RecordingListener();
        open.add(s.watch(3, current));
        s.release(lease(1, 1).subnet(), lease(1, 1).publicIp());
        assertEquals(new Delete(lease(1, 1).subnet(), 3), current.next());
        assertEquals(new Delete(lease(1, 1).subnet(), 3), old.next());
    }

    @Test
    void aHalfWrittenLastRecordIsCutOffAndTheRestLoads() throws Exception {
        twoLeases();
        long whole = Files.size(journal());
        append("{\"Revision\":3,\"TTL\":600,\"Put\":{\"Subnet\":\"10.244");
        EmbeddedLeaseStore again = store();
        assertEquals(List.of(lease(1, 1), lease(2, 2)), again.list().leases());
        assertEquals(2, again.list().revision());
        assertEquals(whole, Files.size(journal()), "cut off at load");
        assertTrue(again.acquire(lease(3, 3), TTL));
        again.close();
        assertEquals(3, Files.readAllLines(journal()).size(), "the next record took the broken tail's place");
        assertEquals(3, store().list().leases().size());
    }

    @Test
    void garbageAfterTheLastRecordIsCutOff() throws Exception {
        twoLeases();
        long whole = Files.size(journal());
        Files.write(journal(), new byte[64], StandardOpenOption.APPEND); // a file system's zero-filled tail
        assertEquals(2, store().list().leases().size());
        assertEquals(whole, Files.size(journal()));
    }

    @Test
    void aWholeLastRecordWithoutItsNewlineIsKept() throws Exception {
        twoLeases();
        append("{\"Revision\":3,\"Delete\":\"10.244.1.0/24\"}");
        EmbeddedLeaseStore again = store();
        assertEquals(new LeaseStore.Snapshot(3, List.of(lease(2, 2)), List.of()), again.list());
        assertTrue(again.acquire(lease(4, 4), TTL));
        again.close();
        assertEquals(4, Files.readAllLines(journal()).size());
        assertEquals(List.of(lease(2, 2), lease(4, 4)), store().list().leases());
    }

    @Test
    void aCorruptRecordInTheMiddleIsAnErrorNamingFileAndLine() throws Exception {
        twoLeases();
        List<String> lines = new ArrayList<>(Files.readAllLines(journal()));
        lines.set(0, "{\"Revision\":1,\"TTL\":600,\"Put\":{\"Subnet\":\"10.244.1.0/24\"}}");
        Files.write(journal(), lines);
        IOException e = assertThrows(IOException.class, this::store);
        assertEquals(journal() + " line 1: Put.PublicIP: missing (expected: an IPv4 address such as 192.168.1.11)",
            e.getMessage());
        assertEquals(lines, Files.readAllLines(journal()), "a file that does not load is left as it is");
    }

    @Test
    void aHalfLineFollowedByMoreRecordsIsAnError() throws Exception {
        twoLeases();
        List<String> lines = new ArrayList<>(Files.readAllLines(journal()));
        lines.set(1, lines.get(1).substring(0, 20));
        lines.add("{\"Revision\":3,\"Delete\":\"10.244.1.0/24\"}");
        Files.write(journal(), lines);
        IOException e = assertThrows(IOException.class, this::store);
        assertTrue(e.getMessage().startsWith(journal() + " line 2: malformed JSON"), e.getMessage());
    }

    @Test
    void revisionsThatDoNotIncreaseAreAnError() throws Exception {
        twoLeases();
        append("{\"Revision\":2,\"Delete\":\"10.244.1.0/24\"}\n{\"Revision\":4,\"Delete\":\"10.244.2.0/24\"}\n");
        IOException e = assertThrows(IOException.class, this::store);
        assertEquals(journal() + " line 3: Revision: 2 does not follow 2 (expected: increasing revisions)", e.getMessage());
    }

    @Test
    void aCorruptSnapshotIsAnErrorNamingTheFile() throws Exception {
        Files.createDirectories(dir);
        Path snapshot = dir.resolve(LeaseJournal.SNAPSHOT);
        Files.writeString(snapshot, "{\"Revision\":7,\"Leases\":[{\"TTL\":0,\"Lease\":{\"Subnet\":\"10.244.1.0/24\","
            + "\"PublicIP\":\"192.168.50.1\",\"BackendType\":\"host-gw\"}}]}");
        IOException e = assertThrows(IOException.class, this::store);
        assertTrue(e.getMessage().startsWith(snapshot + ": Leases[0].TTL: 0 is out of range"), e.getMessage());
    }

    @Test
    void compactionWritesASnapshotAndEmptiesTheJournal() throws Exception {
        EmbeddedLeaseStore s = store(settings().withCompactAfter(10));
        for (int i = 0; i < 9; i++) {
            assertTrue(s.acquire(Lease.vxlan(lease(i % 4, 1).subnet(), lease(1, 1).publicIp(), 1, 0x6e0000000000L + i), TTL));
        }
        assertFalse(Files.exists(dir.resolve(LeaseJournal.SNAPSHOT)));
        s.release(lease(0, 1).subnet(), lease(0, 1).publicIp()); // the 10th record
        assertTrue(Files.exists(dir.resolve(LeaseJournal.SNAPSHOT)));
        assertEquals(0, Files.size(journal()), "emptied by the compaction");
        for (int i = 0; i < 25; i++) {
            assertTrue(s.acquire(Lease.vxlan(lease(i % 7, 1).subnet(), lease(1, 1).publicIp(), 1, 0x6e0000010000L + i), TTL));
        }
        LeaseStore.Snapshot before = s.list();
        assertEquals(35, before.revision());
        s.close();
        assertEquals(5, Files.readAllLines(journal()).size(), "35 records: compacted at 10, 20 and 30");
        assertFalse(Files.exists(dir.resolve(LeaseJournal.SNAPSHOT + ".tmp")));
        assertEquals(before, store().list());
    }

    @Test
    void aCrashBetweenSnapshotAndTruncationLoadsEachRecordOnce() throws Exception {
        EmbeddedLeaseStore s = store(settings().withCompactAfter(4));
        for (int n = 1; n <= 3; n++) {
            assertTrue(s.acquire(lease(n, n), TTL));
        }
        List<String> beforeCompaction = Files.readAllLines(journal());
        s.release(lease(1, 1).subnet(), lease(1, 1).publicIp()); // compacts at revision 4
        LeaseStore.Snapshot before = s.list();
        s.close();
        Files.write(journal(), beforeCompaction); // as if the journal had not been emptied
        EmbeddedLeaseStore again = store(settings().withCompactAfter(4));
        assertEquals(before, again.list(), "records up to the snapshot's revision are not applied again");
        assertTrue(again.acquire(lease(5, 5), TTL));
        assertEquals(5, again.list().revision());
    }

    @Test
    void aLeaseThatWouldNotLoadIsRefused() throws Exception {
        EmbeddedLeaseStore s = store();
        Lease multicast = Lease.vxlan(lease(1, 1).subnet(), lease(1, 1).publicIp(), 1, 0x010000000001L);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> s.acquire(multicast, TTL));
        assertTrue(e.getMessage().startsWith("cannot store 10.244.1.0/24 at 192.168.50.1 vxlan vni 1 vtep "
            + "01:00:00:00:00:01: lease.BackendData.VtepMAC: not a unicast MAC address"), e.getMessage());
        assertTrue(s.acquire(lease(1, 1), TTL));
        assertThrows(IllegalArgumentException.class, () -> s.renew(multicast));
        assertEquals(new LeaseStore.Snapshot(1, List.of(lease(1, 1)), List.of()), s.list());
        s.close();
        assertEquals(List.of(lease(1, 1)), store().list().leases());
    }

    @Test
    void aSecondStoreOnTheSameDirectoryIsRefused() throws Exception {
        EmbeddedLeaseStore first = store();
        IOException e = assertThrows(IOException.class, this::store);
        assertEquals(journal() + " is locked: another store has this directory open", e.getMessage());
        assertTrue(first.acquire(lease(1, 1), TTL), "the first goes on");
        first.close();
        assertEquals(1, store().list().leases().size(), "free again once closed");
    }

    @Test
    void anInterruptedCallerDoesNotBreakTheJournal() throws Exception {
        EmbeddedLeaseStore s = store();
        assertTrue(s.acquire(lease(1, 1), TTL));
        Thread.currentThread().interrupt(); // a FileChannel closes itself when its caller is interrupted
        IOException e;
        try {
            e = assertThrows(IOException.class, () -> s.acquire(lease(2, 2), TTL));
        } finally {
            assertTrue(Thread.interrupted(), "the caller's interrupt is kept");
        }
        assertTrue(e.getMessage().startsWith(journal() + ": cannot record a change"), e.getMessage());
        assertEquals(List.of(lease(1, 1)), s.list().leases(), "a change that was not written is not applied");
        assertTrue(s.acquire(lease(3, 3), TTL), "the journal was opened again");
        assertEquals(3, s.list().revision(), "the failed change used up revision 2");
        LeaseStore.Snapshot before = s.list();
        s.close();
        assertEquals(before, store().list());
        assertEquals(2, Files.readAllLines(journal()).size());
    }

    /** A syncer that counts its syncs and holds each one until {@link #open()}; {@link #failWith} makes them fail. */
    private static final class HeldSyncer implements LeaseJournal.Syncer {
        final AtomicInteger syncs = new AtomicInteger();
        /** A permit each time a sync begins. */
        final Semaphore entered = new Semaphore(0);
        private final CountDownLatch opened = new CountDownLatch(1);
        volatile IOException failWith;

        @Override
        public void force(FileChannel journal) throws IOException {
            entered.release();
            try {
                opened.await();
            } catch (InterruptedException e) {
                throw new IOException("interrupted", e);
            }
            syncs.incrementAndGet();
            if (failWith != null) {
                throw failWith;
            }
            journal.force(false);
        }

        void open() {
            opened.countDown();
        }
    }

    private interface IoCall<T> {
        T call() throws IOException;
    }

    private static <T> CompletableFuture<T> async(IoCall<T> call) {
        CompletableFuture<T> f = new CompletableFuture<>();
        Thread.ofVirtual().start(() -> {
            try {
                f.complete(call.call());
            } catch (IOException | RuntimeException e) {
                f.completeExceptionally(e);
            }
        });
        return f;
    }

    /** Waits until the store has {@code revision} in memory (written, maybe not synced): a condition polled, bound 60 s. */
    private static void awaitWritten(EmbeddedLeaseStore s, long revision) throws InterruptedException {
        long deadline = System.nanoTime() + RecordingListener.BOUND.toNanos();
        while (s.list().revision() < revision) {
            assertTrue(System.nanoTime() - deadline < 0, "revision " + revision + " never written");
            Thread.sleep(1);
        }
    }

    @Test
    void acquiresArrivingTogetherShareOneFsyncAndEachReturnsOnlyAfterIt() throws Exception {
        HeldSyncer syncer = new HeldSyncer();
        EmbeddedLeaseStore s = EmbeddedLeaseStore.open(settings(), syncer);
        open.add(s);
        RecordingListener watch = new RecordingListener();
        open.add(s.watch(1, watch));

        List<CompletableFuture<Boolean>> calls = new ArrayList<>();
        calls.add(async(() -> s.acquire(lease(1, 1), TTL)));
        syncer.entered.acquire(); // the journal thread syncs lease 1's record, and is held there
        for (int n = 2; n <= 4; n++) {
            int node = n;
            calls.add(async(() -> s.acquire(lease(node, node), TTL)));
        }
        awaitWritten(s, 4); // all four records written, none synced
        for (CompletableFuture<Boolean> c : calls) {
            assertFalse(c.isDone(), "an Acquire returned before its record was synced");
        }
        assertEquals(List.of(), watch.pending(), "a watch sees a change only once it is on disk");

        syncer.open();
        for (CompletableFuture<Boolean> c : calls) {
            assertTrue(c.get());
        }
        assertEquals(2, syncer.syncs.get(), "one sync for lease 1, one for the three written while it ran");
        assertEquals(new Put(lease(1, 1), 1), watch.next());
        // Acquires 2-4 ran on three threads at once: their order in the journal is theirs to race for.
        Set<Lease> later = new HashSet<>();
        for (int revision = 2; revision <= 4; revision++) {
            Put put = assertInstanceOf(Put.class, watch.next());
            assertEquals(revision, put.revision());
            later.add(put.lease());
        }
        assertEquals(Set.of(lease(2, 2), lease(3, 3), lease(4, 4)), later);
        s.close();
        assertEquals(4, store().list().leases().size(), "all four on disk");
    }

    @Test
    void aFailedSyncTakesItsChangesBackAndTheStoreTakesNoMore() throws Exception {
        HeldSyncer syncer = new HeldSyncer();
        syncer.open();
        EmbeddedLeaseStore s = EmbeddedLeaseStore.open(settings(), syncer);
        open.add(s);
        assertTrue(s.acquire(lease(1, 1), TTL));
        syncer.failWith = new IOException("Input/output error");
        IOException e = assertThrows(IOException.class, () -> s.acquire(lease(2, 2), TTL));
        assertTrue(e.getMessage().contains("syncing the journal failed: Input/output error"), e.getMessage());
        assertEquals(List.of(lease(1, 1)), s.list().leases(), "the change whose sync failed is taken back");
        syncer.failWith = null;
        IOException after = assertThrows(IOException.class, () -> s.acquire(lease(3, 3), TTL));
        assertTrue(after.getMessage().contains("takes no more changes since syncing the journal failed"), after.getMessage());
        s.close();
        open.remove(s);
        assertEquals(List.of(lease(1, 1)), store().list().leases(), "opened again: what the disk holds, lease 2 cut off");
    }
}
