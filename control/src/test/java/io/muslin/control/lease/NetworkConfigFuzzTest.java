package io.muslin.control.lease;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.muslin.control.json.JsonFieldException;
import io.muslin.control.json.JsonTokens;
import io.muslin.dataplane.packet.Ipv4Address;
import io.muslin.dataplane.packet.Ipv4Prefix;
import java.nio.charset.StandardCharsets;
import java.util.stream.Stream;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Fuzz target: flannel's net-conf.json as a hub reads it from its store
 * ({@link NetworkConfig#parse}), and the lease checks it then makes
 * ({@link NetworkConfig#refusal}).
 *
 * <p>What must hold: any text is a configuration or a {@link JsonFieldException} naming the
 * field, nothing else; a configuration's SubnetLen is longer than its Network's and makes at
 * most 2^{@value NetworkConfig#MAX_SUBNETS_LOG2} subnets; its own subnets are accepted and
 * refusal never throws, for subnets inside or outside the network.
 */
class NetworkConfigFuzzTest {
    static Stream<byte[]> seeds() {
        return Stream.of(
            "{\"Network\":\"10.244.0.0/16\",\"SubnetLen\":24,\"Backend\":{\"Type\":\"vxlan\",\"VNI\":1}}",
            "{\"Network\":\"10.0.0.0/8\",\"EnableIPv6\":false,\"SubnetMin\":\"10.1.0.0\"}",
            "{\"Network\":\"172.16.0.0/12\",\"SubnetLen\":30}")
            .map(s -> s.getBytes(StandardCharsets.UTF_8));
    }

    @JsonTokens
    @MethodSource("seeds")
    @FuzzTest
    void parse(byte[] input) {
        NetworkConfig config;
        try {
            config = NetworkConfig.parse(new String(input, StandardCharsets.UTF_8));
        } catch (JsonFieldException e) {
            assertNotNull(e.getMessage());
            return;
        }
        Ipv4Prefix network = config.network();
        int len = config.subnetLen();
        assertTrue(len > network.length() && len <= 30, "SubnetLen " + len + " for " + network);
        int first = network.address();
        int last = network.address() | ~network.mask();
        for (int address : new int[] {first, last & Ipv4Address.mask(len), input.length * 0x01000193}) {
            Ipv4Prefix subnet = new Ipv4Prefix(address & Ipv4Address.mask(len), len);
            String refusal = config.refusal(Lease.vxlan(subnet, Ipv4Address.parse("192.168.1.1"), 1, 0x020000000001L));
            assertEquals(network.contains(subnet) ? null : refusal, refusal, "own subnet " + subnet + " refused");
            config.refusal(Lease.of("some-backend-with-a-long-name-of-more-than-32-characters", subnet, 0));
        }
    }
}
