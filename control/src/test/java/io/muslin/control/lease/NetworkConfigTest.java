package io.muslin.control.lease;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.muslin.control.json.JsonFieldException;
import io.muslin.dataplane.packet.Ipv4Address;
import io.muslin.dataplane.packet.Ipv4Prefix;
import org.junit.jupiter.api.Test;

class NetworkConfigTest {
    private static final int IP = Ipv4Address.parse("192.168.50.1");

    @Test
    void readsNetworkAndSubnetLenAndLeavesFlannelsOtherFieldsAlone() {
        NetworkConfig c = NetworkConfig.parse("{\"Network\":\"10.244.0.0/16\",\"SubnetLen\":26,\"SubnetMin\":\"10.244.1.0\","
            + "\"Backend\":{\"Type\":\"vxlan\",\"VNI\":1},\"EnableIPv6\":false}");
        assertEquals(new NetworkConfig(Ipv4Prefix.parse("10.244.0.0/16"), 26), c);
        assertEquals(24, NetworkConfig.parse("{\"Network\":\"10.244.0.0/16\"}").subnetLen(), "flannel's default");
    }

    @Test
    void aNetworkMayHaveAnyNumberOfSubnets() {
        // snapshots travel in chunks: no frame grows with the network, so no cap on its subnets
        assertEquals(30, NetworkConfig.parse("{\"Network\":\"10.0.0.0/8\",\"SubnetLen\":30}").subnetLen());
    }

    @Test
    void withoutSubnetLenASmallNetworkIsCutInFourAsFlannelDoes() {
        assertEquals(24, NetworkConfig.parse("{\"Network\":\"10.244.0.0/22\"}").subnetLen());
        assertEquals(25, NetworkConfig.parse("{\"Network\":\"10.244.0.0/23\"}").subnetLen());
        assertEquals(28, NetworkConfig.parse("{\"Network\":\"10.244.0.0/26\"}").subnetLen());
    }

    @Test
    void errorsNameTheFieldAndTheAcceptedRange() {
        assertEquals("Network: missing or not a string (expected: an IPv4 prefix such as 10.244.0.0/16)",
            assertThrows(JsonFieldException.class, () -> NetworkConfig.parse("{\"SubnetLen\":24}")).getMessage());
        assertEquals("SubnetLen: 16 does not fit Network 10.244.0.0/16 (accepted: 17-30)",
            assertThrows(JsonFieldException.class, () -> NetworkConfig.parse("{\"Network\":\"10.244.0.0/16\",\"SubnetLen\":16}"))
                .getMessage());
        assertEquals("SubnetLen: \"24\" is not an integer (accepted: 17-30)",
            assertThrows(JsonFieldException.class, () -> NetworkConfig.parse("{\"Network\":\"10.244.0.0/16\",\"SubnetLen\":\"24\"}"))
                .getMessage());
    }

    @Test
    void aLeaseMustBeASubnetLenSubnetOfTheNetworkWithAKnownBackend() {
        NetworkConfig c = new NetworkConfig(Ipv4Prefix.parse("10.244.0.0/16"), 24);
        assertNull(c.refusal(Lease.vxlan(Ipv4Prefix.parse("10.244.7.0/24"), IP, 1, 0x6e7573000001L)));
        assertNull(c.refusal(Lease.of(Lease.IPIP, Ipv4Prefix.parse("10.244.255.0/24"), IP)));
        assertNull(c.refusal(Lease.of(Lease.HOST_GW, Ipv4Prefix.parse("10.244.0.0/24"), IP)));
        for (String subnet : new String[] {"10.244.7.128/25", "10.244.0.0/16", "0.0.0.0/0", "10.245.0.0/24", "10.244.7.7/32"}) {
            assertEquals("Subnet " + subnet + " is not a /24 of Network 10.244.0.0/16 (the hub's NetworkConfig)",
                c.refusal(Lease.of(Lease.HOST_GW, Ipv4Prefix.parse(subnet), IP)));
        }
        assertEquals("BackendType \"wireguard\" is not supported (accepted: vxlan, ipip, host-gw)",
            c.refusal(Lease.of("wireguard", Ipv4Prefix.parse("10.244.7.0/24"), IP)));
        assertEquals("BackendType \"" + "x".repeat(32) + "...\" is not supported (accepted: vxlan, ipip, host-gw)",
            c.refusal(Lease.of("x".repeat(9000), Ipv4Prefix.parse("10.244.7.0/24"), IP)));
        assertEquals("PublicIP 0.0.0.0 is not a node address",
            c.refusal(Lease.of(Lease.IPIP, Ipv4Prefix.parse("10.244.7.0/24"), 0)));
    }
}
