package io.muslin.control.lease;

import io.muslin.dataplane.packet.Ipv6Address;
import io.muslin.dataplane.packet.Ipv6Prefix;
import java.math.BigInteger;
import java.util.Optional;
import java.util.Set;
import java.util.random.RandomGenerator;

/**
 * The IPv6 half of a dual-stack network (flannel's {@code EnableIPv6}): node subnets are
 * {@code IPv6SubnetLen}-long subnets of {@code IPv6Network} from {@code IPv6SubnetMin} to
 * {@code IPv6SubnetMax}, checked and defaulted as flannel's {@code CheckNetworkConfig} does
 * ({@code pkg/subnet/config.go}):
 * <ul>
 *   <li>{@code IPv6SubnetLen} defaults to 64 when the network is a /62 or larger, else to the
 *       network's length + 2; it must be at most 126 and at least the network's length + 2 (four
 *       subnets: the first is not used);</li>
 *   <li>{@code IPv6SubnetMin} defaults to the second subnet, {@code IPv6SubnetMax} to the second
 *       to last; both are addresses inside the network on a subnet boundary.</li>
 * </ul>
 * {@link #pick} chooses a free subnet at random, as the IPv4 {@link SubnetAllocator} does.
 *
 * @param network   the cluster's IPv6 pod network, e.g. {@code fd00:10:244::/56}
 * @param subnetLen the length of each node's IPv6 subnet
 * @param min       the first subnet handed out
 * @param max       the last subnet handed out
 */
public record Ipv6Network(Ipv6Prefix network, int subnetLen, Ipv6Prefix min, Ipv6Prefix max) {
    /** flannel's default IPv6SubnetLen for a network of /62 or larger. */
    public static final int DEFAULT_SUBNET_LEN = 64;
    public static final int MAX_SUBNET_LEN = 126;
    static final int PROBES = 64;

    public Ipv6Network {
        if (subnetLen > MAX_SUBNET_LEN || subnetLen < network.length() + 2) {
            throw new IllegalArgumentException("IPv6SubnetLen: " + subnetLen + " does not fit IPv6Network " + network
                + " (accepted: " + (network.length() + 2) + "-" + MAX_SUBNET_LEN + ": four subnets at least)");
        }
        for (Ipv6Prefix bound : new Ipv6Prefix[] {min, max}) {
            if (bound.length() != subnetLen || !network.contains(bound)) {
                throw new IllegalArgumentException("IPv6Subnet" + (bound == min ? "Min" : "Max") + ": " + bound
                    + " is not a /" + subnetLen + " of IPv6Network " + network);
            }
        }
        if (value(min).compareTo(value(max)) > 0) {
            throw new IllegalArgumentException("IPv6SubnetMin: " + min.address() + " is above IPv6SubnetMax "
                + max.address() + " (accepted: IPv6SubnetMin <= IPv6SubnetMax inside IPv6Network " + network + ")");
        }
    }

    /** flannel's default IPv6SubnetLen for {@code network}. */
    public static int defaultSubnetLen(Ipv6Prefix network) {
        return network.length() <= DEFAULT_SUBNET_LEN - 2 ? DEFAULT_SUBNET_LEN : network.length() + 2;
    }

    /**
     * The IPv6 network with flannel's defaults for what is not given.
     *
     * @param subnetLen 0 for the default
     * @param min       the first address of the lowest subnet to hand out, or null for the second subnet
     * @param max       the first address of the highest, or null for the second to last
     * @throws IllegalArgumentException whose message starts with the field's name
     */
    public static Ipv6Network of(Ipv6Prefix network, int subnetLen, Ipv6Address min, Ipv6Address max) {
        if (network.length() > 124) {
            throw new IllegalArgumentException("IPv6Network: " + network + " is too small (accepted: a prefix of /124 or shorter)");
        }
        int len = subnetLen == 0 ? defaultSubnetLen(network) : subnetLen;
        BigInteger step = BigInteger.ONE.shiftLeft(128 - len);
        BigInteger base = value(network);
        BigInteger end = base.add(BigInteger.ONE.shiftLeft(128 - network.length()));
        return new Ipv6Network(network, len, bound("IPv6SubnetMin", min, base.add(step), len, network),
            bound("IPv6SubnetMax", max, end.subtract(step.shiftLeft(1)), len, network));
    }

    private static Ipv6Prefix bound(String field, Ipv6Address given, BigInteger fallback, int len, Ipv6Prefix network) {
        if (given == null) {
            return prefix(fallback, len);
        }
        if (!network.contains(given.hi(), given.lo())) {
            throw new IllegalArgumentException(field + ": " + given + " is outside IPv6Network " + network);
        }
        try {
            return new Ipv6Prefix(given.hi(), given.lo(), len);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(field + ": " + given + " is not on a /" + len
                + " boundary (accepted: the first address of a subnet)");
        }
    }

    /** How many subnets the range holds (at most Long.MAX_VALUE counted). */
    public long size() {
        BigInteger n = value(max).subtract(value(min)).shiftRight(128 - subnetLen).add(BigInteger.ONE);
        return n.bitLength() < 63 ? n.longValue() : Long.MAX_VALUE;
    }

    /** True when {@code subnet} is one this network hands out. */
    public boolean inRange(Ipv6Prefix subnet) {
        return subnet.length() == subnetLen && value(subnet).compareTo(value(min)) >= 0
            && value(subnet).compareTo(value(max)) <= 0;
    }

    /** A free subnet (not in {@code taken}), chosen at random; empty when the range is full. */
    public Optional<Ipv6Prefix> pick(Set<Ipv6Prefix> taken, RandomGenerator random) {
        long count = size();
        for (int i = 0; i < PROBES; i++) {
            Ipv6Prefix p = subnet(random.nextLong(count));
            if (!taken.contains(p)) {
                return Optional.of(p);
            }
        }
        long offset = random.nextLong(count);
        for (long i = 0, n = Math.min(count, taken.size() + 1L); i < n; i++) {
            Ipv6Prefix p = subnet(Math.floorMod(offset + i, count));
            if (!taken.contains(p)) {
                return Optional.of(p);
            }
        }
        return Optional.empty();
    }

    private Ipv6Prefix subnet(long index) {
        return prefix(value(min).add(BigInteger.valueOf(index).shiftLeft(128 - subnetLen)), subnetLen);
    }

    private static BigInteger value(Ipv6Prefix p) {
        return new BigInteger(1, new byte[] {
            (byte) (p.hi() >>> 56), (byte) (p.hi() >>> 48), (byte) (p.hi() >>> 40), (byte) (p.hi() >>> 32),
            (byte) (p.hi() >>> 24), (byte) (p.hi() >>> 16), (byte) (p.hi() >>> 8), (byte) p.hi(),
            (byte) (p.lo() >>> 56), (byte) (p.lo() >>> 48), (byte) (p.lo() >>> 40), (byte) (p.lo() >>> 32),
            (byte) (p.lo() >>> 24), (byte) (p.lo() >>> 16), (byte) (p.lo() >>> 8), (byte) p.lo()});
    }

    private static Ipv6Prefix prefix(BigInteger v, int len) {
        return new Ipv6Prefix(v.shiftRight(64).longValue(), v.longValue(), len);
    }
}
