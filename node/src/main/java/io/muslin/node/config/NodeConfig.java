package io.muslin.node.config;

import io.muslin.control.bgp.speaker.BgpControlConfig;
import io.muslin.control.hub.client.HubEndpoint;
import io.muslin.control.lease.Ipv6Network;
import io.muslin.control.lease.Lease;
import io.muslin.dataplane.Encapsulation;
import io.muslin.dataplane.engine.DataplaneSettings;
import io.muslin.dataplane.packet.Ipv4Prefix;
import io.muslin.dataplane.packet.Ipv6Address;
import io.muslin.dataplane.packet.Ipv6Prefix;
import io.muslin.dataplane.packet.MacAddress;
import io.muslin.dataplane.path.MtuGuard;
import io.muslin.dataplane.path.SourceCheck;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Path;
import java.util.List;

/**
 * A node's validated configuration: flannel's net-conf fields ({@code Network},
 * {@code SubnetLen}, {@code Backend}), this node's lease ({@code Node}) and the static peer
 * leases ({@code Peers}). One record per JSON section; every default and range is declared
 * here once and read by {@link ConfigLoader}.
 *
 * @param network   the cluster pod network, e.g. {@code 10.244.0.0/16}; null while it is to come
 *                  from the store's network configuration ({@link #networkFromStore()})
 * @param subnetLen the length of every node subnet (0 while the network is to come from the store)
 * @param backend   the {@code Backend} section
 * @param node      the {@code Node} section
 * @param peers     the static peer leases, each inside {@code network} with length {@code subnetLen}
 * @param control   where peers come from: the static {@code Peers}, etcd or a hub
 * @param subnetMin flannel's {@code SubnetMin}: the lowest subnet allocated to a node without
 *                  {@code Node.Subnet}, or null for the network's second subnet
 * @param subnetMax flannel's {@code SubnetMax}: the highest, or null for the second to last
 * @param metrics   the {@code Metrics} section
 * @param sourceCheck {@code SourceCheck}: whether a received packet's inner source must lie in a
 *                  subnet of the peer that sent it ({@link SourceCheck})
 * @param ipMasq    {@code IPMasq} (flanneld's {@code --ip-masq}): masquerade traffic from pods
 *                  leaving the cluster network
 * @param dataplane the {@code Dataplane} section (muslin's own: how the packet path runs)
 * @param ipv6      the IPv6 half of net-conf.json ({@code "EnableIPv6": true}, {@code IPv6Network},
 *                  {@code IPv6SubnetLen}, ...), or null for an IPv4-only network
 */
