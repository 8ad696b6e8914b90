package io.muslin.dataplane.table;

import io.muslin.dataplane.packet.Ipv6Text;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.muslin.dataplane.packet.Ipv4Address;
import io.muslin.dataplane.packet.Ipv4Prefix;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;

class LpmTrieTest {
    private static final int PREFIXES = 100_000;
    private static final int RANDOM_KEYS = 200_000;

    /**
     * 100k random prefixes of mixed lengths (with /0 and the full-length host route), random
     * keys and keys at the edges of the prefixes, against per-length hash maps; then half the
     * prefixes deleted (some twice, some never there), some re-added with new next hops, and
     * the old version checked again: it must not have moved. Every route has its own random
     * next hop, so ids are freed and reused throughout; or, with {@code nextHops} > 0, one of
     * that many, so ids stay small and most /16s are also kept inline in the directory (with
     * ids of more than 16 bits, only those under which no route has a large id are).
     */
    @ParameterizedTest
    @CsvSource({"IPV4, 0", "IPV6, 0", "IPV4, 200", "IPV6, 200"})
    void matchesReferenceOnRandomTableWithDeletes(Family family, int nextHops) {
        RandomRoutes gen = new RandomRoutes(family, 7 + family.ordinal(), nextHops);
        LpmTrie.Writer<RouteEntry> w = LpmTrie.<RouteEntry>empty(family).writer();
        ReferenceLpm<RouteEntry> ref = new ReferenceLpm<>(family);
        List<RouteEntry> inserted = new ArrayList<>();
        inserted.add(hostRoute(family, 0x0A00_0001_0000_0000L, 0x11));
        inserted.add(defaultRoute(family));
        while (inserted.size() < PREFIXES) {
            inserted.add(gen.route());
        }
        for (RouteEntry r : inserted) {
            w.put(r);
            ref.put(r);
        }
        LpmTrie<RouteEntry> trie = w.trie();
        assertEquals(ref.size(), trie.size());
        trie.check();
        checkUses(w, ref);
        compare(family, gen, trie, ref, inserted);

        LpmTrie<RouteEntry> before = trie;
        ReferenceLpm<RouteEntry> refBefore = ref.copy();
        for (int i = 0; i < inserted.size(); i += 2) {
            RouteEntry r = inserted.get(i);
            w.remove(r.keyHi(), r.keyLo(), r.length());
            ref.remove(r.keyHi(), r.keyLo(), r.length());
            if (i % 10 == 0) { // again: idempotent
                LpmTrie<RouteEntry> t = w.trie();
                assertSame(t, w.remove(r.keyHi(), r.keyLo(), r.length()).trie());
            }
        }
        for (int i = 0; i < 1000; i++) { // never there
            RouteEntry r = gen.route();
            if (ref.get(r.keyHi(), r.keyLo(), r.length()) == null) {
                LpmTrie<RouteEntry> t = w.trie();
                assertSame(t, w.remove(r.keyHi(), r.keyLo(), r.length()).trie());
            }
        }
        for (int i = 0; i < inserted.size(); i += 7) { // re-add some, with a new value
            RouteEntry r = withNewNextHop(inserted.get(i));
            w.put(r);
            ref.put(r);
        }
        trie = w.trie();
        assertEquals(ref.size(), trie.size());
        trie.check();
        checkUses(w, ref);
        compare(family, gen, trie, ref, inserted);
        compare(family, gen, before, refBefore, inserted);
        before.check();
    }

    /** The plainest reference: scan every route for every key. */
    @ParameterizedTest
    @EnumSource(Family.class)
    void matchesLinearScanOnSmallTables(Family family) {
        RandomRoutes gen = new RandomRoutes(family, 99);
        for (int round = 0; round < 20; round++) {
            LpmTrie.Writer<RouteEntry> w = LpmTrie.<RouteEntry>empty(family).writer();
            ReferenceLpm<RouteEntry> ref = new ReferenceLpm<>(family);
            for (int i = 0; i < 1 + round * 10; i++) {
                RouteEntry r = gen.route();
                w.put(r);
                ref.put(r);
            }
            LpmTrie<RouteEntry> trie = w.trie();
            List<RouteEntry> all = ref.all();
            for (int i = 0; i < 2000; i++) {
                long[] k = i % 2 == 0 || all.isEmpty() ? new long[] {gen.hi(), gen.lo()} : gen.keyIn(all.get(gen.nextInt(all.size())));
                RouteEntry expected = ReferenceLpm.scan(all, k[0], k[1]);
                assertNextHop(expected, trie.lookup(k[0], k[1]), "");
                assertEquals(expected, trie.lookupRoute(k[0], k[1]));
            }
            trie.check();
        }
    }

