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
import io.muslin.dataplane.packet.Ipv6Address;
import io.muslin.dataplane.packet.Ipv6Prefix;
import io.muslin.dataplane.packet.MacAddress;
import java.util.Objects;

/**
 * Leases to and from flannel's JSON:
 * <pre>
 *   {"Subnet":"10.244.2.0/24",              (muslin's static form only; flannel keeps it in the key)
 *    "PublicIP":"192.168.1.11",
 *    "BackendType":"vxlan",
 *    "BackendData":{"VNI":1,"VtepMAC":"c6:d2:32:6f:8f:44"}}
 * </pre>
 * A dual-stack lease (flannel's {@code EnableIPv6}) adds the node's IPv6 underlay address and,
 * for VXLAN, the data of its IPv6 VTEP ({@code flannel-v6.1}):
 * <pre>
 *    "IPv6Subnet":"fd00:10:244:2::/64",      (muslin's static form only; flannel keeps it in the key)
 *    "PublicIPv6":"fd00:50::11",
 *    "BackendV6Data":{"VNI":1,"VtepMAC":"c6:d2:32:6f:8f:45"}
 * </pre>
 * {@code BackendData} and {@code BackendV6Data} are read only for {@code "vxlan"} leases; other
 * backends' data is skipped. As in flannel, a lease is dual-stack when its key (or
 * {@code IPv6Subnet}) names an IPv6 subnet: {@code PublicIPv6} is then required, and for VXLAN
 * {@code BackendV6Data}; without one they are accepted and left unread (flanneld writes
 * {@code "PublicIPv6":null} for an IPv4-only lease). Any other field is an error. Every error
 * is a {@link JsonFieldException} naming the field's path.
 */
public final class LeaseJson {
    public static final String SUBNET = "Subnet";
    public static final String IPV6_SUBNET = "IPv6Subnet";
    public static final String PUBLIC_IP = "PublicIP";
    public static final String PUBLIC_IPV6 = "PublicIPv6";
    public static final String BACKEND_TYPE = "BackendType";
    public static final String BACKEND_DATA = "BackendData";
    public static final String BACKEND_V6_DATA = "BackendV6Data";
    public static final String VNI = "VNI";
    public static final String VTEP_MAC = "VtepMAC";

