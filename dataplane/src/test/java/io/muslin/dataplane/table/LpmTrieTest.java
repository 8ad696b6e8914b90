package io.muslin.dataplane.table;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.muslin.dataplane.packet.Ipv4Address;
import io.muslin.dataplane.packet.Ipv4Prefix;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class LpmTrieTest {
    private static final int PREFIXES = 100_000;
    private static final int RANDOM_KEYS = 200_000;

    /**
     * 100k random prefixes of mixed lengths (with /0 and the full-length host route), random
     * keys and keys at the edges of the prefixes, against per-length hash maps; then half the
     * prefixes deleted (some twice, some never there), some re-added with new next hops, and
     * the old version checked again: it must not have moved.
     */
    @ParameterizedTest
    @EnumSource(Family.class)
    void matchesReferenceOnRandomTableWithDeletes(Family family) {
        RandomRoutes gen = new RandomRoutes(family, 7 + family.ordinal());
        LpmTrie<RouteEntry> trie = LpmTrie.empty(family);
        ReferenceLpm<RouteEntry> ref = new ReferenceLpm<>(family);
        List<RouteEntry> inserted = new ArrayList<>();
        inserted.add(hostRoute(family, 0x0A00_0001_0000_0000L, 0x11));
        inserted.add(defaultRoute(family));
        while (inserted.size() < PREFIXES) {
            inserted.add(gen.route());
        }
        for (RouteEntry r : inserted) {
            trie = trie.put(r);
            ref.put(r);
        }
        assertEquals(ref.size(), trie.size());
        trie.check();
        compare(family, gen, trie, ref, inserted);

        LpmTrie<RouteEntry> before = trie;
        ReferenceLpm<RouteEntry> refBefore = ref.copy();
        for (int i = 0; i < inserted.size(); i += 2) {
            RouteEntry r = inserted.get(i);
            trie = trie.remove(r.keyHi(), r.keyLo(), r.length());
            ref.remove(r.keyHi(), r.keyLo(), r.length());
            if (i % 10 == 0) { // again: idempotent
                assertSame(trie, trie.remove(r.keyHi(), r.keyLo(), r.length()));
            }
        }
        for (int i = 0; i < 1000; i++) { // never there
            RouteEntry r = gen.route();
            if (ref.get(r.keyHi(), r.keyLo(), r.length()) == null) {
                assertSame(trie, trie.remove(r.keyHi(), r.keyLo(), r.length()));
            }
        }
        for (int i = 0; i < inserted.size(); i += 7) { // re-add some, with a new value
            RouteEntry r = withNewNextHop(inserted.get(i));
            trie = trie.put(r);
            ref.put(r);
        }
        assertEquals(ref.size(), trie.size());
        trie.check();
        compare(family, gen, trie, ref, inserted);
        compare(family, gen, before, refBefore, inserted);
    }

    /** The plainest reference: scan every route for every key. */
    @ParameterizedTest
    @EnumSource(Family.class)
    void matchesLinearScanOnSmallTables(Family family) {
        RandomRoutes gen = new RandomRoutes(family, 99);
        for (int round = 0; round < 20; round++) {
            LpmTrie<RouteEntry> trie = LpmTrie.empty(family);
            ReferenceLpm<RouteEntry> ref = new ReferenceLpm<>(family);
            for (int i = 0; i < 1 + round * 10; i++) {
                RouteEntry r = gen.route();
                trie = trie.put(r);
                ref.put(r);
            }
            List<RouteEntry> all = ref.all();
            for (int i = 0; i < 2000; i++) {
                long[] k = i % 2 == 0 || all.isEmpty() ? new long[] {gen.hi(), gen.lo()} : gen.keyIn(all.get(gen.nextInt(all.size())));
                assertSame(ReferenceLpm.scan(all, k[0], k[1]), trie.lookup(k[0], k[1]));
            }
            trie.check();
        }
    }

    @Test
    void shortPrefixesArePushedUnderLongerOnesAndWithdrawnCleanly() {
        LpmTrie<Route> t = LpmTrie.empty(Family.IPV4);
        Route r24 = route("10.244.2.0/24", "10.244.2.0");
        Route r32 = route("10.244.2.7/32", "192.168.50.7");
        Route r16 = route("10.244.0.0/16", "192.168.50.1");
        Route r0 = route("0.0.0.0/0", "192.168.50.254");
        t = t.put(r24).put(r32);
        assertNull(t.lookup(ip("10.244.3.1")));
        t = t.put(r16).put(r0);
        assertSame(r32, t.lookup(ip("10.244.2.7")));
        assertSame(r24, t.lookup(ip("10.244.2.8")));
        assertSame(r16, t.lookup(ip("10.244.3.1")));
        assertSame(r0, t.lookup(ip("8.8.8.8")));
        t.check();

        t = t.remove(Family.ipv4Key(ip("10.244.2.0")), 0, 24);
        assertSame(r32, t.lookup(ip("10.244.2.7")));
        assertSame(r16, t.lookup(ip("10.244.2.8")), "the /16 shows through where the /24 was");
        t = t.remove(Family.ipv4Key(ip("10.244.0.0")), 0, 16).remove(0, 0, 0);
        assertSame(r32, t.lookup(ip("10.244.2.7")));
        assertNull(t.lookup(ip("10.244.2.8")));
        t = t.remove(Family.ipv4Key(ip("10.244.2.7")), 0, 32);
        assertEquals(0, t.size());
        assertEquals(1, t.footprint().nodes(), "only the root is left");
        t.check();
    }

    @Test
    void replacingARouteKeepsTheSize() {
        LpmTrie<Route> t = LpmTrie.<Route>empty(Family.IPV4).put(route("10.0.0.0/8", "1.1.1.1"));
        Route moved = route("10.0.0.0/8", "2.2.2.2");
        t = t.put(moved);
        assertEquals(1, t.size());
        assertSame(moved, t.lookup(ip("10.1.2.3")));
        assertSame(moved, t.get(Family.ipv4Key(ip("10.0.0.0")), 0, 8));
    }

    @Test
    void ipv6HostAndDefaultRoutes() {
        LpmTrie<Route6> t = LpmTrie.empty(Family.IPV6);
        Route6 host = Route6.parse("fd00:1::7/128", "fe80::1", 0);
        Route6 net = Route6.parse("fd00:1::/64", "fe80::2", Route.DIRECT);
        Route6 all = Route6.parse("::/0", "fe80::3", 0);
        t = t.put(host).put(net).put(all);
        assertSame(host, t.lookup(Ipv6Text.hi("fd00:1::7"), Ipv6Text.lo("fd00:1::7")));
        assertSame(net, t.lookup(Ipv6Text.hi("fd00:1::8"), Ipv6Text.lo("fd00:1::8")));
        assertSame(all, t.lookup(Ipv6Text.hi("2001:db8::1"), Ipv6Text.lo("2001:db8::1")));
        assertEquals("fd00:1::/64 via fe80::2 direct", net.toString());
        t.check();
    }

    @Test
    void rejectsHostBitsAndBadLengths() {
        LpmTrie<RouteEntry> t = LpmTrie.empty(Family.IPV4);
        assertThrows(IllegalArgumentException.class, () -> t.remove(Family.ipv4Key(ip("10.0.0.1")), 0, 8));
        assertThrows(IllegalArgumentException.class, () -> t.remove(0, 0, 33));
        assertThrows(IllegalArgumentException.class, () -> t.put(Route6.parse("fd00::/40", "fe80::1", 0)));
        assertThrows(IllegalArgumentException.class, () -> Route6.parse("fd00::1/64", "fe80::1", 0));
    }

    private static void compare(Family family, RandomRoutes gen, LpmTrie<RouteEntry> trie,
                                ReferenceLpm<RouteEntry> ref, List<RouteEntry> near) {
        for (int i = 0; i < RANDOM_KEYS; i++) {
            long hi = gen.hi();
            long lo = gen.lo();
            assertSame(ref.lookup(hi, lo), trie.lookup(hi, lo), () -> "key " + Ipv6Text.formatKey(family, hi, lo));
        }
        for (RouteEntry r : near) {
            long[] k = gen.keyIn(r);
            assertSame(ref.lookup(k[0], k[1]), trie.lookup(k[0], k[1]),
                () -> "key " + Ipv6Text.formatKey(family, k[0], k[1]) + " in " + r);
            assertSame(ref.get(r.keyHi(), r.keyLo(), r.length()), trie.get(r.keyHi(), r.keyLo(), r.length()));
        }
        if (family == Family.IPV4) {
            for (int i = 0; i < 1000; i++) {
                int a = (int) (gen.hi() >>> 32);
                assertSame(ref.lookup(Family.ipv4Key(a), 0), trie.lookup(a));
            }
        }
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