    @Test
    void shortPrefixesArePushedUnderLongerOnesAndWithdrawnCleanly() {
        LpmTrie.Writer<Route> w = LpmTrie.<Route>empty(Family.IPV4).writer();
        Route r24 = route("10.244.2.0/24", "10.244.2.0");
        Route r32 = route("10.244.2.7/32", "192.168.50.7");
        Route r16 = route("10.244.0.0/16", "192.168.50.1");
        Route r0 = route("0.0.0.0/0", "192.168.50.254");
        LpmTrie<Route> t = w.put(r24).put(r32).trie();
        assertNull(t.lookup(ip("10.244.3.1")));
        assertNull(t.lookupRoute(ip("10.244.3.1")));
        t = w.put(r16).put(r0).trie();
        assertEquals(ip("192.168.50.7"), t.lookup(ip("10.244.2.7")).address());
        assertEquals(ip("10.244.2.0"), t.lookup(ip("10.244.2.8")).address());
        assertEquals(ip("192.168.50.1"), t.lookup(ip("10.244.3.1")).address());
        assertEquals(ip("192.168.50.254"), t.lookup(ip("8.8.8.8")).address());
        // The /16 and /0 were pushed into the /24's and /32's nodes; the exact answer still names them.
        assertEquals(r32, t.lookupRoute(ip("10.244.2.7")));
        assertEquals(r24, t.lookupRoute(ip("10.244.2.8")));
        assertEquals(r16, t.lookupRoute(ip("10.244.3.1")));
        assertEquals(r16, t.lookupRoute(ip("10.244.255.255")));
        assertEquals(r0, t.lookupRoute(ip("8.8.8.8")));
        assertEquals(r0, t.lookupRoute(ip("10.245.0.0")));
        t.check();

        t = w.remove(Family.ipv4Key(ip("10.244.2.0")), 0, 24).trie();
        assertEquals(r32, t.lookupRoute(ip("10.244.2.7")));
        assertEquals(r16, t.lookupRoute(ip("10.244.2.8")), "the /16 shows through where the /24 was");
        t = w.remove(Family.ipv4Key(ip("10.244.0.0")), 0, 16).remove(0, 0, 0).trie();
        assertEquals(r32, t.lookupRoute(ip("10.244.2.7")));
        assertNull(t.lookup(ip("10.244.2.8")));
        t = w.remove(Family.ipv4Key(ip("10.244.2.7")), 0, 32).trie();
        assertEquals(0, t.size());
        assertEquals(1, t.footprint().nodes(), "only the root is left");
        assertEquals(0, w.nextHops());
        t.check();
    }

    /**
     * A /8 keeps an inline chunk of its own only while at least a quarter of its /16s' nodes
     * fit and have more than one run: /16 by /16, one batch each, its nodes are thinned to fit
     * and then filled again, and every version answers every key as it should.
     */
    @Test
    void aSlash8HasItsOwnInlineChunkOnlyWhileAQuarterOfItsSlash16sFit() {
        LpmTrie.Writer<Route> w = LpmTrie.<Route>empty(Family.IPV4).writer();
        for (int s = 0; s < 256; s++) {
            for (int k = 0; k < 24; k += 2) { // 12 /24s with gaps between them: 24 runs, out of line
                w.put(route("10." + s + "." + k + ".0/24", "192.168.0." + k));
            }
        }
        LpmTrie<Route> t = w.trie();
        t.check();
        assertEquals(0, t.inlineSlash16s(10));
        assertEquals(0, t.inlineSlash16s(11), "an empty /8's one-run nodes gain nothing inline");
        boolean[] thin = new boolean[256];
        for (int s = 0; s < 256; s++) {
            for (int k = 2; k < 24; k += 2) { // keep the first /24: 2 runs
                w.remove(Family.ipv4Key(ip("10." + s + "." + k + ".0")), 0, 24);
            }
            thin[s] = true;
            t = w.trie();
            checkSlash8(t, thin, s + 1);
        }
        for (int s = 0; s < 256; s++) {
            for (int k = 2; k < 24; k += 2) {
                w.put(route("10." + s + "." + k + ".0/24", "192.168.0." + k));
            }
            thin[s] = false;
            t = w.trie();
            checkSlash8(t, thin, 255 - s);
        }
    }

