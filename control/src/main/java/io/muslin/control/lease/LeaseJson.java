package io.muslin.control.lease;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.muslin.control.json.JsonFieldException;
import io.muslin.control.json.JsonFields;
import io.muslin.dataplane.packet.Ipv4Address;
import io.muslin.dataplane.packet.Ipv4Prefix;
import io.muslin.dataplane.packet.MacAddress;

/**
 * Leases to and from flannel's JSON:
 * <pre>
 *   {"Subnet":"10.244.2.0/24",              (muslin's static form only; flannel keeps it in the key)
 *    "PublicIP":"192.168.1.11",
 *    "BackendType":"vxlan",
 *    "BackendData":{"VNI":1,"VtepMAC":"c6:d2:32:6f:8f:44"}}
 * </pre>
 * {@code BackendData} is read only for {@code "vxlan"} leases; other backends' data is skipped.
 * flannel's {@code PublicIPv6} and {@code BackendV6Data} are accepted when null (flannel writes
 * {@code "PublicIPv6":null}); dual-stack leases are not supported yet. Any other field is an
 * error. Every error is a {@link JsonFieldException} naming the field's path.
 */
public final class LeaseJson {
    public static final String SUBNET = "Subnet";
    public static final String PUBLIC_IP = "PublicIP";
    public static final String PUBLIC_IPV6 = "PublicIPv6";
    public static final String BACKEND_TYPE = "BackendType";
    public static final String BACKEND_DATA = "BackendData";
    public static final String BACKEND_V6_DATA = "BackendV6Data";
    public static final String VNI = "VNI";
    public static final String VTEP_MAC = "VtepMAC";

    private static final String[] LEASE_FIELDS = {SUBNET, PUBLIC_IP, PUBLIC_IPV6, BACKEND_TYPE, BACKEND_DATA, BACKEND_V6_DATA};
    private static final String[] VXLAN_DATA_FIELDS = {VNI, VTEP_MAC};
    private static final String MAC_FORMAT = "aa:bb:cc:dd:ee:ff";

