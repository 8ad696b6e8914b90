package io.muslin.dataplane.table;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class HashTrieTest {

    /** Random puts, replaces and removes against a HashMap; the old versions must not move. */
    @Test
    void matchesHashMapWithDeletes() {
        SplittableRandom random = new SplittableRandom(5);
        HashTrie<FdbEntry> t = HashTrie.empty();
        Map<Long, FdbEntry> ref = new HashMap<>();
        List<Long> keys = new ArrayList<>();
        List<HashTrie<FdbEntry>> versions = new ArrayList<>();
        List<Map<Long, FdbEntry>> refs = new ArrayList<>();
        for (int i = 0; i < 100_000; i++) {
            int op = random.nextInt(10);
            if (op < 6 || keys.isEmpty()) {
                // small key space part of the time, so keys collide in their low hash bits too
                long mac = random.nextBoolean() ? random.nextLong() & 0xFFFF_FFFF_FFFFL : random.nextInt(4096);
                FdbEntry e = new FdbEntry(mac, random.nextInt());
                t = t.put(e);
                ref.put(mac, e);
                keys.add(mac);
            } else if (op < 9) {
                long mac = keys.get(random.nextInt(keys.size()));
                t = t.remove(mac);
                ref.remove(mac);
                assertSame(t, t.remove(mac), "removing twice is a no-op");
            } else {
                long absent = random.nextLong() | 1L << 60; // never a 48-bit MAC
                assertSame(t, t.remove(absent));
            }
            if (i % 10_000 == 0) {
                versions.add(t);
                refs.add(new HashMap<>(ref));
            }
        }
        assertEquals(ref.size(), t.size());
        for (long k : keys) {
            assertSame(ref.get(k), t.get(k));
        }
        for (int v = 0; v < versions.size(); v++) {
            HashTrie<FdbEntry> old = versions.get(v);
            Map<Long, FdbEntry> oldRef = refs.get(v);
            assertEquals(oldRef.size(), old.size());
            for (long k : keys) {
                assertSame(oldRef.get(k), old.get(k));
            }
        }
        List<FdbEntry> listed = new ArrayList<>();
        t.forEach(listed::add);
        assertEquals(ref.size(), listed.size());
    }

    @Test
    void emptiesBackToNothing() {
        HashTrie<ArpEntry> t = HashTrie.empty();
        for (int ip = 0; ip < 5000; ip++) {
            t = t.put(new ArpEntry(ip, ip * 3L));
        }
        for (int ip = 0; ip < 5000; ip++) {
            assertEquals(ip * 3L, t.get(ip).mac());
            t = t.remove(ip);
        }
        assertEquals(0, t.size());
        assertNull(t.get(7));
        assertEquals(24 + 16, t.footprintBytes(), "only the empty root is left");
    }
}