    /**
     * 10/8 of the test above with {@code fit} /16s thinned: inline count and answers, and the
     * whole structure (slow) around the threshold and every 16 steps.
     */
    private static void checkSlash8(LpmTrie<Route> t, boolean[] thin, int fit) {
        if (Math.abs(fit - 64) <= 2 || fit % 16 == 0) {
            t.check();
        }
        assertEquals(fit < 64 ? 0 : fit, t.inlineSlash16s(10), fit + " /16s fit");
        for (int s = 0; s < 256; s++) {
            for (int k = 0; k < 26; k++) {
                NextHop h = t.lookup(ip("10." + s + "." + k + ".9"));
                boolean routed = k % 2 == 0 && k < 24 && (k == 0 || !thin[s]);
                assertEquals(routed ? (Integer) ip("192.168.0." + k) : null, h == null ? null : h.address(), "10." + s + "." + k + ".9");
            }
        }
    }

    @Test
    void replacingARouteKeepsTheSize() {
        LpmTrie.Writer<Route> w = LpmTrie.<Route>empty(Family.IPV4).writer().put(route("10.0.0.0/8", "1.1.1.1"));
        Route moved = route("10.0.0.0/8", "2.2.2.2");
        LpmTrie<Route> t = w.put(moved).trie();
        assertEquals(1, t.size());
        assertEquals(ip("2.2.2.2"), t.lookup(ip("10.1.2.3")).address());
        assertEquals(moved, t.get(Family.ipv4Key(ip("10.0.0.0")), 0, 8));
        assertEquals(1, w.nextHops(), "1.1.1.1 is no longer used");
        assertSame(t, w.put(route("10.0.0.0/8", "2.2.2.2")).trie(), "the same route again changes nothing");
    }

    /** Routes with equal next hops and flags share one {@code NextHop}; flags tell them apart. */
    @Test
    void equalNextHopsShareOneObject() {
        LpmTrie<Route> t = LpmTrie.<Route>empty(Family.IPV4).writer()
            .put(route("10.244.1.0/24", "192.168.50.1"))
            .put(route("10.245.0.0/16", "192.168.50.1"))
            .put(route("10.246.7.9/32", "192.168.50.1"))
            .put(new Route(Ipv4Prefix.parse("10.247.0.0/16"), ip("192.168.50.1"), Route.DIRECT))
            .trie();
        NextHop a = t.lookup(ip("10.244.1.5"));
        assertSame(a, t.lookup(ip("10.245.3.3")));
        assertSame(a, t.lookup(ip("10.246.7.9")));
        NextHop direct = t.lookup(ip("10.247.0.1"));
        assertNotSame(a, direct);
        assertTrue(direct.direct());
        assertEquals(a.address(), direct.address());
        assertEquals("via 192.168.50.1 direct", direct.toString());
        t.check();
    }

    /**
     * 100,000 next hops come and go, at most 8 in use at once: the id space stays within twice
     * that (ids are reused), and a snapshot taken before an id was reused still resolves it to
     * its own next hop.
     */
    @Test
    void nextHopsNoRouteUsesAreFreedAndReused() {
        LpmTrie.Writer<Route> w = LpmTrie.<Route>empty(Family.IPV4).writer();
        List<LpmTrie<Route>> old = new ArrayList<>();
        for (int i = 0; i < 100_000; i++) {
            Ipv4Prefix p = new Ipv4Prefix(0x0A00_0000 | (i % 8) << 8, 24);
            w.put(new Route(p, 0x0B00_0000 + i));
            if (i % 10_000 == 0) {
                old.add(w.trie());
            }
        }
        LpmTrie<Route> t = w.trie();
        assertEquals(8, w.nextHops());
        assertTrue(t.nextHopSlots() <= 2 * 8 + 1, t.nextHopSlots() + " next-hop slots for 8 in use");
        for (int k = 0; k < old.size(); k++) {
            int i = k * 10_000;
            assertEquals(0x0B00_0000 + i, old.get(k).lookup(0x0A00_0000 | (i % 8) << 8 | 1).address());
            old.get(k).check();
        }
        t.check();
    }

    @Test
    void ipv6HostAndDefaultRoutes() {
        Route6 host = Route6.parse("fd00:1::7/128", "fe80::1", 0);
        Route6 net = Route6.parse("fd00:1::/64", "fe80::2", Route.DIRECT);
        Route6 all = Route6.parse("::/0", "fe80::3", 0);
        LpmTrie<Route6> t = LpmTrie.<Route6>empty(Family.IPV6).writer().put(host).put(net).put(all).trie();
        assertEquals(host, t.lookupRoute(Ipv6Text.hi("fd00:1::7"), Ipv6Text.lo("fd00:1::7")));
        assertEquals(net, t.lookupRoute(Ipv6Text.hi("fd00:1::8"), Ipv6Text.lo("fd00:1::8")));
        assertEquals(all, t.lookupRoute(Ipv6Text.hi("2001:db8::1"), Ipv6Text.lo("2001:db8::1")));
        NextHop via = t.lookup(Ipv6Text.hi("fd00:1::8"), Ipv6Text.lo("fd00:1::8"));
        assertEquals(Ipv6Text.lo("fe80::2"), via.lo());
        assertEquals("via fe80::2 direct", via.toString());
        assertEquals("fd00:1::/64 via fe80::2 direct", net.toString());
        t.check();
    }

