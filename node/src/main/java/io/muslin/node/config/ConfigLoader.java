package io.muslin.node.config;

import com.fasterxml.jackson.databind.JsonNode;
import io.muslin.control.bgp.speaker.BgpControlConfig;
import io.muslin.control.hub.client.HubEndpoint;
import io.muslin.control.json.JsonFieldException;
import io.muslin.control.json.JsonFields;
import io.muslin.control.lease.Ipv6Network;
import io.muslin.control.lease.Lease;
import io.muslin.control.lease.LeaseJson;
import io.muslin.control.lease.NetworkConfig;
import io.muslin.control.lease.SubnetAllocator;
import io.muslin.dataplane.packet.Ipv4Address;
import io.muslin.dataplane.packet.Ipv4Prefix;
import io.muslin.dataplane.packet.Ipv6Address;
import io.muslin.dataplane.packet.Ipv6Prefix;
import io.muslin.dataplane.packet.MacAddress;
import io.muslin.dataplane.path.MtuGuard;
import io.muslin.dataplane.path.SourceCheck;
import io.muslin.node.config.NodeConfig.Backend;
import io.muslin.node.config.NodeConfig.Control;
import io.muslin.node.config.NodeConfig.Node;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Loads and validates a node's JSON configuration:
 * <pre>
 * {"Network":"10.244.0.0/16","SubnetLen":24,"Backend":{"Type":"vxlan","VNI":1,"Port":8472,"DirectRouting":false},
 *  "Node":{"Name":"node1","PublicIP":"192.168.50.1","Subnet":"10.244.1.0/24","VtepMAC":"6e:75:73:00:00:01","Interface":"muslin0"},
 *  "Peers":[{"Subnet":"10.244.2.0/24","PublicIP":"192.168.50.2","BackendType":"vxlan","BackendData":{"VNI":1,"VtepMAC":"6e:75:73:00:00:02"}}]}
 * </pre>
 * Every failure is a {@link ConfigException} whose message names the field's JSON path and what
 * is accepted; unknown fields are errors (a misspelt optional field would otherwise silently
 * take its default). The first failure is reported.
 */
public final class ConfigLoader {
    static final String NETWORK = "Network";
    static final String SUBNET_LEN = "SubnetLen";
    static final String BACKEND = "Backend";
    static final String NODE = "Node";
    static final String PEERS = "Peers";
    static final String TYPE = "Type";
    static final String NAME = "Name";
    static final String PUBLIC_IP = "PublicIP";
    static final String SUBNET = "Subnet";
    static final String VTEP_MAC = "VtepMAC";
    /** The IPv6 VTEP's MAC (muslin's name; flannel keeps it in the lease's {@code BackendV6Data}). */
    static final String VTEP_MAC_V6 = "VtepMACv6";
    static final String INTERFACE = "Interface";
    static final String CONTROL = "Control";
    static final String ENDPOINTS = "Endpoints";
    static final String PREFIX = "Prefix";
    static final String CA_FILE = "CAFile";
    static final String CERT_FILE = "CertFile";
    static final String KEY_FILE = "KeyFile";
    static final String INSECURE = "Insecure";
    static final String SUBNET_MIN = "SubnetMin";
    static final String SUBNET_MAX = "SubnetMax";
    static final String SOURCE_CHECK = "SourceCheck";
    static final String IP_MASQ = "IPMasq";
    static final String METRICS = "Metrics";
    static final String DATAPLANE = "Dataplane";

    private static final String PREFIX_EXAMPLE = "an IPv4 prefix such as 10.244.0.0/16";
    private static final String ADDRESS_EXAMPLE = "an IPv4 address such as 192.168.50.1";

    private ConfigLoader() {
    }

    /** Reads and validates {@code file}. */
    public static NodeConfig load(Path file) throws ConfigException {
        return parse(read(file));
    }

