package io.muslin.node.config;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.muslin.control.lease.Lease;
import io.muslin.dataplane.packet.Ipv4Prefix;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.stream.Stream;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Fuzz target: {@link ConfigLoader#parse}, a node's configuration file (flannel's net-conf.json
 * with Node, Peers and Control), as read at start and on every change of the file.
 *
 * <p>What must hold: any text is a configuration or a {@link ConfigException} whose message
 * names a field (the node then stops with exit code 2 and installs nothing), nothing else; and
 * what a configuration holds is what validation promises: the node's and the peers' subnets
 * are SubnetLen-long subnets of Network that do not overlap, their PublicIPs are unicast, outside
 * Network and not the node's own.
 */
class ConfigLoaderFuzzTest {
    static Stream<byte[]> seeds() throws IOException {
        String example = ExampleConfig.text();
        String etcd = "{\"Network\":\"10.244.0.0/16\",\"Backend\":{\"Type\":\"ipip\",\"MTU\":1400,\"MSSClamp\":\"auto\"},"
            + "\"Node\":{\"Name\":\"n1\",\"PublicIP\":\"192.168.50.1\"},\"SubnetMin\":\"10.244.10.0\","
            + "\"Control\":{\"Type\":\"etcd\",\"Endpoints\":[\"http://192.168.50.9:2379\"],\"Prefix\":\"/muslin\",\"TTL\":3600}}";
        String hub = "{\"Network\":\"10.0.0.0/8\",\"SubnetLen\":20,\"Backend\":{\"Type\":\"host-gw\"},"
            + "\"Node\":{\"Name\":\"n2\",\"PublicIP\":\"192.168.50.2\",\"Interface\":\"m0\"},"
            + "\"Control\":{\"Type\":\"hub\",\"Endpoints\":[\"192.168.50.10:8473\",\"hub.example.org:8473\"],"
            + "\"CAFile\":\"/etc/muslin/ca.crt\",\"CertFile\":\"/etc/muslin/n2.crt\",\"KeyFile\":\"/etc/muslin/n2.key\"}}";
        return Stream.of(example, etcd, hub).map(s -> s.getBytes(StandardCharsets.UTF_8));
    }

    @JsonTokens
    @MethodSource("seeds")
    @FuzzTest
    void parse(byte[] input) {
        NodeConfig config;
        try {
            config = ConfigLoader.parse(new String(input, StandardCharsets.UTF_8));
        } catch (ConfigException e) {
            assertNotNull(e.getMessage());
            assertTrue(e.getMessage().contains(":"), "names a field: " + e.getMessage());
            return;
        }
        if (config.networkFromStore()) {
            // Left to the store's network configuration: only etcd and a hub have one.
            assertNull(config.network());
            assertTrue(config.control().shared(), "no Network, and no store to take it from");
            return;
        }
        Ipv4Prefix network = config.network();
        int subnetLen = config.subnetLen();
        assertTrue(subnetLen > network.length(), "SubnetLen " + subnetLen + " in " + network);
        NodeConfig.Node node = config.node();
        checkUnderlay(node.publicIp(), network);
        if (node.subnet() != null) {
            assertTrue(node.subnet().length() == subnetLen && network.contains(node.subnet()), "Node.Subnet " + node.subnet());
        }
        for (int i = 0; i < config.peers().size(); i++) {
            Lease peer = config.peers().get(i);
            assertTrue(peer.subnet().length() == subnetLen && network.contains(peer.subnet()), "peer " + peer);
            checkUnderlay(peer.publicIp(), network);
            assertTrue(peer.publicIp() != node.publicIp(), "a peer at the node's own address");
            assertTrue(node.subnet() == null || !overlaps(peer.subnet(), node.subnet()), "peer overlaps the node");
            for (int j = 0; j < i; j++) {
                assertTrue(!overlaps(peer.subnet(), config.peers().get(j).subnet()), "peers overlap");
            }
        }
    }

    private static void checkUnderlay(int ip, Ipv4Prefix network) {
        int first = ip >>> 24;
        assertTrue(first != 0 && first < 224, "not unicast: " + Integer.toHexString(ip));
        assertTrue(!network.contains(ip), "underlay address inside the overlay");
    }

    private static boolean overlaps(Ipv4Prefix a, Ipv4Prefix b) {
        return a.contains(b) || b.contains(a);
    }
}