    @Test
    void rejectsHostBitsAndBadLengths() {
        LpmTrie.Writer<RouteEntry> w = LpmTrie.<RouteEntry>empty(Family.IPV4).writer();
        assertThrows(IllegalArgumentException.class, () -> w.remove(Family.ipv4Key(ip("10.0.0.1")), 0, 8));
        assertThrows(IllegalArgumentException.class, () -> w.remove(0, 0, 33));
        assertThrows(IllegalArgumentException.class, () -> w.put(Route6.parse("fd00::/40", "fe80::1", 0)));
        assertThrows(IllegalArgumentException.class, () -> Route6.parse("fd00::1/64", "fe80::1", 0));
        assertEquals(0, w.trie().size());
    }

    private static void compare(Family family, RandomRoutes gen, LpmTrie<RouteEntry> trie,
                                ReferenceLpm<RouteEntry> ref, List<RouteEntry> near) {
        for (int i = 0; i < RANDOM_KEYS; i++) {
            long hi = gen.hi();
            long lo = gen.lo();
            RouteEntry expected = ref.lookup(hi, lo);
            assertNextHop(expected, trie.lookup(hi, lo), Underlay.format(family, hi, lo));
            if (i % 4 == 0) {
                assertEquals(expected, trie.lookupRoute(hi, lo));
            }
        }
        for (RouteEntry r : near) {
            long[] k = gen.keyIn(r);
            RouteEntry expected = ref.lookup(k[0], k[1]);
            assertNextHop(expected, trie.lookup(k[0], k[1]), Underlay.format(family, k[0], k[1]) + " in " + r);
            assertEquals(expected, trie.lookupRoute(k[0], k[1]));
            assertEquals(ref.get(r.keyHi(), r.keyLo(), r.length()), trie.get(r.keyHi(), r.keyLo(), r.length()));
        }
        if (family == Family.IPV4) {
            for (int i = 0; i < 1000; i++) {
                int a = (int) (gen.hi() >>> 32);
                assertNextHop(ref.lookup(Family.ipv4Key(a), 0), trie.lookup(a), Ipv4Address.format(a));
            }
        }
    }

    /** The next hop is the expected route's (same address and flags), or null for no route. */
    private static void assertNextHop(RouteEntry expected, NextHop actual, String key) {
        if (expected == null) {
            assertNull(actual, () -> "key " + key);
        } else {
            assertTrue(actual != null && actual.hi() == expected.nextHopHi() && actual.lo() == expected.nextHopLo()
                && actual.flags() == expected.flags(), () -> "key " + key + ": " + actual + ", expected " + expected);
        }
    }

    /** The writer counts exactly the distinct next hops the routes use. */
    private static void checkUses(LpmTrie.Writer<RouteEntry> w, ReferenceLpm<RouteEntry> ref) {
        Set<List<Long>> distinct = new HashSet<>();
        for (RouteEntry r : ref.all()) {
            distinct.add(List.of(r.nextHopHi(), r.nextHopLo(), (long) r.flags()));
        }
        assertEquals(distinct.size(), w.nextHops());
    }

    private static RouteEntry hostRoute(Family family, long hi, long lo) {
        return family == Family.IPV4 ? new Route((int) (hi >>> 32), 32, 1, 0) : new Route6(hi, lo, 128, 1, 1, 0);
    }

    private static RouteEntry defaultRoute(Family family) {
        return family == Family.IPV4 ? new Route(0, 0, 2, 0) : new Route6(0, 0, 0, 2, 2, 0);
    }

    private static RouteEntry withNewNextHop(RouteEntry r) {
        return r instanceof Route v4
            ? new Route(v4.address(), v4.length(), v4.nextHop() + 1, v4.flags())
            : new Route6(r.keyHi(), r.keyLo(), r.length(), ((Route6) r).nextHopHi() + 1, 0, r.flags());
    }

    static Route route(String prefix, String via) {
        return new Route(Ipv4Prefix.parse(prefix), Ipv4Address.parse(via));
    }

    static int ip(String s) {
        return Ipv4Address.parse(s);
    }
}
