package io.muslin.control.lease;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.muslin.control.json.JsonFieldException;
import io.muslin.dataplane.packet.Ipv4Address;
import io.muslin.dataplane.packet.Ipv4Prefix;
import io.muslin.dataplane.packet.Ipv6Address;
import io.muslin.dataplane.packet.Ipv6Prefix;
import io.muslin.dataplane.packet.MacAddress;
import java.util.HashSet;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The IPv6 half of net-conf.json, defaulted and checked as flannel's CheckNetworkConfig does, and its allocator. */
class Ipv6NetworkTest {
    @ParameterizedTest(name = "{0} -> /{1}")
    @CsvSource({"fd00:10:244::/56, 64", "fd00::/62, 64", "fd00::/63, 65", "fd00::/120, 122"})
    void subnetLenDefaultsAsFlannels(String network, int expected) {
        assertEquals(expected, Ipv6Network.of(Ipv6Prefix.parse(network), 0, null, null).subnetLen());
    }

    @Test
    void theFirstAndLastSubnetsAreNotHandedOutByDefault() {
        Ipv6Network n = Ipv6Network.of(Ipv6Prefix.parse("fd00:10:244::/56"), 0, null, null);
        assertEquals(Ipv6Prefix.parse("fd00:10:244:1::/64"), n.min());
        assertEquals(Ipv6Prefix.parse("fd00:10:244:fe::/64"), n.max());
        assertEquals(254, n.size());
        assertFalse(n.inRange(Ipv6Prefix.parse("fd00:10:244::/64")));
        assertTrue(n.inRange(Ipv6Prefix.parse("fd00:10:244:7::/64")));
    }

    @Test
    void picksAtRandomAndFillsTheRangeBeforeItIsFull() {
        Ipv6Network n = Ipv6Network.of(Ipv6Prefix.parse("fd00:10:244::/56"), 0, Ipv6Address.parse("fd00:10:244:10::"),
            Ipv6Address.parse("fd00:10:244:17::"));
        Set<Ipv6Prefix> taken = new HashSet<>();
        SplittableRandom random = new SplittableRandom(7);
        for (int i = 0; i < 8; i++) {
            Ipv6Prefix p = n.pick(taken, random).orElseThrow();
            assertTrue(n.inRange(p), p + " in range");
            assertTrue(taken.add(p), p + " not handed out twice");
        }
        assertTrue(n.pick(taken, random).isEmpty(), "eight subnets, all taken");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
        {"Network":"10.244.0.0/16","EnableIPv6":true} | IPv6Network: missing or not a string
        {"Network":"10.244.0.0/16","EnableIPv6":"yes","IPv6Network":"fd00::/56"} | EnableIPv6: "yes" is not a boolean
        {"Network":"10.244.0.0/16","EnableIPv6":true,"IPv6Network":"fd00::1/56"} | IPv6Network: host bits set in fd00::1/56
        {"Network":"10.244.0.0/16","EnableIPv6":true,"IPv6Network":"fd00::/56","IPv6SubnetLen":57} | IPv6SubnetLen: 57 does not fit IPv6Network fd00::/56 (accepted: 58-126
        {"Network":"10.244.0.0/16","EnableIPv6":true,"IPv6Network":"fd00::/56","IPv6SubnetLen":127} | IPv6SubnetLen: 127 does not fit
        {"Network":"10.244.0.0/16","EnableIPv6":true,"IPv6Network":"fd00::/56","IPv6SubnetMin":"fd00:1::"} | IPv6SubnetMin: fd00:1:: is outside IPv6Network fd00::/56
        {"Network":"10.244.0.0/16","EnableIPv6":true,"IPv6Network":"fd00::/56","IPv6SubnetMax":"fd00:0:0:3::1"} | IPv6SubnetMax: fd00:0:0:3::1 is not on a /64 boundary
        {"Network":"10.244.0.0/16","EnableIPv6":true,"IPv6Network":"fd00::/56","IPv6SubnetMin":"fd00:0:0:9::","IPv6SubnetMax":"fd00:0:0:3::"} | IPv6SubnetMin: fd00:0:0:9:: is above IPv6SubnetMax
        """)
    void netConfErrorsNameTheField(String json, String expected) {
        JsonFieldException e = assertThrows(JsonFieldException.class, () -> NetworkConfig.parse(json));
        assertTrue(e.getMessage().startsWith(expected), () -> "message was: " + e.getMessage());
    }

    @Test
    void theHubChecksADualStackLeasesIpv6Subnet() {
        NetworkConfig dual = NetworkConfig.parse("{\"Network\":\"10.244.0.0/16\",\"EnableIPv6\":true,"
            + "\"IPv6Network\":\"fd00:10:244::/56\"}");
        NetworkConfig v4 = NetworkConfig.parse("{\"Network\":\"10.244.0.0/16\",\"IPv6Network\":\"fd00:10:244::/56\"}");
        assertNull(v4.ipv6(), "IPv6Network without EnableIPv6 is not read, as in flannel");
        Lease lease = Lease.vxlan(Ipv4Prefix.parse("10.244.2.0/24"), Ipv4Address.parse("192.168.50.2"), 1,
            MacAddress.parse("6e:75:73:00:00:02"));
        Lease ok = lease.withIpv6(Ipv6Prefix.parse("fd00:10:244:2::/64"), Ipv6Address.parse("fd00:50::2"),
            MacAddress.parse("6e:75:73:00:06:02"));
        Lease outside = lease.withIpv6(Ipv6Prefix.parse("fd00:99::/64"), Ipv6Address.parse("fd00:50::2"),
            MacAddress.parse("6e:75:73:00:06:02"));
        assertNull(dual.refusal(ok));
        assertEquals("IPv6Subnet fd00:99::/64 is not a /64 of IPv6Network fd00:10:244::/56 (the hub's NetworkConfig)",
            dual.refusal(outside));
        assertEquals("IPv6Subnet fd00:10:244:2::/64 is refused: the hub's NetworkConfig has no EnableIPv6", v4.refusal(ok));
        assertNull(v4.refusal(lease));
    }
}
