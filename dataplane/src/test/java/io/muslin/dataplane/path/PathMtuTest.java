package io.muslin.dataplane.path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.muslin.dataplane.table.Family;
import io.muslin.dataplane.packet.Ipv6Text;
import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class PathMtuTest {
    private static final int PEER = 0xC0A83C03;

    @Test
    void learnsPerPeerAndCapsAtTheLink() {
        PathMtu table = new PathMtu(1500, Long.MAX_VALUE);
        assertEquals(1500, table.outerLimit(PEER));
        assertTrue(table.learn(PEER, 1400, System.nanoTime()));
        assertFalse(table.learn(PEER, 1400, System.nanoTime()), "same value: no change");
        assertEquals(1400, table.outerLimit(PEER));
        assertEquals(1500, table.outerLimit(PEER + 1), "other peers keep the link MTU");
        assertFalse(table.learn(PEER + 1, 9000, System.nanoTime()), "nothing above the link is kept");
        table.linkMtu(1300);
        assertEquals(1300, table.outerLimit(PEER), "the link caps an estimate");
        assertTrue(table.learn(PEER, 100, System.nanoTime()));
        assertEquals(PathMtu.MIN_PMTU, table.outerLimit(PEER), "raised to the minimum");
        assertEquals(1, table.entries().size());
    }

    /** RFC 8201 §4: an IPv6 estimate never goes below 1280; addresses differing only in the low word are apart. */
    @Test
    void ipv6KeysAreWholeAddressesAndTheFloorIs1280() {
        PathMtu table = new PathMtu(Family.IPV6, 1500, Long.MAX_VALUE);
        long hi = Ipv6Text.hi("fd00:50::3");
        assertTrue(table.learn(hi, 3, 1400, System.nanoTime()));
        assertEquals(1400, table.outerLimit(hi, 3));
        assertEquals(1500, table.outerLimit(hi, 4), "fd00:50::4 has no estimate");
        assertEquals(1500, table.outerLimit(0, 3));
        assertTrue(table.learn(hi, 3, 600, System.nanoTime()));
        assertEquals(1280, table.outerLimit(hi, 3), "raised to the IPv6 minimum MTU");
        assertEquals(1280, table.minPmtu());
        assertEquals("fd00:50::3", table.entries().getFirst().address());
    }

    @Test
    void estimatesAgeOut() {
        PathMtu table = new PathMtu(1500, 1_000);
        table.learn(PEER, 1400, System.nanoTime() - 10_000);
        assertEquals(1500, table.outerLimit(PEER), "an expired estimate is dropped: the path is probed again");
        assertTrue(table.entries().isEmpty());
    }

    @Test
    void behavesLikeAMapUnderChurn() {
        PathMtu table = new PathMtu(9000, Long.MAX_VALUE);
        Map<Integer, Integer> reference = new HashMap<>();
        SplittableRandom random = new SplittableRandom(7);
        for (int i = 0; i < 20_000; i++) {
            int peer = 1 + random.nextInt(3000);
            int mtu = 576 + random.nextInt(8000);
            table.learn(peer, mtu, System.nanoTime());
            reference.put(peer, mtu);
            if (i % 1000 == 0) {
                for (int p = 1; p <= 3000; p++) {
                    assertEquals(reference.getOrDefault(p, 9000), table.outerLimit(p), "peer " + p);
                }
            }
        }
        assertEquals(reference.size(), table.entries().size());
    }

    @Test
    void expiryRemovesWithoutBreakingOtherEntries() {
        PathMtu table = new PathMtu(9000, 1_000_000_000L);
        long old = System.nanoTime() - 2_000_000_000L;
        long now = System.nanoTime();
        for (int p = 1; p <= 500; p++) {
            table.learn(p, 1000 + p, p % 3 == 0 ? old : now);
        }
        for (int p = 1; p <= 500; p++) {
            assertEquals(p % 3 == 0 ? 9000 : 1000 + p, table.outerLimit(p), "peer " + p);
        }
        for (int p = 1; p <= 500; p++) {
            assertEquals(p % 3 == 0 ? 9000 : 1000 + p, table.outerLimit(p), "peer " + p + " after removals");
        }
    }
}