    /**
     * Strict: duplicate keys and trailing content are errors. Bounded: no document nests deeper
     * than 32, no field name is longer than 1 KiB and no string longer than 1 MiB, whoever sent
     * it. Thread-safe once built.
     */
    public static final JsonMapper MAPPER = JsonMapper.builder(JsonFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder()
                .maxNestingDepth(32)
                .maxNameLength(1024)
                .maxStringLength(1024 * 1024)
                .build())
            .build())
        .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
        .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
        .build();

    private LeaseJson() {
    }

    /** Parses a lease with its {@code Subnet} inline. */
    public static Lease parse(String json) {
        return fromTree(readTree(json), "");
    }

    /** Parses flannel's stored lease value; the subnet comes from its key ({@code 10.244.2.0-24}). */
    public static Lease parseValue(String json, Ipv4Prefix subnetFromKey) {
        return fromTree(readTree(json), "", subnetFromKey);
    }

    /** Reads a lease object found at {@code path} (e.g. {@code Peers[1]}); {@code Subnet} is required. */
    public static Lease fromTree(JsonNode node, String path) {
        return fromTree(node, path, null);
    }

    /**
     * Reads a lease object found at {@code path}. When {@code subnetFromKey} is given the
     * {@code Subnet} field is optional and, if present, must equal it.
     */
    public static Lease fromTree(JsonNode node, String path, Ipv4Prefix subnetFromKey) {
        JsonFields f = JsonFields.of(node, path, LEASE_FIELDS);
        Ipv4Prefix subnet;
        if (subnetFromKey == null) {
            subnet = f.required(SUBNET, "an IPv4 prefix such as 10.244.2.0/24", Ipv4Prefix::parse);
        } else {
            subnet = f.optional(SUBNET, subnetFromKey, "an IPv4 prefix such as 10.244.2.0/24", Ipv4Prefix::parse);
            if (!subnet.equals(subnetFromKey)) {
                throw f.error(SUBNET, subnet + " differs from the key's subnet " + subnetFromKey);
            }
        }
        int publicIp = f.required(PUBLIC_IP, "an IPv4 address such as 192.168.1.11", Ipv4Address::parse);
        for (String v6 : new String[] {PUBLIC_IPV6, BACKEND_V6_DATA}) {
            if (f.has(v6)) {
                throw f.error(v6, "IPv6 leases are not supported yet (accepted: null or absent)");
            }
        }
        String backendType = f.requiredString(BACKEND_TYPE, "a backend name such as \"" + Lease.VXLAN + "\"");
        if (!Lease.VXLAN.equals(backendType)) {
            return new Lease(subnet, publicIp, backendType, Lease.NO_VNI, MacAddress.NONE);
        }
        JsonFields data = f.requiredObject(BACKEND_DATA, VXLAN_DATA_FIELDS);
        int vni = data.requiredInt(VNI, 0, Lease.MAX_VNI);
        long mac = data.required(VTEP_MAC, MAC_FORMAT, LeaseJson::parseVtepMac);
        return Lease.vxlan(subnet, publicIp, vni, mac);
    }

    /**
     * Parses a VTEP MAC: a unicast, non-zero {@code aa:bb:cc:dd:ee:ff}. Throws
     * IllegalArgumentException with the text and the expected form.
     */
    public static long parseVtepMac(String text) {
        long mac = MacAddress.parse(text);
        if (MacAddress.isMulticast(mac)) {
            throw new IllegalArgumentException("not a unicast MAC address: \"" + text
                + "\" (expected: an even first octet, e.g. 6e:75:73:00:00:01)");
        }
        if (mac == 0) {
            throw new IllegalArgumentException("the all-zero MAC address is not a VTEP MAC (expected: " + MAC_FORMAT + ")");
        }
        return mac;
    }

    /** The lease with its {@code Subnet} inline, as in muslin's static configuration. */
    public static String toJson(Lease lease) {
        return write(toTree(lease, true));
    }

    /** flannel's stored value: the lease without {@code Subnet}. */
    public static String toValueJson(Lease lease) {
        return write(toTree(lease, false));
    }

    public static ObjectNode toTree(Lease lease, boolean withSubnet) {
        ObjectNode o = MAPPER.createObjectNode();
        if (withSubnet) {
            o.put(SUBNET, lease.subnet().toString());
        }
        o.put(PUBLIC_IP, Ipv4Address.format(lease.publicIp()));
        o.put(BACKEND_TYPE, lease.backendType());
        if (lease.isVxlan()) {
            ObjectNode data = o.putObject(BACKEND_DATA);
            data.put(VNI, lease.vni());
            data.put(VTEP_MAC, MacAddress.format(lease.vtepMac()));
        }
        return o;
    }

    /**
     * Parses JSON text into a tree. Malformed text is a {@link JsonFieldException} with an empty
     * path and the position: {@code malformed JSON at line 3, column 5: Unexpected character ...}.
     */
    public static JsonNode readTree(String json) {
        JsonNode node;
        try {
            node = MAPPER.readTree(json);
        } catch (JsonProcessingException e) {
            String detail = e.getOriginalMessage();
            int newline = detail.indexOf('\n');
            if (newline >= 0) {
                detail = detail.substring(0, newline);
            }
            String where = e.getLocation() == null ? ""
                : " at line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr();
            throw new JsonFieldException("", "malformed JSON" + where + ": " + detail);
        }
        if (node == null || node.isMissingNode()) {
            throw new JsonFieldException("", "empty document (expected: a JSON object)");
        }
        return node;
    }

    private static String write(ObjectNode o) {
        try {
            return MAPPER.writeValueAsString(o);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot happen for a tree of strings and numbers", e);
        }
    }
}