public record NodeConfig(Ipv4Prefix network, int subnetLen, Backend backend, Node node, List<Lease> peers,
                         Control control, Ipv4Prefix subnetMin, Ipv4Prefix subnetMax, Metrics metrics,
                         SourceCheck.Mode sourceCheck, boolean ipMasq, Dataplane dataplane, Ipv6Network ipv6) {
    public static final String SOURCE_CHECK_STRICT = "strict";
    public static final String SOURCE_CHECK_OFF = "off";
    /** {@code SubnetLen}; its lower bound is really {@code Network}'s length + 1. */
    public static final IntSetting SUBNET_LEN = new IntSetting("SubnetLen", 24, 1, 30);
    /** {@code Network} prefix lengths that leave room for node subnets. */
    public static final int MIN_NETWORK_LEN = 1;
    public static final int MAX_NETWORK_LEN = SUBNET_LEN.max() - 1;

    public NodeConfig {
        peers = List.copyOf(peers);
    }

    /** An IPv4-only network's configuration. */
    public NodeConfig(Ipv4Prefix network, int subnetLen, Backend backend, Node node, List<Lease> peers,
                      Control control, Ipv4Prefix subnetMin, Ipv4Prefix subnetMax, Metrics metrics,
                      SourceCheck.Mode sourceCheck, boolean ipMasq, Dataplane dataplane) {
        this(network, subnetLen, backend, node, peers, control, subnetMin, subnetMax, metrics, sourceCheck, ipMasq,
            dataplane, null);
    }

    /** True for a dual-stack network ({@code EnableIPv6}). */
    public boolean hasIpv6() {
        return ipv6 != null;
    }

    /**
     * True when the file leaves {@code Network} to the store (etcd or a hub) and the store has
     * not been read yet: {@code ConfigLoader.parse(json, storeNetConf, where)} completes it.
     */
    public boolean networkFromStore() {
        return network == null;
    }

    /**
     * The {@code Metrics} section: where {@code /metrics}, {@code /healthz} and {@code /readyz} are served.
     *
     * @param listen the address and port, or null when metrics are off (the default)
     */
    public record Metrics(InetSocketAddress listen) {
        public static final String LISTEN = "Listen";
        public static final Metrics OFF = new Metrics(null);

        public boolean enabled() {
            return listen != null;
        }
    }

    /**
     * The {@code Backend} section.
     *
     * @param type          flannel backend name: {@code "vxlan"}, {@code "ipip"} or {@code "host-gw"}
     * @param vni           VXLAN network identifier (vxlan only)
     * @param port          UDP port we listen on and send to (vxlan only)
     * @param mtu           tunnel MTU, or {@link #AUTO_MTU} for the underlay MTU minus the encapsulation's overhead
     * @param directRouting route peers on our underlay subnet without encapsulation (vxlan, ipip;
     *                      flannel's {@code DirectRouting}, Calico's CrossSubnet)
     * @param mssClamp      {@link MtuGuard#NO_MSS_CLAMP}, {@link MtuGuard#AUTO_MSS} ({@code "auto"}:
     *                      each peer's path MTU less 40), or a fixed MSS
     */
    public record Backend(String type, int vni, int port, int mtu, boolean directRouting, int mssClamp) {
        public static final String DEFAULT_TYPE = Lease.VXLAN;
        public static final List<String> TYPES = List.of(Lease.VXLAN, Lease.IPIP, Lease.HOST_GW);
        public static final String DIRECT_ROUTING = "DirectRouting";
        public static final String MSS_CLAMP = "MSSClamp";
        /** A fixed {@code MSSClamp}: at least what every IPv4 host accepts (RFC 879), at most 65535 - 40. */
        public static final int MIN_MSS = 536;
        public static final int MAX_MSS = 65495;
        public static final IntSetting VNI = new IntSetting("VNI", 1, 0, Lease.MAX_VNI);
        /** The Linux default (flannel's too); IANA's VXLAN port is 4789. */
        public static final IntSetting PORT = new IntSetting("Port", 8472, 1, 65535);
        /** 0 means auto; otherwise {@link #MIN_MTU}..max. */
        public static final IntSetting MTU = new IntSetting("MTU", 0, 0, 65535);
        public static final int AUTO_MTU = 0;
        /** The smallest MTU every IPv4 host must accept (RFC 791). */
        public static final int MIN_MTU = 576;

        public static final Backend DEFAULTS = new Backend(DEFAULT_TYPE, VNI.defaultValue(), PORT.defaultValue(),
            MTU.defaultValue(), false, MtuGuard.NO_MSS_CLAMP);

        public boolean autoMtu() {
            return mtu == AUTO_MTU;
        }

        /** What the dataplane puts around a packet for this backend ({@link Encapsulation#NONE} for host-gw). */
        public Encapsulation encapsulation() {
            return switch (type) {
                case Lease.VXLAN -> Encapsulation.VXLAN;
                case Lease.IPIP -> Encapsulation.IPIP;
                default -> Encapsulation.NONE;
            };
        }
    }

    /**
     * The {@code Control} section: where this node announces its lease and learns its peers.
     *
     * @param type       {@link #STATIC} (the file's {@code Peers}, reloaded on change),
     *                   {@link #ETCD}, {@link #HUB} or {@link #BGP}
     * @param endpoints  etcd client URLs (etcd only)
     * @param hubs       hub addresses, tried in order (hub only)
     * @param prefix     etcd key prefix, flannel's {@code /coreos.com/network} by default (etcd only)
     * @param ttlSeconds the lease's TTL; renewed every third of it
     * @param caFile     TLS: CA certificate file, or null for plaintext
     * @param certFile   TLS: client certificate file, or null
     * @param keyFile    TLS: client key file (PKCS#8 PEM), or null
     * @param insecure   hub only: plaintext, no certificates (said explicitly)
     * @param bgp        bgp only: AS, hold time, port and peers; null otherwise
     */
    public record Control(String type, List<URI> endpoints, List<HubEndpoint> hubs, String prefix, int ttlSeconds,
                          Path caFile, Path certFile, Path keyFile, boolean insecure, BgpControlConfig bgp) {
        public static final String STATIC = "static";
        public static final String ETCD = "etcd";
        public static final String HUB = "hub";
        public static final String BGP = "bgp";
        public static final List<String> TYPES = List.of(STATIC, ETCD, HUB, BGP);
        /** flannel's lease TTL: 24 hours. */
        public static final IntSetting TTL = new IntSetting("TTL", 24 * 3600, 3, 7 * 24 * 3600);
        public static final Control STATIC_PEERS = new Control(STATIC, List.of(), List.of(), null, 0, null, null, null,
            false, null);

        /** Peers from BGP (Calico's way): routes from route reflectors or a full mesh. */
        public static Control bgp(BgpControlConfig bgp) {
            return new Control(BGP, List.of(), List.of(), null, 0, null, null, null, false, bgp);
        }

        public Control {
            endpoints = List.copyOf(endpoints);
            hubs = List.copyOf(hubs);
        }

        public boolean etcd() {
            return type.equals(ETCD);
        }

        public boolean hub() {
            return type.equals(HUB);
        }

        public boolean isBgp() {
            return type.equals(BGP);
        }

        /** True when leases come from a shared store (etcd or a hub) rather than the file. */
        public boolean shared() {
            return etcd() || hub();
        }
    }

    /**
     * The {@code Dataplane} section: how muslin's packet path runs on this node.
     *
     * @param threads        dataplane threads, each with its own TUN queue and underlay sockets
     *                       ({@code Threads}; default: the number of cores, at most 64)
     * @param idleSpinMicros how long a dataplane thread keeps polling after work before it
     *                       blocks ({@code IdleSpinMicros}; 0: it blocks at once)
     */
    public record Dataplane(int threads, int idleSpinMicros) {
        public static final IntSetting THREADS = new IntSetting("Threads",
            Math.min(DataplaneSettings.MAX_THREADS, Runtime.getRuntime().availableProcessors()),
            DataplaneSettings.MIN_THREADS, DataplaneSettings.MAX_THREADS);
        public static final IntSetting IDLE_SPIN_MICROS = new IntSetting("IdleSpinMicros",
            DataplaneSettings.DEFAULT_IDLE_SPIN_MICROS, 0, DataplaneSettings.MAX_IDLE_SPIN_MICROS);
        public static final Dataplane DEFAULTS = new Dataplane(THREADS.defaultValue(), IDLE_SPIN_MICROS.defaultValue());
    }

    /**
     * The {@code Node} section: this node's lease and device.
     *
     * @param name          the node's name (logs, admin output)
     * @param publicIp      underlay IPv4 address (outer source, what peers send to)
     * @param subnet        this node's subnet, inside {@code Network}, length {@code SubnetLen}; null
     *                      (etcd or hub only) to have one allocated and kept across restarts
     * @param vtepMac       VTEP MAC, or {@link MacAddress#NONE} to use the persisted generated one
     * @param interfaceName TUN device name
     * @param ipv6Subnet    {@code IPv6Subnet} (with {@code EnableIPv6}): this node's IPv6 subnet, a
     *                      {@code IPv6SubnetLen}-long prefix of {@code IPv6Network}; else null
     * @param publicIpv6    {@code PublicIPv6} (flanneld's {@code --public-ipv6}): the IPv6 underlay
     *                      address, required with {@code EnableIPv6}; else null
     * @param vtepMac6      {@code VtepMACv6}: the MAC of the IPv6 VTEP ({@code BackendV6Data.VtepMAC}),
     *                      or {@link MacAddress#NONE} to derive it from the IPv4 one
     */
    public record Node(String name, int publicIp, Ipv4Prefix subnet, long vtepMac, String interfaceName,
                       Ipv6Prefix ipv6Subnet, Ipv6Address publicIpv6, long vtepMac6) {
        public static final String DEFAULT_INTERFACE = "muslin0";
        /** Linux IFNAMSIZ (16) less the terminating NUL. */
        public static final int MAX_INTERFACE_LEN = 15;
        /** What Linux accepts and a file name can hold safely (the name is used in state paths). */
        public static final String INTERFACE_PATTERN = "[A-Za-z0-9_.-]{1," + MAX_INTERFACE_LEN + "}";

        /** A node of an IPv4-only network. */
        public Node(String name, int publicIp, Ipv4Prefix subnet, long vtepMac, String interfaceName) {
            this(name, publicIp, subnet, vtepMac, interfaceName, null, null, MacAddress.NONE);
        }

        public boolean hasVtepMac() {
            return vtepMac != MacAddress.NONE;
        }

        /**
         * The IPv6 VTEP's MAC: {@code VtepMACv6}, or else {@code vtepMac} (the IPv4 VTEP's) with
         * bit 2 of its first octet flipped, so that it stays as stable as the IPv4 one, unicast and
         * locally administered, and differs from it (one FDB entry maps a MAC to one underlay address).
         */
        public long vtepMac6(long ipv4VtepMac) {
            return vtepMac6 != MacAddress.NONE ? vtepMac6 : ipv4VtepMac ^ (0x04L << 40);
        }
    }
}
