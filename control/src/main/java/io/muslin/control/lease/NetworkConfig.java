package io.muslin.control.lease;

import com.fasterxml.jackson.databind.JsonNode;
import io.muslin.control.json.JsonFieldException;
import io.muslin.dataplane.packet.Ipv4Address;
import io.muslin.dataplane.packet.Ipv4Prefix;
import java.util.Set;

/**
 * What a lease store's network configuration (flannel's net-conf.json) says about the leases it
 * may hold: node subnets are {@code SubnetLen}-long subnets of {@code Network}. The hub reads it
 * to refuse a lease that could take another node's traffic (a subnet inside another node's, a
 * /0, an address outside the network).
 *
 * <p>Only {@code Network} and {@code SubnetLen} are read; flannel's other fields (Backend,
 * SubnetMin, IPv6Network, ...) are the nodes' business and are left alone.
 *
 * @param network   the cluster's pod network, e.g. {@code 10.244.0.0/16}
 * @param subnetLen the length of each node's subnet
 */
public record NetworkConfig(Ipv4Prefix network, int subnetLen) {
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
        try {
            return new NetworkConfig(network, subnetLen);
        } catch (IllegalArgumentException e) {
            throw new JsonFieldException("SubnetLen", e.getMessage().substring("SubnetLen: ".length()));
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
        return null;
    }
}
