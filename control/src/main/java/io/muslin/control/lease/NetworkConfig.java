package io.muslin.control.lease;

import com.fasterxml.jackson.databind.JsonNode;
import io.muslin.control.json.JsonFieldException;
import io.muslin.dataplane.packet.Ipv4Address;
import io.muslin.dataplane.packet.Ipv4Prefix;
import io.muslin.dataplane.packet.Ipv6Address;
import io.muslin.dataplane.packet.Ipv6Prefix;
import java.util.Set;

/**
 * What a lease store's network configuration (flannel's net-conf.json) says about the leases it
 * may hold: node subnets are {@code SubnetLen}-long subnets of {@code Network}. The hub reads it
 * to refuse a lease that could take another node's traffic (a subnet inside another node's, a
 * /0, an address outside the network).
 *
 * <p>{@code Network} and {@code SubnetLen} are read, and with {@code "EnableIPv6": true} the
 * IPv6 half ({@code IPv6Network}, {@code IPv6SubnetLen}, {@code IPv6SubnetMin/Max}: an
 * {@link Ipv6Network}), so a dual-stack lease's IPv6 subnet is checked the same way; flannel's
 * other fields (Backend, SubnetMin, ...) are the nodes' business and are left alone.
 *
 * @param network   the cluster's pod network, e.g. {@code 10.244.0.0/16}
 * @param subnetLen the length of each node's subnet
 * @param ipv6      the IPv6 half, or null when the network has no {@code EnableIPv6}
 */
public record NetworkConfig(Ipv4Prefix network, int subnetLen, Ipv6Network ipv6) {
    public static final String ENABLE_IPV6 = "EnableIPv6";
    public static final String IPV6_NETWORK = "IPv6Network";
    public static final String IPV6_SUBNET_LEN = "IPv6SubnetLen";
    public static final String IPV6_SUBNET_MIN = "IPv6SubnetMin";
    public static final String IPV6_SUBNET_MAX = "IPv6SubnetMax";

    /** An IPv4-only network. */
    public NetworkConfig(Ipv4Prefix network, int subnetLen) {
        this(network, subnetLen, null);
    }

    /** flannel's default SubnetLen, for a network of /22 or larger. */
    public static final int DEFAULT_SUBNET_LEN = 24;

    /**
     * flannel's SubnetLen when net-conf.json has none ({@code CheckNetworkConfig} in
     * {@code pkg/subnet/config.go}): a /24 per node when the network is a /22 or larger, else the
     * network's length + 2 (four subnets).
     */
    public static int defaultSubnetLen(Ipv4Prefix network) {
        return network.length() <= DEFAULT_SUBNET_LEN - 2 ? DEFAULT_SUBNET_LEN : network.length() + 2;
    }

    /** The backends a lease may name: the ones muslin forwards for. */
    public static final Set<String> BACKENDS = Set.of(Lease.VXLAN, Lease.IPIP, Lease.HOST_GW);

    public NetworkConfig {
        if (subnetLen <= network.length() || subnetLen > 30) {
            throw new IllegalArgumentException("SubnetLen: " + subnetLen + " does not fit Network " + network
                + " (accepted: " + (network.length() + 1) + "-30)");
        }
    }

    /** Reads {@code Network} and {@code SubnetLen} from flannel's net-conf.json; errors name the field. */
    public static NetworkConfig parse(String json) {
        JsonNode tree = LeaseJson.readTree(json);
        if (!tree.isObject()) {
            throw new JsonFieldException("", "not a JSON object (expected: flannel's net-conf.json)");
        }
        JsonNode net = tree.get("Network");
        if (net == null || !net.isTextual()) {
            throw new JsonFieldException("Network", "missing or not a string (expected: an IPv4 prefix such as 10.244.0.0/16)");
        }
        Ipv4Prefix network;
        try {
            network = Ipv4Prefix.parse(net.asText());
        } catch (IllegalArgumentException e) {
            throw new JsonFieldException("Network", e.getMessage());
        }
        JsonNode len = tree.get("SubnetLen");
        int subnetLen = defaultSubnetLen(network);
        if (len != null) {
            if (!len.canConvertToInt() || !len.isIntegralNumber()) {
                throw new JsonFieldException("SubnetLen", len + " is not an integer (accepted: " + (network.length() + 1) + "-30)");
            }
            subnetLen = len.intValue();
        }
        Ipv6Network ipv6 = ipv6(tree);
        try {
            return new NetworkConfig(network, subnetLen, ipv6);
        } catch (IllegalArgumentException e) {
            throw new JsonFieldException("SubnetLen", e.getMessage().substring("SubnetLen: ".length()));
        }
    }

