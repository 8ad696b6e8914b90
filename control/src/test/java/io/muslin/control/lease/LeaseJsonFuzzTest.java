package io.muslin.control.lease;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.muslin.control.json.JsonFieldException;
import io.muslin.control.json.JsonTokens;
import io.muslin.dataplane.packet.Ipv4Prefix;
import io.muslin.dataplane.packet.MacAddress;
import java.nio.charset.StandardCharsets;
import java.util.stream.Stream;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Fuzz target: flannel's lease JSON as muslin reads it, inline ({@link LeaseJson#parse}: static
 * peers, the hub) and as etcd stores it ({@link LeaseJson#parseValue}, the subnet from the key).
 *
 * <p>What must hold: any text is a lease or a {@link JsonFieldException} with a message,
 * nothing else; a VXLAN lease has a VNI in range and a unicast, non-zero MAC; a lease read
 * writes ({@link LeaseJson#toJson}, {@link LeaseJson#toValueJson}) as text that reads back
 * equal, and writing that again gives the same text.
 */
class LeaseJsonFuzzTest {
    private static final Ipv4Prefix KEY = Ipv4Prefix.parse("10.244.2.0/24");

    static Stream<byte[]> seeds() {
        return Stream.of(
            "{\"Subnet\":\"10.244.2.0/24\",\"PublicIP\":\"192.168.1.11\",\"BackendType\":\"vxlan\","
                + "\"BackendData\":{\"VNI\":1,\"VtepMAC\":\"c6:d2:32:6f:8f:44\"}}",
            "{\"PublicIP\":\"192.168.1.11\",\"PublicIPv6\":null,\"BackendType\":\"vxlan\","
                + "\"BackendData\":{\"VNI\":1,\"VtepMAC\":\"c6:d2:32:6f:8f:44\"},\"BackendV6Data\":null}",
            "{\"Subnet\":\"10.244.3.0/24\",\"PublicIP\":\"192.168.1.12\",\"BackendType\":\"host-gw\",\"BackendData\":[1,2]}")
            .map(s -> s.getBytes(StandardCharsets.UTF_8));
    }

    @JsonTokens
    @MethodSource("seeds")
    @FuzzTest
    void parse(byte[] input) {
        String text = new String(input, StandardCharsets.UTF_8);
        try {
            Lease lease = LeaseJson.parse(text);
            check(lease);
            String json = LeaseJson.toJson(lease);
            assertEquals(lease, LeaseJson.parse(json), json);
            assertEquals(json, LeaseJson.toJson(LeaseJson.parse(json)), "the written form is canonical");
        } catch (JsonFieldException e) {
            assertNotNull(e.getMessage());
        }
        try {
            Lease lease = LeaseJson.parseValue(text, KEY);
            check(lease);
            assertEquals(KEY, lease.subnet());
            String json = LeaseJson.toValueJson(lease);
            assertEquals(lease, LeaseJson.parseValue(json, KEY), json);
        } catch (JsonFieldException e) {
            assertNotNull(e.getMessage());
        }
    }

    private static void check(Lease lease) {
        if (lease.isVxlan()) {
            assertTrue(lease.vni() >= 0 && lease.vni() <= Lease.MAX_VNI);
            assertTrue(lease.vtepMac() != 0 && !MacAddress.isMulticast(lease.vtepMac())
                && (lease.vtepMac() & ~MacAddress.BROADCAST) == 0, "VTEP MAC " + Long.toHexString(lease.vtepMac()));
        } else {
            assertEquals(Lease.NO_VNI, lease.vni());
            assertEquals(MacAddress.NONE, lease.vtepMac());
        }
    }
}
