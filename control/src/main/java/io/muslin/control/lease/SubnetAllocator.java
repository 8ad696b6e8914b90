package io.muslin.control.lease;

import io.muslin.dataplane.packet.Ipv4Address;
import io.muslin.dataplane.packet.Ipv4Prefix;
import java.util.Optional;
import java.util.Set;
import java.util.random.RandomGenerator;

/**
 * Picks a free node subnet, as flannel's subnet manager does: the candidates are the
 * {@code SubnetLen} subnets of {@code Network} from {@code SubnetMin} to {@code SubnetMax}
 * (by default all but the first and the last, flannel's defaults), and one not taken is chosen
 * at random, so nodes that allocate at the same moment rarely collide (the store's
 * create-if-absent settles the rest).
 */
public final class SubnetAllocator {
    /** Random probes before falling back to a scan (a nearly full range). */
    static final int PROBES = 64;

    private final int subnetLen;
    private final long first;
    private final long count;
    private final long step;

    /**
     * @param min the lowest subnet to hand out, or null for the second subnet of the network
     * @param max the highest, or null for the second to last
     * @throws IllegalArgumentException naming the field when the range is empty or not inside the network
     */
    public SubnetAllocator(Ipv4Prefix network, int subnetLen, Ipv4Prefix min, Ipv4Prefix max) {
        if (subnetLen <= network.length() || subnetLen > 30) {
            throw new IllegalArgumentException("SubnetLen " + subnetLen + " does not fit Network " + network
                + " (accepted: " + (network.length() + 1) + "-30)");
        }
        this.subnetLen = subnetLen;
        this.step = 1L << (32 - subnetLen);
        long base = Integer.toUnsignedLong(network.address());
        long size = 1L << (32 - network.length());
        long lo = min != null ? start("SubnetMin", min, network) : base + step;
        long hi = max != null ? start("SubnetMax", max, network) : base + size - 2 * step;
        if (hi < lo) {
            throw new IllegalArgumentException("SubnetMin " + Ipv4Address.format((int) lo) + " is above SubnetMax "
                + Ipv4Address.format((int) hi) + " (accepted: SubnetMin <= SubnetMax inside Network " + network + ")");
        }
        this.first = lo;
        this.count = (hi - lo) / step + 1;
    }

    private long start(String field, Ipv4Prefix bound, Ipv4Prefix network) {
        if (!network.contains(bound.address())) {
            throw new IllegalArgumentException(field + " " + bound + " is outside Network " + network);
        }
        long a = Integer.toUnsignedLong(bound.address());
        if (a % step != 0) {
            throw new IllegalArgumentException(field + " " + bound + " is not the start of a /" + subnetLen
                + " (accepted: a multiple of " + step + " addresses)");
        }
        return a;
    }

    /** How many subnets the range holds. */
    public long size() {
        return count;
    }

    /** A free subnet (not in {@code taken}), chosen at random; empty when the range is full. */
    public Optional<Ipv4Prefix> pick(Set<Ipv4Prefix> taken, RandomGenerator random) {
        for (int i = 0; i < PROBES; i++) {
            Ipv4Prefix p = subnet(random.nextLong(count));
            if (!taken.contains(p)) {
                return Optional.of(p);
            }
        }
        long offset = random.nextLong(count);
        for (long i = 0; i < count; i++) {
            Ipv4Prefix p = subnet((offset + i) % count);
            if (!taken.contains(p)) {
                return Optional.of(p);
            }
        }
        return Optional.empty();
    }

    /** True when {@code subnet} is one this allocator hands out. */
    public boolean inRange(Ipv4Prefix subnet) {
        long a = Integer.toUnsignedLong(subnet.address());
        return subnet.length() == subnetLen && a >= first && a < first + count * step && (a - first) % step == 0;
    }

    private Ipv4Prefix subnet(long index) {
        return new Ipv4Prefix((int) (first + index * step), subnetLen);
    }
}
