package io.muslin.node.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.muslin.dataplane.packet.Ipv4Address;
import io.muslin.dataplane.packet.Ipv4Prefix;
import io.muslin.node.config.NodeConfig.Backend;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * With etcd or a hub the network comes from the store's network configuration where the node's
 * file leaves it out (flanneld reads {@code <prefix>/config}); a file that gives a field must agree.
 */
class StoreNetworkTest {
    private static final String WHERE = "etcd at http://192.168.50.1:2379";
    /** A node file as flannel's nodes are set up: its name and address, and where the store is. */
    private static final String ONLY_NODE_AND_CONTROL = """
        {"Node": {"Name": "node1", "PublicIP": "192.168.50.1"},
         "Control": {"Type": "etcd", "Endpoints": ["http://192.168.50.1:2379"]}}
        """;
    /** flannel's net-conf.json, with fields muslin does not read (left alone, not refused). */
    private static final String NET_CONF = """
        {"Network": "10.244.0.0/16", "SubnetMin": "10.244.10.0", "SubnetMax": "10.244.20.0", "EnableIPv6": false,
         "Backend": {"Type": "vxlan", "VNI": 7, "Port": 4789, "GBP": false}}
        """;

    @Test
    void aFileWithOnlyNodeAndControlTakesTheNetworkFromTheStore() throws Exception {
        NodeConfig before = ConfigLoader.parse(ONLY_NODE_AND_CONTROL);
        assertTrue(before.networkFromStore(), "the network is to come from the store");
        assertNull(before.node().subnet());

        NodeConfig cfg = ConfigLoader.parse(ONLY_NODE_AND_CONTROL, Optional.of(NET_CONF), WHERE);
        assertFalse(cfg.networkFromStore());
        assertEquals(Ipv4Prefix.parse("10.244.0.0/16"), cfg.network());
        assertEquals(24, cfg.subnetLen(), "flannel's default for a /16");
        assertEquals(Ipv4Prefix.parse("10.244.10.0/24"), cfg.subnetMin());
        assertEquals(Ipv4Prefix.parse("10.244.20.0/24"), cfg.subnetMax());
        assertEquals(new Backend("vxlan", 7, 4789, Backend.AUTO_MTU, false, 0), cfg.backend());
        assertEquals(Ipv4Address.parse("192.168.50.1"), cfg.node().publicIp());
    }

    @Test
    void aSmallNetworkWithoutSubnetLenGetsFlannelsDefault() throws Exception {
        NodeConfig cfg = ConfigLoader.parse(ONLY_NODE_AND_CONTROL, Optional.of("{\"Network\":\"10.244.0.0/24\"}"), WHERE);
        assertEquals(26, cfg.subnetLen(), "four subnets, as flannel's CheckNetworkConfig gives");
        assertEquals(Backend.DEFAULTS, cfg.backend());
    }

    @Test
    void fieldsTheFileGivesAreKeptWhenTheyAgreeAndTheRestComeFromTheStore() throws Exception {
        String file = """
            {"Network": "10.244.0.0/16", "SubnetLen": 24, "Backend": {"Type": "vxlan", "DirectRouting": true},
             "Node": {"Name": "node1", "PublicIP": "192.168.50.1", "Subnet": "10.244.12.0/24"},
             "Control": {"Type": "hub", "Endpoints": ["192.168.50.10"], "Insecure": true}}
            """;
        NodeConfig cfg = ConfigLoader.parse(file, Optional.of(NET_CONF), "hub 192.168.50.10:8473");
        assertEquals(new Backend("vxlan", 7, 4789, Backend.AUTO_MTU, true, 0), cfg.backend());
        assertEquals(Ipv4Prefix.parse("10.244.12.0/24"), cfg.node().subnet());
        assertEquals(Ipv4Prefix.parse("10.244.10.0/24"), cfg.subnetMin());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "\"Network\": \"10.99.0.0/16\"|Network: \"10.99.0.0/16\" in this node's file differs from \"10.244.0.0/16\" in the "
            + "network configuration of " + WHERE + " (accepted: the same value, or leave Network out of the file)",
        "\"SubnetLen\": 25|SubnetLen: 25 in this node's file differs from 24 in the network configuration of " + WHERE,
        "\"SubnetMax\": \"10.244.30.0\"|SubnetMax: \"10.244.30.0\" in this node's file differs from \"10.244.20.0\"",
        "\"Backend\": {\"VNI\": 1}|Backend.VNI: 1 in this node's file differs from 7 in the network configuration of " + WHERE,
        "\"Backend\": {\"Type\": \"ipip\"}|Backend.Type: \"ipip\" in this node's file differs from \"vxlan\"",
    })
    void aFieldTheFileAndTheStoreGiveDifferentlyIsAnErrorNamingBoth(String field, String message) {
        String file = ONLY_NODE_AND_CONTROL.replaceFirst("\\{", "{" + field + ", ");
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.parse(file, Optional.of(NET_CONF), WHERE));
        assertTrue(e.getMessage().startsWith(message), e.getMessage());
    }

    @Test
    void aBadValueTakenFromTheStoreSaysWhereItCameFrom() {
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.parse(ONLY_NODE_AND_CONTROL,
            Optional.of("{\"Network\":\"10.244.0.0/16\",\"Backend\":{\"Type\":\"udp\"}}"), WHERE));
        assertEquals("Backend.Type: \"udp\" is not supported (accepted: vxlan, ipip, host-gw) (from the network "
            + "configuration of " + WHERE + ")", e.getMessage());
    }

    @Test
    void noNetworkInTheFileNorTheStoreIsAnError() {
        ConfigException e = assertThrows(ConfigException.class,
            () -> ConfigLoader.parse(ONLY_NODE_AND_CONTROL, Optional.empty(), WHERE));
        assertEquals("Network: missing (expected: an IPv4 prefix such as 10.244.0.0/16, in this node's file or in the "
            + "network configuration of " + WHERE + ")", e.getMessage());
    }

    @Test
    void beforeTheStoreIsReadTheRestOfTheFileIsStillChecked() {
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.parse(
            ONLY_NODE_AND_CONTROL.replace("\"PublicIP\": \"192.168.50.1\"", "\"PublicIP\": \"224.0.0.1\"")));
        assertTrue(e.getMessage().startsWith("Node.PublicIP: 224.0.0.1 is not a unicast host address"), e.getMessage());
        ConfigException network = assertThrows(ConfigException.class, () -> ConfigLoader.parse(
            "{\"Node\": {\"Name\": \"node1\", \"PublicIP\": \"192.168.50.1\", \"Subnet\": \"10.244.1.0/24\"}}"));
        assertTrue(network.getMessage().startsWith("Network: missing"), "a static node needs its Network: " + network.getMessage());
    }

    @Test
    void aStoreWhoseConfigurationIsNotAnObjectIsAnError() {
        ConfigException e = assertThrows(ConfigException.class,
            () -> ConfigLoader.parse(ONLY_NODE_AND_CONTROL, Optional.of("[1]"), WHERE));
        assertEquals(WHERE + "'s network configuration is not a JSON object (expected: flannel's net-conf.json)", e.getMessage());
    }
}