    /** The text of {@code file}; a ConfigException naming it when it cannot be read. */
    public static String read(Path file) throws ConfigException {
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new ConfigException("cannot read " + file + ": " + describe(e), e);
        }
    }

    /**
     * Validates a configuration given as JSON text. With etcd or a hub ({@link Control#shared()})
     * the file may leave {@code Network} out: the result then has no network yet
     * ({@link NodeConfig#networkFromStore()}), everything else in the file is checked, and
     * {@link #parse(String, Optional, String)} completes it once the store is open.
     */
    public static NodeConfig parse(String json) throws ConfigException {
        try {
            return read(LeaseJson.readTree(json), null);
        } catch (JsonFieldException e) {
            throw new ConfigException(e.getMessage(), e);
        }
    }

    /**
     * Validates a configuration whose network fields ({@code Network}, {@code SubnetLen},
     * {@code SubnetMin}, {@code SubnetMax}, {@code Backend}'s) may come from the store's network
     * configuration ({@link StoreNetwork}): a field the file leaves out is the store's, a field
     * both give must say the same (the error names both values), an error in a field taken from
     * the store says so.
     *
     * @param storeNetConf the store's net-conf.json (etcd's {@code <prefix>/config}, the hub's
     *                     {@code NetworkConfig}), if it has one
     * @param where        the store, for messages: {@code etcd at http://192.168.50.1:2379}
     */
    public static NodeConfig parse(String json, Optional<String> storeNetConf, String where) throws ConfigException {
        Set<String> fromStore = new HashSet<>();
        try {
            JsonNode merged = StoreNetwork.merge(LeaseJson.readTree(json), storeNetConf, where, fromStore);
            return read(merged, where);
        } catch (JsonFieldException e) {
            String detail = fromStore.contains(e.path()) ? " (from the network configuration of " + where + ")" : "";
            throw new ConfigException(e.getMessage() + detail, e);
        }
    }

    /**
     * @param store null: the store has not been read (with etcd or a hub, Network may be left to
     *              it); else the store whose network fields were merged in (for messages)
     */
    private static NodeConfig read(JsonNode tree, String store) {
        JsonFields root = JsonFields.of(tree, "", NETWORK, SUBNET_LEN, SUBNET_MIN, SUBNET_MAX, BACKEND, NODE, PEERS,
            CONTROL, METRICS, SOURCE_CHECK, IP_MASQ, DATAPLANE, NetworkConfig.ENABLE_IPV6, NetworkConfig.IPV6_NETWORK,
            NetworkConfig.IPV6_SUBNET_LEN, NetworkConfig.IPV6_SUBNET_MIN, NetworkConfig.IPV6_SUBNET_MAX);
        List<String> controlFields = new ArrayList<>(List.of(TYPE, ENDPOINTS, PREFIX, Control.TTL.name(), CA_FILE, INSECURE,
            CERT_FILE, KEY_FILE));
        controlFields.addAll(BgpControlConfig.FIELDS);
        JsonFields controlSection = root.optionalObject(CONTROL, controlFields.toArray(String[]::new));
        boolean shared = isSharedStore(controlType(controlSection));

        Ipv4Prefix network = null;
        if (root.has(NETWORK) || !shared || store != null) {
            String expected = !shared ? PREFIX_EXAMPLE : store == null ? PREFIX_EXAMPLE
                : PREFIX_EXAMPLE + ", in this node's file or in the network configuration of " + store;
            network = root.required(NETWORK, expected, Ipv4Prefix::parse);
            if (network.length() < NodeConfig.MIN_NETWORK_LEN || network.length() > NodeConfig.MAX_NETWORK_LEN) {
                throw root.error(NETWORK, network + " has prefix length " + network.length() + " (accepted: "
                    + NodeConfig.MIN_NETWORK_LEN + "-" + NodeConfig.MAX_NETWORK_LEN + ", to leave room for node subnets)");
            }
        }
        Control control = control(controlSection, network);
        IntSetting len = NodeConfig.SUBNET_LEN;
        int subnetLen = network != null ? subnetLen(root, network) : root.optionalInt(SUBNET_LEN, 0, len.min(), len.max());
        Backend backend = backend(root.optionalObject(BACKEND, TYPE, Backend.VNI.name(), Backend.PORT.name(),
            Backend.MTU.name(), Backend.DIRECT_ROUTING, Backend.MSS_CLAMP));
        Ipv6Network ipv6 = ipv6(root, tree, backend, control);
        Node node = node(root.requiredObject(NODE, NAME, PUBLIC_IP, SUBNET, VTEP_MAC, INTERFACE, LeaseJson.IPV6_SUBNET,
            LeaseJson.PUBLIC_IPV6, VTEP_MAC_V6), network, subnetLen, control, ipv6);
        if (control.isBgp()) {
            control.bgp().checkNotSelf(node.publicIp(), CONTROL, NODE + "." + PUBLIC_IP);
        }
        if ((control.shared() || control.isBgp()) && root.has(PEERS)) {
            throw root.error(PEERS, "not used with Control.Type \"" + control.type() + "\" (peers come from "
                + control.type() + "; accepted: absent)");
        }
        List<Lease> peers = peers(root, network, subnetLen, node);
        Ipv4Prefix min = subnetBound(root, SUBNET_MIN, subnetLen);
        Ipv4Prefix max = subnetBound(root, SUBNET_MAX, subnetLen);
        if (network != null) {
            try {
                new SubnetAllocator(network, subnetLen, min, max);
            } catch (IllegalArgumentException e) {
                throw root.error(e.getMessage().startsWith(SUBNET_MAX) ? SUBNET_MAX : SUBNET_MIN, e.getMessage());
            }
        }
        NodeConfig.Metrics metrics = metrics(root.optionalObject(METRICS, NodeConfig.Metrics.LISTEN));
        boolean ipMasq = root.optionalBoolean(IP_MASQ, false);
        NodeConfig.Dataplane dataplane = dataplane(root.optionalObject(DATAPLANE, NodeConfig.Dataplane.THREADS.name(),
            NodeConfig.Dataplane.IDLE_SPIN_MICROS.name()));
        return new NodeConfig(network, subnetLen, backend, node, peers, control, min, max, metrics,
            sourceCheck(root, backend), ipMasq, dataplane, ipv6);
    }

    /**
     * The IPv6 half of net-conf.json ({@code EnableIPv6} and its fields, checked as flannel does),
     * or null. Dual stack is wired for the vxlan backend with static peers: IP-in-IP carries IPv4
     * only (RFC 2003), and neither host-gw's IPv6 routes nor dual-stack leases in etcd, a hub or
     * BGP are programmed yet, so those are refused rather than half done.
     */
    private static Ipv6Network ipv6(JsonFields root, JsonNode tree, Backend backend, Control control) {
        Ipv6Network ipv6 = NetworkConfig.ipv6(tree);
        if (ipv6 == null) {
            return null;
        }
        if (!backend.type().equals(Lease.VXLAN)) {
            throw root.error(NetworkConfig.ENABLE_IPV6, "needs Backend.Type \"" + Lease.VXLAN + "\", not \"" + backend.type()
                + "\"" + (backend.type().equals(Lease.IPIP) ? " (IP-in-IP carries IPv4 only, RFC 2003)"
                    : " (IPv6 routes for host-gw are not programmed yet)"));
        }
        if (!control.type().equals(Control.STATIC)) {
            throw root.error(NetworkConfig.ENABLE_IPV6, "not yet with Control.Type \"" + control.type()
                + "\" (accepted: \"" + Control.STATIC + "\": dual-stack leases are programmed from Peers only so far)");
        }
        return ipv6;
    }

    /** {@code Dataplane}: {@code Threads} 1-64 (the number of cores by default), {@code IdleSpinMicros}. */
    private static NodeConfig.Dataplane dataplane(JsonFields d) {
        return new NodeConfig.Dataplane(NodeConfig.Dataplane.THREADS.read(d), NodeConfig.Dataplane.IDLE_SPIN_MICROS.read(d));
    }

    /** {@code Metrics.Listen}: "address:port" (IPv4), absent for no metrics. */
    static NodeConfig.Metrics metrics(JsonFields m) {
        if (!m.has(NodeConfig.Metrics.LISTEN)) {
            return NodeConfig.Metrics.OFF;
        }
        String text = m.requiredString(NodeConfig.Metrics.LISTEN, "an address:port such as \"127.0.0.1:9465\"");
        return new NodeConfig.Metrics(listenAddress(m, NodeConfig.Metrics.LISTEN, text));
    }

    /** An IPv4 {@code address:port}, port 1-65535; the error names {@code field}. */
    public static InetSocketAddress listenAddress(JsonFields in, String field, String text) {
        String accepted = " (expected: an IPv4 address and a port 1-65535, such as \"127.0.0.1:9465\")";
        int colon = text.lastIndexOf(':');
        if (colon <= 0) {
            throw in.error(field, "\"" + text + "\" is not address:port" + accepted);
        }
        int address;
        int port;
        try {
            address = Ipv4Address.parse(text.substring(0, colon));
            port = Integer.parseInt(text.substring(colon + 1));
        } catch (IllegalArgumentException e) {
            throw in.error(field, "\"" + text + "\" is not address:port" + accepted);
        }
        if (port < 1 || port > 65535) {
            throw in.error(field, "port " + port + " is out of range" + accepted);
        }
        return new InetSocketAddress(Ipv4Address.toInet(address), port);
    }

    /** {@code SourceCheck}: "strict" (the default) or "off"; meaningless for host-gw (no tunnel). */
    private static SourceCheck.Mode sourceCheck(JsonFields root, Backend backend) {
        String accepted = "(accepted: \"" + NodeConfig.SOURCE_CHECK_STRICT + "\", \"" + NodeConfig.SOURCE_CHECK_OFF + "\")";
        String mode = root.optionalString(SOURCE_CHECK, NodeConfig.SOURCE_CHECK_STRICT, accepted);
        if (root.has(SOURCE_CHECK) && backend.type().equals(Lease.HOST_GW)) {
            throw root.error(SOURCE_CHECK, "host-gw has no tunnel to check senders on (the kernel's rp_filter does; "
                + "accepted: only with \"" + Lease.VXLAN + "\" or \"" + Lease.IPIP + "\")");
        }
        return switch (mode) {
            case NodeConfig.SOURCE_CHECK_STRICT -> SourceCheck.Mode.STRICT;
            case NodeConfig.SOURCE_CHECK_OFF -> SourceCheck.Mode.OFF;
            default -> throw root.error(SOURCE_CHECK, "\"" + mode + "\" is not a mode " + accepted);
        };
    }

    /**
     * flannel's SubnetMin/SubnetMax: the first address of a subnet, e.g. "10.244.10.0". Before
     * the network is known (it comes from the store, {@code subnetLen} 0) only the address is checked.
     */
    private static Ipv4Prefix subnetBound(JsonFields root, String field, int subnetLen) {
        if (!root.has(field)) {
            return null;
        }
        int address = root.required(field, "the first address of a subnet, e.g. 10.244.10.0", Ipv4Address::parse);
        if (subnetLen == 0) {
            return null;
        }
        try {
            return new Ipv4Prefix(address, subnetLen);
        } catch (IllegalArgumentException e) {
            throw root.error(field, Ipv4Address.format(address) + " is not the first address of a /" + subnetLen
                + " (expected: e.g. 10.244.10.0)");
        }
    }

    private static int subnetLen(JsonFields root, Ipv4Prefix network) {
        IntSetting s = NodeConfig.SUBNET_LEN;
        int min = Math.max(s.min(), network.length() + 1);
        String accepted = min + "-" + s.max() + " for Network " + network;
        if (!root.has(SUBNET_LEN) && s.defaultValue() < min) {
            throw root.error(SUBNET_LEN, "missing, and the default " + s.defaultValue()
                + " does not fit (accepted: " + accepted + ")");
        }
        return root.optionalInt(SUBNET_LEN, s.defaultValue(), min, s.max(), accepted);
    }

    private static Backend backend(JsonFields b) {
        String type = b.optionalString(TYPE, Backend.DEFAULT_TYPE, "a backend name such as \"vxlan\"");
        if (!Backend.TYPES.contains(type)) {
            throw b.error(TYPE, "\"" + type + "\" is not supported (accepted: " + String.join(", ", Backend.TYPES) + ")");
        }
        boolean vxlan = type.equals(Lease.VXLAN);
        for (String vxlanOnly : new String[] {Backend.VNI.name(), Backend.PORT.name()}) {
            if (!vxlan && b.has(vxlanOnly)) {
                throw b.error(vxlanOnly, "applies to \"" + Lease.VXLAN + "\" only (Type is \"" + type + "\")");
            }
        }
        int vni = Backend.VNI.read(b);
        int port = Backend.PORT.read(b);
        boolean directRouting = b.optionalBoolean(Backend.DIRECT_ROUTING, false);
        if (directRouting && type.equals(Lease.HOST_GW)) {
            throw b.error(Backend.DIRECT_ROUTING, "host-gw always routes directly (accepted: true only with \""
                + Lease.VXLAN + "\" or \"" + Lease.IPIP + "\")");
        }
        IntSetting m = Backend.MTU;
        String mtuAccepted = Backend.AUTO_MTU + " for auto, or " + Backend.MIN_MTU + "-" + m.max();
        int mtu = b.optionalInt(m.name(), m.defaultValue(), m.min(), m.max(), mtuAccepted);
        if (mtu != Backend.AUTO_MTU && mtu < Backend.MIN_MTU) {
            throw b.error(m.name(), mtu + " is out of range (accepted: " + mtuAccepted + ")");
        }
        return new Backend(type, vni, port, mtu, directRouting, mssClamp(b, type));
    }

    /** {@code MSSClamp}: absent or false (off), "auto", or an MSS. */
    private static int mssClamp(JsonFields b, String type) {
        JsonNode v = b.raw(Backend.MSS_CLAMP);
        String accepted = "(accepted: \"auto\", false, or " + Backend.MIN_MSS + "-" + Backend.MAX_MSS + ")";
        if (v == null || v.isBoolean() && !v.booleanValue()) {
            return MtuGuard.NO_MSS_CLAMP;
        }
        if (type.equals(Lease.HOST_GW)) {
            throw b.error(Backend.MSS_CLAMP, "host-gw has no tunnel to clamp for (accepted: only with \""
                + Lease.VXLAN + "\" or \"" + Lease.IPIP + "\")");
        }
        if (v.isTextual() && v.textValue().equals("auto")) {
            return MtuGuard.AUTO_MSS;
        }
        if (v.isInt() && v.intValue() >= Backend.MIN_MSS && v.intValue() <= Backend.MAX_MSS) {
            return v.intValue();
        }
        throw b.error(Backend.MSS_CLAMP, JsonFields.describe(v) + " is not valid " + accepted);
    }

    /** {@code Control.Type}, one of {@link Control#TYPES}. */
    private static String controlType(JsonFields c) {
        String type = c.optionalString(TYPE, Control.STATIC, "\"static\", \"etcd\", \"hub\" or \"bgp\"");
        if (!Control.TYPES.contains(type)) {
            throw c.error(TYPE, "\"" + type + "\" is not supported (accepted: " + String.join(", ", Control.TYPES) + ")");
        }
        return type;
    }

    /** True for the control types whose store may hold the network configuration (etcd, hub). */
    private static boolean isSharedStore(String type) {
        return type.equals(Control.ETCD) || type.equals(Control.HUB);
    }

    /** The {@code Control} section; {@code network} is null only for a shared store that will supply it. */
    private static Control control(JsonFields c, Ipv4Prefix network) {
        String type = controlType(c);
        if (!type.equals(Control.BGP)) {
            for (String bgpOnly : BgpControlConfig.FIELDS) {
                if (c.has(bgpOnly)) {
                    throw c.error(bgpOnly, "applies to Type \"bgp\" only");
                }
            }
        } else {
            for (String storeOnly : new String[] {ENDPOINTS, PREFIX, Control.TTL.name(), CA_FILE, CERT_FILE, KEY_FILE,
                INSECURE}) {
                if (c.has(storeOnly)) {
                    throw c.error(storeOnly, "applies to Type \"etcd\" or \"hub\" only");
                }
            }
            return Control.bgp(BgpControlConfig.read(c, network));
        }
        if (type.equals(Control.STATIC)) {
            for (String storeOnly : new String[] {ENDPOINTS, PREFIX, Control.TTL.name(), CA_FILE, CERT_FILE, KEY_FILE,
                INSECURE}) {
                if (c.has(storeOnly)) {
                    throw c.error(storeOnly, "applies to Type \"etcd\" or \"hub\" only");
                }
            }
            return Control.STATIC_PEERS;
        }
        int ttl = Control.TTL.read(c);
        Path ca = path(c, CA_FILE);
        Path cert = path(c, CERT_FILE);
        Path key = path(c, KEY_FILE);
        if (type.equals(Control.HUB)) {
            return hubControl(c, ttl, ca, cert, key);
        }
        if (c.has(INSECURE)) {
            throw c.error(INSECURE, "applies to Type \"hub\" only (etcd is plaintext unless CAFile/CertFile/KeyFile are given)");
        }
        List<URI> endpoints = new ArrayList<>();
        List<JsonNode> items = c.optionalArray(ENDPOINTS);
        if (items.isEmpty()) {
            throw c.error(ENDPOINTS, "missing (expected: etcd client URLs such as [\"http://192.168.50.1:2379\"])");
        }
        for (int i = 0; i < items.size(); i++) {
            JsonNode e = items.get(i);
            URI uri = e.isTextual() ? parseUri(e.textValue()) : null;
            // A scheme-relative "//host:port" has no scheme (and List.of(...).contains(null) throws).
            if (uri == null || uri.getHost() == null || uri.getScheme() == null
                || !List.of("http", "https").contains(uri.getScheme())) {
                throw new JsonFieldException(c.pathOf(ENDPOINTS, i), JsonFields.describe(e)
                    + " is not an etcd client URL (expected: http://host:port or https://host:port)");
            }
            endpoints.add(uri);
        }
        String prefix = c.optionalString(PREFIX, "/coreos.com/network", "an etcd key prefix such as /coreos.com/network");
        if (!prefix.startsWith("/") || prefix.endsWith("/")) {
            throw c.error(PREFIX, "\"" + prefix + "\" (expected: a key prefix that starts with / and does not end with /)");
        }
        return new Control(type, endpoints, List.of(), prefix, ttl, ca, cert, key, false, null);
    }

    /** A hub: addresses, and TLS files unless {@code Insecure} says plaintext explicitly. */
    private static Control hubControl(JsonFields c, int ttl, Path ca, Path cert, Path key) {
        if (c.has(PREFIX)) {
            throw c.error(PREFIX, "applies to Type \"etcd\" only (a hub keeps its own layout)");
        }
        List<HubEndpoint> hubs = new ArrayList<>();
        List<JsonNode> items = c.optionalArray(ENDPOINTS);
        if (items.isEmpty()) {
            throw c.error(ENDPOINTS, "missing (expected: hub addresses such as [\"192.168.50.1:" + HubEndpoint.DEFAULT_PORT
                + "\"])");
        }
        for (int i = 0; i < items.size(); i++) {
            JsonNode e = items.get(i);
            if (!e.isTextual()) {
                throw new JsonFieldException(c.pathOf(ENDPOINTS, i), JsonFields.describe(e) + " is not a hub address "
                    + "(expected: host:port)");
            }
            try {
                hubs.add(HubEndpoint.parse(e.textValue()));
            } catch (IllegalArgumentException ex) {
                throw new JsonFieldException(c.pathOf(ENDPOINTS, i), ex.getMessage());
            }
        }
        boolean insecure = c.optionalBoolean(INSECURE, false);
        if (insecure) {
            for (String tls : new String[] {CA_FILE, CERT_FILE, KEY_FILE}) {
                if (c.has(tls)) {
                    throw c.error(tls, "given with Insecure true (accepted: TLS files, or Insecure true, not both)");
                }
            }
        } else {
            String[] names = {CA_FILE, CERT_FILE, KEY_FILE};
            Path[] files = {ca, cert, key};
            for (int i = 0; i < names.length; i++) {
                if (files[i] == null) {
                    throw c.error(names[i], "missing (a hub needs the cluster CA, this node's certificate and key; "
                        + "make them with \"muslin ca\", or set Insecure true for plaintext)");
                }
            }
        }
        return new Control(Control.HUB, List.of(), hubs, null, ttl, ca, cert, key, insecure, null);
    }

    private static URI parseUri(String text) {
        try {
            return new URI(text);
        } catch (URISyntaxException e) {
            return null;
        }
    }

    private static Path path(JsonFields c, String field) {
        if (!c.has(field)) {
            return null;
        }
        try {
            return Path.of(c.requiredString(field, "a file path"));
        } catch (InvalidPathException e) {
            throw c.error(field, "not a file path (" + e.getReason() + ")");
        }
    }

    private static Node node(JsonFields n, Ipv4Prefix network, int subnetLen, Control control, Ipv6Network ipv6) {
        String name = n.requiredString(NAME, "the node's name, e.g. \"node1\"");
        if (name.isBlank()) {
            throw n.error(NAME, "empty (expected: the node's name, e.g. \"node1\")");
        }
        int publicIp = n.required(PUBLIC_IP, ADDRESS_EXAMPLE, Ipv4Address::parse);
        checkUnderlayAddress(n.pathOf(PUBLIC_IP), publicIp, network);
        Ipv4Prefix subnet = null;
        if (n.has(SUBNET) || !control.shared()) {
            subnet = n.required(SUBNET, "an IPv4 prefix such as 10.244.1.0/24", Ipv4Prefix::parse);
            if (network != null) {
                checkSubnet(n.pathOf(SUBNET), subnet, network, subnetLen);
            }
        }
        long vtepMac = n.optional(VTEP_MAC, MacAddress.NONE, "aa:bb:cc:dd:ee:ff", LeaseJson::parseVtepMac);
        String iface = n.optionalString(INTERFACE, Node.DEFAULT_INTERFACE, "an interface name such as \"muslin0\"");
        if (!iface.matches(Node.INTERFACE_PATTERN) || iface.equals(".") || iface.equals("..")) {
            throw n.error(INTERFACE, "\"" + iface + "\" is not a valid interface name (accepted: 1-"
                + Node.MAX_INTERFACE_LEN + " characters from A-Z a-z 0-9 _ . -, not \".\" or \"..\")");
        }
        if (ipv6 == null) {
            for (String field : List.of(LeaseJson.IPV6_SUBNET, LeaseJson.PUBLIC_IPV6, VTEP_MAC_V6)) {
                if (n.has(field)) {
                    throw n.error(field, "needs \"" + NetworkConfig.ENABLE_IPV6 + "\": true and an "
                        + NetworkConfig.IPV6_NETWORK + " (accepted: absent for an IPv4-only network)");
                }
            }
            return new Node(name, publicIp, subnet, vtepMac, iface);
        }
        Ipv6Address publicIpv6 = n.required(LeaseJson.PUBLIC_IPV6, "an IPv6 address such as fd00:50::1 (the IPv6 "
            + "underlay address, with EnableIPv6)", LeaseJson::parseUnicastIpv6);
        Ipv6Prefix subnet6 = n.required(LeaseJson.IPV6_SUBNET, "a /" + ipv6.subnetLen() + " of "
            + ipv6.network() + " such as " + ipv6.min(), Ipv6Prefix::parse);
        if (subnet6.length() != ipv6.subnetLen() || !ipv6.network().contains(subnet6)) {
            throw n.error(LeaseJson.IPV6_SUBNET, subnet6 + " is not a /" + ipv6.subnetLen() + " of IPv6Network "
                + ipv6.network() + " (accepted: IPv6SubnetLen-long prefixes inside IPv6Network)");
        }
        if (ipv6.network().contains(publicIpv6.hi(), publicIpv6.lo())) {
            throw n.error(LeaseJson.PUBLIC_IPV6, publicIpv6 + " is inside IPv6Network " + ipv6.network()
                + " (expected: the node's underlay address, outside the pod network)");
        }
        long vtepMac6 = n.optional(VTEP_MAC_V6, MacAddress.NONE, "aa:bb:cc:dd:ee:ff", LeaseJson::parseVtepMac);
        if (vtepMac6 != MacAddress.NONE && vtepMac6 == vtepMac) {
            throw n.error(VTEP_MAC_V6, "equals Node.VtepMAC (expected: a MAC of its own: one FDB entry maps a MAC to "
                + "one underlay address)");
        }
        return new Node(name, publicIp, subnet, vtepMac, iface, subnet6, publicIpv6, vtepMac6);
    }

    private static List<Lease> peers(JsonFields root, Ipv4Prefix network, int subnetLen, Node node) {
        List<JsonNode> items = root.optionalArray(PEERS);
        List<Lease> peers = new ArrayList<>(items.size());
        for (int i = 0; i < items.size(); i++) {
            String path = root.pathOf(PEERS, i);
            Lease lease = LeaseJson.fromTree(items.get(i), path);
            String subnetPath = path + "." + LeaseJson.SUBNET;
            checkSubnet(subnetPath, lease.subnet(), network, subnetLen);
            if (overlaps(lease.subnet(), node.subnet())) {
                throw new JsonFieldException(subnetPath, lease.subnet() + " overlaps Node.Subnet " + node.subnet()
                    + " (expected: another node's subnet)");
            }
            for (int j = 0; j < i; j++) {
                if (overlaps(lease.subnet(), peers.get(j).subnet())) {
                    throw new JsonFieldException(subnetPath, lease.subnet() + " overlaps " + root.pathOf(PEERS, j)
                        + ".Subnet " + peers.get(j).subnet() + " (expected: one entry per node subnet)");
                }
            }
            String publicIpPath = path + "." + LeaseJson.PUBLIC_IP;
            checkUnderlayAddress(publicIpPath, lease.publicIp(), network);
            if (lease.publicIp() == node.publicIp()) {
                throw new JsonFieldException(publicIpPath, Ipv4Address.format(lease.publicIp())
                    + " is this node's Node.PublicIP (expected: another node's address)");
            }
            if (node.hasVtepMac() && lease.vtepMac() == node.vtepMac()) {
                throw new JsonFieldException(path + "." + LeaseJson.BACKEND_DATA + "." + LeaseJson.VTEP_MAC,
                    MacAddress.format(lease.vtepMac()) + " is this node's Node.VtepMAC (expected: the peer's own MAC)");
            }
            peers.add(lease);
        }
        return peers;
    }

    private static void checkSubnet(String path, Ipv4Prefix subnet, Ipv4Prefix network, int subnetLen) {
        if (subnet.length() != subnetLen) {
            throw new JsonFieldException(path, subnet + " has prefix length " + subnet.length() + " (accepted: "
                + subnetLen + ", the SubnetLen)");
        }
        if (!network.contains(subnet)) {
            throw new JsonFieldException(path, subnet + " is outside Network " + network);
        }
    }

    /** The underlay address must be a unicast host address outside the overlay (else packets loop). */
    private static void checkUnderlayAddress(String path, int ip, Ipv4Prefix network) {
        String text = Ipv4Address.format(ip);
        int first = ip >>> 24;
        if (first == 0 || first >= 224) {
            throw new JsonFieldException(path, text + " is not a unicast host address (expected: " + ADDRESS_EXAMPLE + ")");
        }
        if (network != null && network.contains(ip)) {
            throw new JsonFieldException(path, text + " is inside Network " + network
                + " (expected: the node's underlay address)");
        }
    }

    private static boolean overlaps(Ipv4Prefix a, Ipv4Prefix b) {
        return a.contains(b) || b.contains(a);
    }

    private static String describe(IOException e) {
        if (e instanceof NoSuchFileException) {
            return "no such file";
        }
        if (e instanceof AccessDeniedException) {
            return "permission denied";
        }
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }
}