    private static final String[] LEASE_FIELDS = {SUBNET, IPV6_SUBNET, PUBLIC_IP, PUBLIC_IPV6, BACKEND_TYPE, BACKEND_DATA,
        BACKEND_V6_DATA};
    private static final String[] VXLAN_DATA_FIELDS = {VNI, VTEP_MAC};
    private static final String MAC_FORMAT = "aa:bb:cc:dd:ee:ff";
    private static final String IPV6_PREFIX_FORM = "an IPv6 prefix such as fd00:10:244:2::/64";

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
        return parseValue(json, new SubnetKey(subnetFromKey, null));
    }

    /** Parses flannel's stored lease value; the subnets come from its key ({@code 10.244.2.0-24&fd00:10:244:2::-64}). */
    public static Lease parseValue(String json, SubnetKey key) {
        return fromTree(readTree(json), "", key);
    }

    /** Reads a lease object found at {@code path} (e.g. {@code Peers[1]}); {@code Subnet} is required. */
    public static Lease fromTree(JsonNode node, String path) {
        return fromTree(node, path, (SubnetKey) null);
    }

    /** {@link #fromTree(JsonNode, String, SubnetKey)} with an IPv4-only key. */
    public static Lease fromTree(JsonNode node, String path, Ipv4Prefix subnetFromKey) {
        return fromTree(node, path, subnetFromKey == null ? null : new SubnetKey(subnetFromKey, null));
    }

    /**
     * Reads a lease object found at {@code path}. When {@code key} is given the {@code Subnet}
     * and {@code IPv6Subnet} fields are optional and, if present, must equal the key's.
     */
    public static Lease fromTree(JsonNode node, String path, SubnetKey key) {
        JsonFields f = JsonFields.of(node, path, LEASE_FIELDS);
        Ipv4Prefix subnet;
        Ipv6Prefix ipv6Subnet;
        if (key == null) {
            subnet = f.required(SUBNET, "an IPv4 prefix such as 10.244.2.0/24", Ipv4Prefix::parse);
            ipv6Subnet = f.optional(IPV6_SUBNET, null, IPV6_PREFIX_FORM, Ipv6Prefix::parse);
        } else {
            subnet = f.optional(SUBNET, key.subnet(), "an IPv4 prefix such as 10.244.2.0/24", Ipv4Prefix::parse);
            if (!subnet.equals(key.subnet())) {
                throw f.error(SUBNET, subnet + " differs from the key's subnet " + key.subnet());
            }
            ipv6Subnet = f.optional(IPV6_SUBNET, key.ipv6Subnet(), IPV6_PREFIX_FORM, Ipv6Prefix::parse);
            if (!Objects.equals(ipv6Subnet, key.ipv6Subnet())) {
                throw f.error(IPV6_SUBNET, ipv6Subnet + " differs from the key's IPv6 subnet " + key.ipv6Subnet());
            }
        }
        int publicIp = f.required(PUBLIC_IP, "an IPv4 address such as 192.168.1.11", Ipv4Address::parse);
        String backendType = f.requiredString(BACKEND_TYPE, "a backend name such as \"" + Lease.VXLAN + "\"");
        boolean vxlan = Lease.VXLAN.equals(backendType);
        Lease lease;
        if (!vxlan) {
            lease = new Lease(subnet, publicIp, backendType, Lease.NO_VNI, MacAddress.NONE);
        } else {
            JsonFields data = f.requiredObject(BACKEND_DATA, VXLAN_DATA_FIELDS);
            int vni = data.requiredInt(VNI, 0, Lease.MAX_VNI);
            long mac = data.required(VTEP_MAC, MAC_FORMAT, LeaseJson::parseVtepMac);
            lease = Lease.vxlan(subnet, publicIp, vni, mac);
        }
        if (ipv6Subnet == null) {
            return lease; // flannel: not EnableIPv6, so PublicIPv6 and BackendV6Data are not read
        }
        Ipv6Address publicIpv6 = f.required(PUBLIC_IPV6, "an IPv6 address such as fd00:50::11 (the lease has the "
            + "IPv6 subnet " + ipv6Subnet + ")", LeaseJson::parseUnicastIpv6);
        long mac6 = MacAddress.NONE;
        if (vxlan) {
            JsonFields data6 = f.requiredObject(BACKEND_V6_DATA, VXLAN_DATA_FIELDS);
            int vni6 = data6.requiredInt(VNI, 0, Lease.MAX_VNI);
            if (vni6 != lease.vni()) {
                throw data6.error(VNI, vni6 + " differs from BackendData.VNI " + lease.vni()
                    + " (flannel's two VXLAN devices share one VNI)");
            }
            mac6 = data6.required(VTEP_MAC, MAC_FORMAT, LeaseJson::parseVtepMac);
        }
        return lease.withIpv6(ipv6Subnet, publicIpv6, mac6);
    }

    /** Parses a node's IPv6 underlay address: unicast, not {@code ::}. */
    public static Ipv6Address parseUnicastIpv6(String text) {
        Ipv6Address a = Ipv6Address.parse(text);
        if (a.isUnspecified() || a.isMulticast()) {
            throw new IllegalArgumentException("not a unicast IPv6 address: \"" + text + "\" (expected: e.g. fd00:50::11)");
        }
        return a;
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
            if (lease.hasIpv6()) {
                o.put(IPV6_SUBNET, lease.ipv6Subnet().toString());
            }
        }
        // In flanneld's order (lease.LeaseAttrs): PublicIP, PublicIPv6, BackendType, BackendData, BackendV6Data.
        o.put(PUBLIC_IP, Ipv4Address.format(lease.publicIp()));
        if (lease.hasIpv6()) {
            o.put(PUBLIC_IPV6, lease.publicIpv6().toString());
        }
        o.put(BACKEND_TYPE, lease.backendType());
        if (lease.isVxlan()) {
            ObjectNode data = o.putObject(BACKEND_DATA);
            data.put(VNI, lease.vni());
            data.put(VTEP_MAC, MacAddress.format(lease.vtepMac()));
            if (lease.hasIpv6()) {
                ObjectNode data6 = o.putObject(BACKEND_V6_DATA);
                data6.put(VNI, lease.vni());
                data6.put(VTEP_MAC, MacAddress.format(lease.vtepMac6()));
            }
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
