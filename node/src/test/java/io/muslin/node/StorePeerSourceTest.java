package io.muslin.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.muslin.control.lease.Lease;
import io.muslin.control.program.PeerProgrammer;
import io.muslin.control.store.EmbeddedLeaseStore;
import io.muslin.dataplane.packet.Ipv4Address;
import io.muslin.dataplane.packet.Ipv4Prefix;
import io.muslin.dataplane.table.Tables;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The store-backed peer source on the embedded store: peers programmed from the watch, our own lease kept. */
class StorePeerSourceTest {
    private static final Ipv4Prefix NETWORK = Ipv4Prefix.parse("10.244.0.0/16");
    /** Renewals come every 20 s: anything sooner than that is the watch's doing. */
    private static final Duration TTL = Duration.ofSeconds(60);

    @TempDir
    Path dir;

    private static Lease lease(int n) {
        return Lease.vxlan(Ipv4Prefix.parse("10.244." + n + ".0/24"), Ipv4Address.parse("192.168.50." + n), 1,
            0x6e7573000000L + n);
    }

    @Test
    void peersArriveAndLeaveAndOurOwnDeletedLeaseIsTakenAgainAtOnce() throws Exception {
        EmbeddedLeaseStore store = EmbeddedLeaseStore.open(dir, Optional.of("{\"Network\":\"10.244.0.0/16\"}"));
        Lease own = lease(1);
        assertTrue(store.acquire(own, TTL));
        Tables tables = new Tables();
        try (StorePeerSource source = new StorePeerSource(store, own, TTL, "embedded")) {
            source.start(new PeerProgrammer(tables, NETWORK, own.subnet(), 1));
            int peer = Ipv4Address.parse("10.244.2.7");
            assertNull(tables.snapshot().lookupRoute(peer));

            assertTrue(store.acquire(lease(2), TTL));
            await("the peer's route", () -> tables.snapshot().lookupRoute(peer) != null);
            assertEquals(lease(2).subnet(), tables.snapshot().lookupRoute(peer).prefix());

            // someone deletes our lease from the store (by hand, or it expired while we were cut off)
            assertTrue(store.release(own.subnet(), own.publicIp()));
            await("our lease back in the store", () -> store.list().lease(own.subnet()).isPresent());
            assertEquals(own, store.list().lease(own.subnet()).orElseThrow());
            assertNotNull(tables.snapshot().lookupRoute(peer), "peers untouched meanwhile");

            assertTrue(store.release(lease(2).subnet(), lease(2).publicIp()));
            await("the peer's route gone", () -> tables.snapshot().lookupRoute(peer) == null);
        }
    }

    private interface Check {
        boolean ok() throws Exception;
    }

    /** Waits for {@code check}, at most 10 s (half a renewal interval). */
    private static void await(String what, Check check) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!check.ok()) {
            if (System.nanoTime() > deadline) {
                fail("no " + what + " within 10 s");
            }
            Thread.sleep(20);
        }
    }
}
