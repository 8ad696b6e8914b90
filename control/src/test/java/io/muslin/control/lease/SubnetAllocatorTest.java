package io.muslin.control.lease;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.muslin.dataplane.packet.Ipv4Prefix;
import java.util.HashSet;
import java.util.Optional;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class SubnetAllocatorTest {
    private static final Ipv4Prefix NETWORK = Ipv4Prefix.parse("10.244.0.0/16");

    @Test
    void handsOutEverySubnetOnceThenNothing() {
        SubnetAllocator allocator = new SubnetAllocator(NETWORK, 24, null, null);
        assertEquals(254, allocator.size(), "flannel's defaults: all but the first and the last /24");
        Set<Ipv4Prefix> taken = new HashSet<>();
        SplittableRandom random = new SplittableRandom(1);
        for (int i = 0; i < 254; i++) {
            Ipv4Prefix p = allocator.pick(taken, random).orElseThrow();
            assertTrue(taken.add(p), "handed out twice: " + p);
            assertTrue(allocator.inRange(p));
        }
        assertFalse(taken.contains(Ipv4Prefix.parse("10.244.0.0/24")));
        assertFalse(taken.contains(Ipv4Prefix.parse("10.244.255.0/24")));
        assertEquals(Optional.empty(), allocator.pick(taken, random));
    }

    @Test
    void respectsSubnetMinAndMax() {
        SubnetAllocator allocator = new SubnetAllocator(NETWORK, 26, Ipv4Prefix.parse("10.244.10.64/26"),
            Ipv4Prefix.parse("10.244.10.192/26"));
        assertEquals(3, allocator.size());
        Set<Ipv4Prefix> taken = new HashSet<>(Set.of(Ipv4Prefix.parse("10.244.10.128/26"),
            Ipv4Prefix.parse("10.244.10.192/26")));
        assertEquals(Ipv4Prefix.parse("10.244.10.64/26"), allocator.pick(taken, new SplittableRandom(2)).orElseThrow());
        assertFalse(allocator.inRange(Ipv4Prefix.parse("10.244.10.0/26")));
        assertFalse(allocator.inRange(Ipv4Prefix.parse("10.244.10.0/24")), "wrong length");
    }

    @Test
    void badRangesNameTheField() {
        assertEquals("SubnetMin 10.245.0.0/24 is outside Network 10.244.0.0/16", assertThrows(IllegalArgumentException.class,
            () -> new SubnetAllocator(NETWORK, 24, Ipv4Prefix.parse("10.245.0.0/24"), null)).getMessage());
        assertEquals("SubnetMax 10.244.1.128/25 is not the start of a /24 (accepted: a multiple of 256 addresses)",
            assertThrows(IllegalArgumentException.class,
                () -> new SubnetAllocator(NETWORK, 24, null, Ipv4Prefix.parse("10.244.1.128/25"))).getMessage());
        assertEquals("SubnetMin 10.244.9.0 is above SubnetMax 10.244.3.0 (accepted: SubnetMin <= SubnetMax inside "
            + "Network 10.244.0.0/16)", assertThrows(IllegalArgumentException.class, () -> new SubnetAllocator(NETWORK,
                24, Ipv4Prefix.parse("10.244.9.0/24"), Ipv4Prefix.parse("10.244.3.0/24"))).getMessage());
        assertThrows(IllegalArgumentException.class, () -> new SubnetAllocator(NETWORK, 16, null, null));
    }
}
