package io.muslin.dataplane.table;

import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.muslin.dataplane.packet.Ipv4Address;
import io.muslin.dataplane.packet.Ipv4Prefix;
import io.muslin.dataplane.packet.MacAddress;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * One writer churns peers (add, re-MAC, delete: route + ARP + FDB in one batch each) while
 * readers check, on every snapshot they take, that they see whole batches only (the stamp
 * route's next hop changes in every batch, so next-hop ids are freed and reused under the
 * readers all along):
 * <ol>
 *   <li>every batch also writes its number into a /32 route, an ARP entry and an FDB entry: the
 *       three must agree, and a reader's successive snapshots never go back;</li>
 *   <li>a peer's route, ARP and FDB entries are all there (and name the same generation) or
 *       none is; the FDB holds no entry of a peer's earlier MAC (Calico #7281): the three
 *       tables always have the same size.</li>
 * </ol>
 * Bounded: at most {@value #BATCHES} batches or {@value #MILLIS} ms, whichever comes first.
 */
class TablesConcurrencyTest {
    private static final int PEERS = 64;
    private static final int BATCHES = 200_000;
    private static final long MILLIS = 4_000;
    private static final int STAMP_IP = Ipv4Address.parse("172.16.0.1");
    private static final Ipv4Prefix STAMP_PREFIX = Ipv4Prefix.parse("172.16.0.1/32");
    private static final long STAMP_MAC = MacAddress.parse("02:00:00:00:00:01");

    private static Ipv4Prefix subnet(int peer) {
        return new Ipv4Prefix(Ipv4Address.parse("10.244.0.0") | peer << 8, 24);
    }

    private static int nextHop(int peer) {
        return subnet(peer).address();
    }

    /** Peer and generation in one unicast MAC: 0e:pp:gg:gg:gg:gg. */
    private static long mac(int peer, int gen) {
        return 0x0E00_0000_0000L | (long) peer << 32 | (gen & 0xFFFF_FFFFL);
    }

    @Test
    @Timeout(60)
    void readersSeeWholeBatchesOnly() throws InterruptedException {
        Tables tables = new Tables();
        AtomicBoolean done = new AtomicBoolean();
        AtomicReference<String> violation = new AtomicReference<>();
        AtomicLong checks = new AtomicLong();
        Thread[] readers = new Thread[2];
        for (int t = 0; t < readers.length; t++) {
            long seed = t;
            readers[t] = new Thread(() -> read(tables, done, violation, checks, seed), "reader-" + t);
            readers[t].start();
        }

        int[] gen = new int[PEERS]; // 0: absent
        SplittableRandom random = new SplittableRandom(11);
        long deadline = System.nanoTime() + MILLIS * 1_000_000;
        int batch = 0;
        while (batch < BATCHES && System.nanoTime() < deadline && violation.get() == null) {
            int stamp = ++batch;
            int peer = random.nextInt(PEERS);
            int old = gen[peer];
            boolean remove = old != 0 && random.nextInt(3) == 0;
            int fresh = remove ? 0 : stamp;
            tables.update(b -> {
                b.putRoute(STAMP_PREFIX, stamp).putArp(STAMP_IP, stamp).putFdb(STAMP_MAC, stamp);
                if (old != 0) {
                    b.removeFdb(mac(peer, old));
                }
                if (remove) {
                    b.removeRoute(subnet(peer)).removeArp(nextHop(peer));
                } else {
                    b.putArp(nextHop(peer), mac(peer, fresh)).putFdb(mac(peer, fresh), fresh)
                        .putRoute(subnet(peer), nextHop(peer));
                }
            });
            gen[peer] = fresh;
        }
        done.set(true);
        for (Thread r : readers) {
            r.join();
        }
        assertNull(violation.get());
        assertTrue(batch > 1000, "writer made " + batch + " batches");
        assertTrue(checks.get() > 1000, "readers checked " + checks.get() + " snapshots");
    }

    private static void read(Tables tables, AtomicBoolean done, AtomicReference<String> violation,
                             AtomicLong checks, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        int lastStamp = 0;
        long n = 0;
        while (!done.get() && violation.get() == null) {
            Tables.Snapshot s = tables.snapshot();
            String problem = check(s, random.nextInt(PEERS), lastStamp);
            if (problem != null) {
                violation.compareAndSet(null, problem);
                return;
            }
            NextHop stamp = s.lookupNextHop(STAMP_IP);
            lastStamp = stamp == null ? 0 : stamp.address();
            n++;
        }
        checks.addAndGet(n);
    }

    private static String check(Tables.Snapshot s, int peer, int lastStamp) {
        NextHop stampHop = s.lookupNextHop(STAMP_IP);
        if (stampHop == null) {
            return s.lookupArp(STAMP_IP) == MacAddress.NONE && s.lookupFdb(STAMP_MAC) == null
                ? null : "stamp route missing but ARP or FDB stamp present";
        }
        int stamp = stampHop.address();
        FdbEntry fdbStamp = s.lookupFdb(STAMP_MAC);
        if (s.lookupArp(STAMP_IP) != stamp || fdbStamp == null || fdbStamp.underlay() != stamp) {
            return "torn batch: route stamp " + stamp + ", ARP " + s.lookupArp(STAMP_IP) + ", FDB " + fdbStamp;
        }
        if (stamp < lastStamp) {
            return "went back in time: " + stamp + " after " + lastStamp;
        }
        int routes = s.routeTable().size();
        if (s.arpTable().size() != routes || s.fdbTable().size() != routes) {
            return "sizes differ at stamp " + stamp + ": routes " + routes + ", ARP " + s.arpTable().size()
                + ", FDB " + s.fdbTable().size() + " (a stale FDB entry?)";
        }
        NextHop r = s.lookupNextHop(nextHop(peer) | 0x42);
        long mac = s.lookupArp(nextHop(peer));
        if (r == null) {
            return mac == MacAddress.NONE ? null : "peer " + peer + " has ARP but no route at stamp " + stamp;
        }
        if (mac == MacAddress.NONE || (mac >>> 32 & 0xFF) != peer) {
            return "peer " + peer + " has a route but ARP " + MacAddress.format(mac) + " at stamp " + stamp;
        }
        FdbEntry fdb = s.lookupFdb(mac);
        if (fdb == null || fdb.underlay() != (int) mac) {
            return "peer " + peer + " ARP " + MacAddress.format(mac) + " but FDB " + fdb + " at stamp " + stamp;
        }
        if (r.address() != nextHop(peer)) {
            return "peer " + peer + " routed " + r;
        }
        Route exact = s.lookupRoute(nextHop(peer) | 0x42);
        return exact != null && exact.prefix().equals(subnet(peer)) ? null : "peer " + peer + " route " + exact;
    }
}