    /**
     * The IPv6 half of flannel's net-conf.json when {@code EnableIPv6} is true, else null. Errors
     * name the field: {@code IPv6Network: missing ...}.
     */
    public static Ipv6Network ipv6(JsonNode tree) {
        JsonNode enable = tree.get(ENABLE_IPV6);
        if (enable == null || enable.isNull()) {
            return null;
        }
        if (!enable.isBoolean()) {
            throw new JsonFieldException(ENABLE_IPV6, enable + " is not a boolean (accepted: true, false)");
        }
        if (!enable.booleanValue()) {
            return null;
        }
        JsonNode net = tree.get(IPV6_NETWORK);
        if (net == null || !net.isTextual()) {
            throw new JsonFieldException(IPV6_NETWORK, "missing or not a string (expected: an IPv6 prefix such as "
                + "fd00:10:244::/56, with EnableIPv6)");
        }
        Ipv6Prefix network;
        try {
            network = Ipv6Prefix.parse(net.asText());
        } catch (IllegalArgumentException e) {
            throw new JsonFieldException(IPV6_NETWORK, e.getMessage());
        }
        JsonNode len = tree.get(IPV6_SUBNET_LEN);
        int subnetLen = 0;
        if (len != null && !len.isNull()) {
            if (!len.isIntegralNumber() || !len.canConvertToInt()) {
                throw new JsonFieldException(IPV6_SUBNET_LEN, len + " is not an integer (accepted: "
                    + (network.length() + 2) + "-" + Ipv6Network.MAX_SUBNET_LEN + ")");
            }
            subnetLen = len.intValue();
            if (subnetLen == 0) {
                throw new JsonFieldException(IPV6_SUBNET_LEN, "0 does not fit IPv6Network " + network + " (accepted: "
                    + (network.length() + 2) + "-" + Ipv6Network.MAX_SUBNET_LEN + ")");
            }
        }
        Ipv6Address min = address(tree, IPV6_SUBNET_MIN);
        Ipv6Address max = address(tree, IPV6_SUBNET_MAX);
        try {
            return Ipv6Network.of(network, subnetLen, min, max);
        } catch (IllegalArgumentException e) {
            String m = e.getMessage();
            int colon = m.indexOf(": ");
            String field = colon > 0 && m.startsWith("IPv6") ? m.substring(0, colon) : IPV6_NETWORK;
            throw new JsonFieldException(field, colon > 0 && m.startsWith("IPv6") ? m.substring(colon + 2) : m);
        }
    }

    private static Ipv6Address address(JsonNode tree, String field) {
        JsonNode v = tree.get(field);
        if (v == null || v.isNull()) {
            return null;
        }
        try {
            if (!v.isTextual()) {
                throw new IllegalArgumentException(v + " is not a string");
            }
            return Ipv6Address.parse(v.asText());
        } catch (IllegalArgumentException e) {
            throw new JsonFieldException(field, e.getMessage() + " (expected: the first address of a subnet, e.g. fd00:10:244:10::)");
        }
    }

    /** Why this network has no place for {@code lease}, or null when it has. */
    public String refusal(Lease lease) {
        Ipv4Prefix s = lease.subnet();
        if (s.length() != subnetLen || !network.contains(s.address())) {
            return "Subnet " + s + " is not a /" + subnetLen + " of Network " + network + " (the hub's NetworkConfig)";
        }
        if (!BACKENDS.contains(lease.backendType())) {
            String shown = lease.backendType().length() > 32 ? lease.backendType().substring(0, 32) + "..." : lease.backendType();
            return "BackendType \"" + shown + "\" is not supported (accepted: vxlan, ipip, host-gw)";
        }
        if (lease.publicIp() == 0) {
            return "PublicIP " + Ipv4Address.format(lease.publicIp()) + " is not a node address";
        }
        if (lease.hasIpv6()) {
            Ipv6Prefix s6 = lease.ipv6Subnet();
            if (ipv6 == null) {
                return "IPv6Subnet " + s6 + " is refused: the hub's NetworkConfig has no EnableIPv6";
            }
            if (s6.length() != ipv6.subnetLen() || !ipv6.network().contains(s6)) {
                return "IPv6Subnet " + s6 + " is not a /" + ipv6.subnetLen() + " of IPv6Network " + ipv6.network()
                    + " (the hub's NetworkConfig)";
            }
        }
        return null;
    }
}
