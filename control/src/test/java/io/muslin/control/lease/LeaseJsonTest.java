package io.muslin.control.lease;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.muslin.control.json.JsonFieldException;
import io.muslin.dataplane.packet.Ipv4Address;
import io.muslin.dataplane.packet.Ipv4Prefix;
import io.muslin.dataplane.packet.MacAddress;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class LeaseJsonTest {
    /** flannel's stored value, verbatim (DESIGN.md §1). */
    private static final String FLANNEL_VALUE =
        "{\"PublicIP\":\"192.168.1.11\",\"BackendType\":\"vxlan\",\"BackendData\":{\"VNI\":1,\"VtepMAC\":\"c6:d2:32:6f:8f:44\"}}";

    @Test
    void parsesFlannelValueWithSubnetFromKey() {
        Lease lease = LeaseJson.parseValue(FLANNEL_VALUE, Ipv4Prefix.parse("10.244.2.0/24"));
        assertEquals(Lease.vxlan(Ipv4Prefix.parse("10.244.2.0/24"), Ipv4Address.parse("192.168.1.11"), 1,
            MacAddress.parse("c6:d2:32:6f:8f:44")), lease);
    }

    @Test
    void parsesStaticFormWithSubnet() {
        Lease lease = LeaseJson.parse("{\"Subnet\":\"10.244.2.0/24\"," + FLANNEL_VALUE.substring(1));
        assertEquals(Ipv4Prefix.parse("10.244.2.0/24"), lease.subnet());
        assertEquals("vxlan", lease.backendType());
        assertEquals(1, lease.vni());
    }

    @Test
    void acceptsFlannelsNullIpv6Fields() {
        String value = "{\"PublicIP\":\"192.168.1.11\",\"PublicIPv6\":null,\"BackendType\":\"vxlan\","
            + "\"BackendData\":{\"VNI\":1,\"VtepMAC\":\"c6:d2:32:6f:8f:44\"},\"BackendV6Data\":null}";
        assertEquals(1, LeaseJson.parseValue(value, Ipv4Prefix.parse("10.244.2.0/24")).vni());
    }

    @Test
    void writesFlannelsExactFormat() {
        Lease lease = LeaseJson.parseValue(FLANNEL_VALUE, Ipv4Prefix.parse("10.244.2.0/24"));
        assertEquals(FLANNEL_VALUE, LeaseJson.toValueJson(lease));
        assertEquals("{\"Subnet\":\"10.244.2.0/24\"," + FLANNEL_VALUE.substring(1), LeaseJson.toJson(lease));
        assertEquals(lease, LeaseJson.parse(LeaseJson.toJson(lease)));
    }

    @Test
    void otherBackendsDataIsNotInterpreted() {
        Lease lease = LeaseJson.parse("{\"Subnet\":\"10.244.3.0/24\",\"PublicIP\":\"192.168.1.12\","
            + "\"BackendType\":\"host-gw\",\"BackendData\":{\"Anything\":[1,2]}}");
        assertEquals("host-gw", lease.backendType());
        assertEquals(Lease.NO_VNI, lease.vni());
        assertEquals(MacAddress.NONE, lease.vtepMac());
        assertEquals("{\"Subnet\":\"10.244.3.0/24\",\"PublicIP\":\"192.168.1.12\",\"BackendType\":\"host-gw\"}",
            LeaseJson.toJson(lease));
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(delimiter = '|', textBlock = """
        {"PublicIP":"192.168.1.11","BackendType":"vxlan","BackendData":{"VNI":1,"VtepMAC":"c6:d2:32:6f:8f:44"}} | Peers[1].Subnet: missing (expected: an IPv4 prefix such as 10.244.2.0/24)
        {"Subnet":"10.244.2.1/24","PublicIP":"192.168.1.11","BackendType":"vxlan","BackendData":{"VNI":1,"VtepMAC":"c6:d2:32:6f:8f:44"}} | Peers[1].Subnet: host bits set in 10.244.2.1/24
        {"Subnet":"10.244.2.0/24","PublicIP":"192.168.1","BackendType":"vxlan","BackendData":{"VNI":1,"VtepMAC":"c6:d2:32:6f:8f:44"}} | Peers[1].PublicIP: not an IPv4 address: "192.168.1" (expected: a.b.c.d)
        {"Subnet":"10.244.2.0/24","PublicIP":"192.168.1.11","BackendData":{"VNI":1,"VtepMAC":"c6:d2:32:6f:8f:44"}} | Peers[1].BackendType: missing
        {"Subnet":"10.244.2.0/24","PublicIP":"192.168.1.11","BackendType":"vxlan"} | Peers[1].BackendData: missing (expected: a JSON object)
        {"Subnet":"10.244.2.0/24","PublicIP":"192.168.1.11","BackendType":"vxlan","BackendData":{"VNI":1,"VtepMAC":"zz"}} | Peers[1].BackendData.VtepMAC: not a MAC address: "zz" (expected: aa:bb:cc:dd:ee:ff)
        {"Subnet":"10.244.2.0/24","PublicIP":"192.168.1.11","BackendType":"vxlan","BackendData":{"VNI":1,"VtepMAC":"01:00:5e:00:00:01"}} | Peers[1].BackendData.VtepMAC: not a unicast MAC address
        {"Subnet":"10.244.2.0/24","PublicIP":"192.168.1.11","BackendType":"vxlan","BackendData":{"VNI":16777216,"VtepMAC":"c6:d2:32:6f:8f:44"}} | Peers[1].BackendData.VNI: 16777216 is out of range (accepted: 0-16777215)
        {"Subnet":"10.244.2.0/24","PublicIP":"192.168.1.11","BackendType":"vxlan","BackendData":{"VNI":"1","VtepMAC":"c6:d2:32:6f:8f:44"}} | Peers[1].BackendData.VNI: not an integer: "1" (accepted: 0-16777215)
        {"Subnet":"10.244.2.0/24","PublicIP":"192.168.1.11","BackendType":"vxlan","BackendData":{"VtepMAC":"c6:d2:32:6f:8f:44"}} | Peers[1].BackendData.VNI: missing (accepted: 0-16777215)
        {"Subnet":"10.244.2.0/24","PublicIP":"192.168.1.11","BackendType":"vxlan","BackendData":{"VNI":1,"VtepMac":"c6:d2:32:6f:8f:44"}} | Peers[1].BackendData.VtepMac: unknown field (did you mean "VtepMAC"? accepted: VNI, VtepMAC)
        {"Subnet":"10.244.2.0/24","PublicIP":"192.168.1.11","Extra":1,"BackendType":"vxlan","BackendData":{"VNI":1,"VtepMAC":"c6:d2:32:6f:8f:44"}} | Peers[1].Extra: unknown field (accepted: Subnet, IPv6Subnet, PublicIP, PublicIPv6, BackendType, BackendData, BackendV6Data)
        {"Subnet":"10.244.2.0/24","IPv6Subnet":"fd00:10:244:2::/64","PublicIP":"192.168.1.11","BackendType":"vxlan","BackendData":{"VNI":1,"VtepMAC":"c6:d2:32:6f:8f:44"},"BackendV6Data":{"VNI":1,"VtepMAC":"c6:d2:32:6f:8f:45"}} | Peers[1].PublicIPv6: missing (expected: an IPv6 address such as fd00:50::11 (the lease has the IPv6 subnet fd00:10:244:2::/64))
        {"Subnet":"10.244.2.0/24","IPv6Subnet":"fd00:10:244:2::/64","PublicIP":"192.168.1.11","PublicIPv6":"fd00::1","BackendType":"vxlan","BackendData":{"VNI":1,"VtepMAC":"c6:d2:32:6f:8f:44"}} | Peers[1].BackendV6Data: missing (expected: a JSON object)
        {"Subnet":"10.244.2.0/24","IPv6Subnet":"fd00:10:244:2::/64","PublicIP":"192.168.1.11","PublicIPv6":"fd00::1","BackendType":"vxlan","BackendData":{"VNI":1,"VtepMAC":"c6:d2:32:6f:8f:44"},"BackendV6Data":{"VNI":2,"VtepMAC":"c6:d2:32:6f:8f:45"}} | Peers[1].BackendV6Data.VNI: 2 differs from BackendData.VNI 1
        {"Subnet":"10.244.2.0/24","IPv6Subnet":"fd00:10:244:2::/64","PublicIP":"192.168.1.11","PublicIPv6":"ff02::1","BackendType":"host-gw"} | Peers[1].PublicIPv6: not a unicast IPv6 address: "ff02::1"
        {"Subnet":"10.244.2.0/24","IPv6Subnet":"fd00:10:244:2::1/64","PublicIP":"192.168.1.11","PublicIPv6":"fd00::1","BackendType":"host-gw"} | Peers[1].IPv6Subnet: host bits set in fd00:10:244:2::1/64
        ["not an object"] | Peers[1]: not a JSON object: an array
        """)
    void rejectsBadFieldsNamingThePath(String json, String expected) {
        JsonFieldException e = assertThrows(JsonFieldException.class,
            () -> LeaseJson.fromTree(LeaseJson.readTree(json), "Peers[1]"));
        assertTrue(e.getMessage().startsWith(expected), () -> "message was: " + e.getMessage());
    }

    /** muslin's static form of a dual-stack lease, and flannel's stored value of it (the subnets are in the key). */
    @Test
    void dualStackLeasesRoundTrip() {
        String json = "{\"Subnet\":\"10.244.2.0/24\",\"IPv6Subnet\":\"fd00:10:244:2::/64\",\"PublicIP\":\"192.168.1.11\","
            + "\"PublicIPv6\":\"fd00:50::11\",\"BackendType\":\"vxlan\",\"BackendData\":{\"VNI\":1,\"VtepMAC\":\"c6:d2:32:6f:8f:44\"},"
            + "\"BackendV6Data\":{\"VNI\":1,\"VtepMAC\":\"c6:d2:32:6f:8f:45\"}}";
        Lease lease = LeaseJson.parse(json);
        assertEquals(io.muslin.dataplane.packet.Ipv6Prefix.parse("fd00:10:244:2::/64"), lease.ipv6Subnet());
        assertEquals("fd00:50::11", lease.publicIpv6().toString());
        assertEquals(MacAddress.parse("c6:d2:32:6f:8f:45"), lease.vtepMac6());
        assertEquals(json, LeaseJson.toJson(lease));
        String value = LeaseJson.toValueJson(lease);
        assertEquals(json.replace("\"Subnet\":\"10.244.2.0/24\",\"IPv6Subnet\":\"fd00:10:244:2::/64\",", ""), value);
        assertEquals(lease, LeaseJson.parseValue(value, lease.key()));
        assertEquals(lease.ipv4Only(), LeaseJson.parseValue(value, lease.subnet()),
            "without an IPv6 subnet in the key, flannel reads neither PublicIPv6 nor BackendV6Data");
    }

    @Test
    void subnetInValueMustMatchKey() {
        JsonFieldException e = assertThrows(JsonFieldException.class, () -> LeaseJson.parseValue(
            "{\"Subnet\":\"10.244.3.0/24\"," + FLANNEL_VALUE.substring(1), Ipv4Prefix.parse("10.244.2.0/24")));
        assertEquals("Subnet: 10.244.3.0/24 differs from the key's subnet 10.244.2.0/24", e.getMessage());
    }

    @Test
    void malformedJsonNamesLineAndColumn() {
        JsonFieldException e = assertThrows(JsonFieldException.class,
            () -> LeaseJson.parse("{\n  \"PublicIP\": \"1.2.3.4\",\n  }"));
        assertTrue(e.getMessage().startsWith("malformed JSON at line 3, column 3: "), e.getMessage());
    }

    @Test
    void duplicateKeysAreMalformed() {
        JsonFieldException e = assertThrows(JsonFieldException.class,
            () -> LeaseJson.parse("{\"PublicIP\":\"1.2.3.4\",\"PublicIP\":\"1.2.3.5\"}"));
        assertTrue(e.getMessage().contains("Duplicate field 'PublicIP'"), e.getMessage());
    }

    @Test
    void emptyDocument() {
        JsonFieldException e = assertThrows(JsonFieldException.class, () -> LeaseJson.parse("  "));
        assertEquals("empty document (expected: a JSON object)", e.getMessage());
    }
}
