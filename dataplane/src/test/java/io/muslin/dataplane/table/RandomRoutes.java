package io.muslin.dataplane.table;

import java.util.SplittableRandom;

/** Random prefixes of mixed lengths (every length from /0 to /32 or /128 occurs) and keys near them. */
final class RandomRoutes {
    private final Family family;
    private final SplittableRandom random;
    /** Next hops are drawn from this many (0: any). */
    private final int nextHops;

    RandomRoutes(Family family, long seed) {
        this(family, seed, 0);
    }

    RandomRoutes(Family family, long seed, int nextHops) {
        this.family = family;
        this.random = new SplittableRandom(seed);
        this.nextHops = nextHops;
    }

    /** Half the time a uniform length, else one weighted like a routing table (mostly /24, /48). */
    int length() {
        if (random.nextBoolean()) {
            return random.nextInt(family.bits() + 1);
        }
        int[] usual = family == Family.IPV4
            ? new int[] {16, 20, 22, 23, 24, 24, 24, 24, 24, 32}
            : new int[] {32, 40, 44, 48, 48, 48, 48, 56, 64, 128};
        return usual[random.nextInt(usual.length)];
    }

    long hi() {
        long hi = random.nextLong();
        return family == Family.IPV4 ? hi & 0xFFFF_FFFF_0000_0000L : hi;
    }

    long lo() {
        return family == Family.IPV4 ? 0 : random.nextLong();
    }

    /** A random route: random address masked to a random length, random next hop and flags. */
    RouteEntry route() {
        int len = length();
        long hi = hi() & ReferenceLpm.maskHi(len);
        long lo = lo() & ReferenceLpm.maskLo(len);
        int flags = random.nextInt(2);
        if (family == Family.IPV4) {
            return new Route((int) (hi >>> 32), len, nextHops == 0 ? random.nextInt() : 0x0A00_0000 + random.nextInt(nextHops), flags);
        }
        return new Route6(hi, lo, len, 0xFE80_0000_0000_0000L, nextHops == 0 ? random.nextLong() : random.nextInt(nextHops), flags);
    }

    /** A key inside {@code r}: its first or last address, or a random one. */
    long[] keyIn(RouteEntry r) {
        int len = r.length();
        long hostHi = ~ReferenceLpm.maskHi(len) & (family == Family.IPV4 ? 0xFFFF_FFFF_0000_0000L : -1L);
        long hostLo = family == Family.IPV4 ? 0 : ~ReferenceLpm.maskLo(len);
        return switch (random.nextInt(3)) {
            case 0 -> new long[] {r.keyHi(), r.keyLo()};
            case 1 -> new long[] {r.keyHi() | hostHi, r.keyLo() | hostLo};
            default -> new long[] {r.keyHi() | (hi() & hostHi), r.keyLo() | (lo() & hostLo)};
        };
    }

    int nextInt(int bound) {
        return random.nextInt(bound);
    }
}
