package io.muslin.control.hub.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.muslin.control.hub.server.HubServer;
import io.muslin.control.lease.Lease;
import io.muslin.control.store.EmbeddedLeaseStore;
import io.muslin.control.store.LeaseListener;
import io.muslin.control.store.LeaseStore;
import io.muslin.dataplane.packet.Ipv4Address;
import io.muslin.dataplane.packet.Ipv4Prefix;
import io.netty.channel.EventLoopGroup;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The node's hub client against a real hub (loopback, embedded store). */
class HubLeaseStoreTest {
    private static final Duration TTL = Duration.ofSeconds(60);
    /** More changes than one read from the socket can hold (64 KiB; a Put frame is over 100 bytes). */
    private static final int ONE_READ = 1000;
    @TempDir
    Path dir;

    static Lease lease(int n, long mac) {
        return Lease.vxlan(Ipv4Prefix.parse("10.244." + n + ".0/24"), Ipv4Address.parse("192.168.50." + n), 1,
            0x6e7573000000L + mac);
    }

    /**
     * Back-pressure: a watch whose listener does not keep up holds at most {@link
     * HubLeaseStore#PAUSE_READING} changes (and one read's worth more) and then stops reading, so
     * the rest waits in TCP and in the hub, not in the node's heap; once the listener goes on, every
     * change arrives, once, in revision order.
     */
    @Test
    void aWatchWhoseListenerIsStuckStopsReadingAtItsLimitAndLosesNoChange() throws Exception {
        int writers = 32;
        int each = 500; // 16,000 changes: well past the limit and one read's worth
        int total = writers * each;
        EventLoopGroup loop = HubLeaseStore.newEventLoopGroup(1, "test-hub-client"); // the node's session; closed with it
        try (EmbeddedLeaseStore store = EmbeddedLeaseStore.open(dir, Optional.of("{\"Network\":\"10.244.0.0/16\"}"));
             HubServer hub = HubServer.start(HubServer.Settings.insecure(new InetSocketAddress("127.0.0.1", 0))
                 .withHeartbeat(Duration.ofSeconds(30)).withHistorySize(total), store);
             HubLeaseStore node = HubLeaseStore.open(HubClientSettings.of(
                     List.of(new HubEndpoint("127.0.0.1", hub.address().getPort())), null, "watcher")
                 .withTimeouts(Duration.ofSeconds(10), Duration.ofSeconds(10)), loop, loop)) {
            for (int n = 1; n <= writers; n++) {
                assertTrue(store.acquire(lease(n, 0), TTL));
            }
            CountDownLatch goOn = new CountDownLatch(1);
            CountDownLatch all = new CountDownLatch(total);
            List<Long> revisions = new ArrayList<>(total);
            Map<Ipv4Prefix, Lease> table = new HashMap<>();
            List<String> unexpected = new ArrayList<>();
            LeaseStore.Watch watch = node.watch(node.list().revision() + 1, new LeaseListener() {
                @Override
                public void put(Lease lease, long revision) {
                    try {
                        goOn.await(); // stuck (a node programming a slow kernel) until the test lets it go
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    revisions.add(revision);
                    table.put(lease.subnet(), lease);
                    all.countDown();
                }

                @Override
                public void delete(Ipv4Prefix subnet, long revision) {
                    unexpected.add("delete " + subnet);
                }

                @Override
                public void resync(LeaseStore.Snapshot snapshot) {
                    unexpected.add("resync at " + snapshot.revision());
                }
            });
            List<Thread> threads = new ArrayList<>();
            for (int n = 1; n <= writers; n++) {
                int subnet = n;
                threads.add(Thread.ofVirtual().start(() -> {
                    for (int k = 1; k <= each; k++) {
                        try {
                            store.renew(lease(subnet, (long) k << 8 | subnet)); // a new VTEP MAC: a change
                        } catch (IOException e) {
                            throw new UncheckedIOException(e);
                        }
                    }
                }));
            }
            for (Thread t : threads) {
                t.join();
            }
            // the watch takes changes until it holds its limit, then stops reading
            await("a backlog of " + HubLeaseStore.PAUSE_READING, () -> node.watchBacklog() >= HubLeaseStore.PAUSE_READING);
            syncWith(loop); // the read under way when it paused has been handed on
            int held = node.watchBacklog();
            assertTrue(held < HubLeaseStore.PAUSE_READING + ONE_READ,
                "the watch took " + held + " of " + total + " changes while its listener was stuck (limit "
                    + HubLeaseStore.PAUSE_READING + " and one read)");
            // the hub has every change and has written what its session could take: a node still
            // reading would now find the rest on its socket
            long last = store.list().revision();
            await("the hub at revision " + last, () -> hub.revision() >= last);
            hub.queuedBytes(); // asks the hub session's event loop: the fan-out it had queued has been written
            syncWith(loop);
            syncWith(loop);
            assertEquals(held, node.watchBacklog(), "the node read on while its listener was stuck");

            goOn.countDown();
            assertTrue(all.await(60, TimeUnit.SECONDS), all.getCount() + " changes never arrived");
            watch.close();
            assertEquals(List.of(), unexpected);
            assertEquals(total, revisions.size());
            for (int i = 1; i < revisions.size(); i++) {
                assertTrue(revisions.get(i) > revisions.get(i - 1), "revision " + revisions.get(i) + " after "
                    + revisions.get(i - 1));
            }
            assertEquals(store.list().revision(), revisions.get(total - 1));
            Map<Ipv4Prefix, Lease> stored = new HashMap<>();
            store.list().leases().forEach(l -> stored.put(l.subnet(), l));
            assertEquals(stored, table, "the watch's table ends as the store's");
        }
    }

    /** Returns once {@code loop} has run what it was doing (a read and what the read handed on). */
    private static void syncWith(EventLoopGroup loop) throws Exception {
        loop.next().submit(() -> { }).get(10, TimeUnit.SECONDS);
    }

    private interface Check {
        boolean ok() throws Exception;
    }

    /** Waits for {@code check}, at most 30 s. */
    private static void await(String what, Check check) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!check.ok()) {
            if (System.nanoTime() > deadline) {
                fail("no " + what + " within 30 s");
            }
            Thread.sleep(10);
        }
    }
}
