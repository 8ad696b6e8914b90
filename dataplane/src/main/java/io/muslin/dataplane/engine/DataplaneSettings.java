package io.muslin.dataplane.engine;

import io.muslin.dataplane.Encapsulation;
import io.muslin.dataplane.packet.Ipv4Prefix;
import io.muslin.dataplane.packet.Ipv6Address;
import io.muslin.dataplane.packet.Ipv6Prefix;
import io.muslin.dataplane.packet.MacAddress;
import io.muslin.dataplane.path.SourceCheck;

/**
 * What the overlay dataplane of one node needs, already validated by the caller.
 *
 * @param interfaceName TUN device name (e.g. {@code muslin0})
 * @param encapsulation VXLAN or IP-in-IP
 * @param network       the cluster pod network (kernel route via the device)
 * @param nodeSubnet    this node's subnet; the device gets its network address /32
 * @param publicIp      this node's underlay IPv4 address (outer source)
 * @param vtepMac       this node's VTEP MAC (inner Ethernet source; VXLAN only)
 * @param vni           VXLAN network identifier, 0..16777215 (VXLAN only)
 * @param port          UDP destination port we listen on and send to, 8472 (VXLAN only)
 * @param mtu           TUN MTU (underlay MTU minus the encapsulation's overhead, or configured)
 * @param autoMtu       the TUN MTU follows the underlay device's (else {@code mtu} was configured)
 * @param underlayIndex interface index of the underlay device, whose MTU changes are followed (0: none)
 * @param underlayMtu   MTU of the underlay device: the path MTU of every peer until ICMP says less
 * @param mssClamp      {@link io.muslin.dataplane.path.MtuGuard#NO_MSS_CLAMP}, {@link
 *                      io.muslin.dataplane.path.MtuGuard#AUTO_MSS} or a fixed MSS
 * @param sourceCheck   how received packets' senders are checked ({@link SourceCheck})
 * @param threads       dataplane threads, {@value #MIN_THREADS}-{@value #MAX_THREADS}: each owns a TUN
 *                      queue and its own underlay sockets
 * @param idleSpinMicros how long a dataplane thread keeps polling after work before it blocks
 *                      (0-{@value #MAX_IDLE_SPIN_MICROS}; 0 blocks at once), see {@link IdleStrategy}
 * @param ipv6          the IPv6 half of a dual-stack VXLAN node, or null for IPv4 only
 */
public record DataplaneSettings(String interfaceName, Encapsulation encapsulation, Ipv4Prefix network,
                                Ipv4Prefix nodeSubnet, int publicIp, long vtepMac, int vni, int port, int mtu,
                                boolean autoMtu, int underlayIndex, int underlayMtu, int mssClamp,
                                SourceCheck.Mode sourceCheck, int threads, int idleSpinMicros, Ipv6 ipv6) {
    public static final int MIN_THREADS = 1;
    /** The kernel allows 256 TUN queues; 64 keeps the sockets and buffers of an idle daemon bounded. */
    public static final int MAX_THREADS = 64;
    /** Long enough to catch the answer to a packet just forwarded across a quiet lab (its round trip is ~100 µs). */
    public static final int DEFAULT_IDLE_SPIN_MICROS = 200;
    public static final int MAX_IDLE_SPIN_MICROS = 10_000;
    /** The most of each second a thread may spend polling with nothing to do. */
    public static final double MAX_SPIN_SHARE = 0.05;

    /**
     * The IPv6 half of a dual-stack VXLAN node: what flannel gives {@code flannel-v6.1}. Inner IPv6
     * packets ride VXLAN over the IPv6 underlay (70 bytes), from {@code publicIp} and with
     * {@code vtepMac} as the inner Ethernet source, and only frames to {@code vtepMac} are taken
     * from it.
     *
     * @param network     the IPv6 pod network (kernel route via the device)
     * @param nodeSubnet  this node's IPv6 subnet; the device gets its network address /128
     * @param publicIp    this node's IPv6 underlay address (flanneld's {@code --public-ipv6})
     * @param vtepMac     the VTEP MAC peers reach us by over IPv6 ({@code BackendV6Data.VtepMAC}):
     *                    not the IPv4 one, since one FDB entry maps a MAC to one underlay address
     * @param underlayMtu the MTU of the IPv6 underlay device: every IPv6 peer's path MTU
     */
    public record Ipv6(Ipv6Prefix network, Ipv6Prefix nodeSubnet, Ipv6Address publicIp, long vtepMac,
                       int underlayMtu) {
        public Ipv6 {
            if (!network.contains(nodeSubnet)) {
                throw new IllegalArgumentException("IPv6 subnet " + nodeSubnet + " is outside the IPv6 network " + network);
            }
            if (publicIp.isUnspecified() || publicIp.isMulticast()) {
                throw new IllegalArgumentException("PublicIPv6 " + publicIp + " is not a unicast address");
            }
            if (underlayMtu < io.muslin.dataplane.packet.Ipv6.MIN_MTU + Encapsulation.VXLAN.bytes(6)) {
                throw new IllegalArgumentException("IPv6 underlay MTU " + underlayMtu + " cannot carry IPv6 over VXLAN "
                    + "(accepted: " + (io.muslin.dataplane.packet.Ipv6.MIN_MTU + Encapsulation.VXLAN.bytes(6))
                    + " or more: 1280 inside, 70 of headers)");
            }
        }
    }

    /** Settings of a node without IPv6. */
    public DataplaneSettings(String interfaceName, Encapsulation encapsulation, Ipv4Prefix network,
                             Ipv4Prefix nodeSubnet, int publicIp, long vtepMac, int vni, int port, int mtu,
                             boolean autoMtu, int underlayIndex, int underlayMtu, int mssClamp,
                             SourceCheck.Mode sourceCheck, int threads, int idleSpinMicros) {
        this(interfaceName, encapsulation, network, nodeSubnet, publicIp, vtepMac, vni, port, mtu, autoMtu, underlayIndex,
            underlayMtu, mssClamp, sourceCheck, threads, idleSpinMicros, null);
    }

    /** These settings with {@code ipv6} as the IPv6 half (null: none). */
    public DataplaneSettings withIpv6(Ipv6 ipv6) {
        return new DataplaneSettings(interfaceName, encapsulation, network, nodeSubnet, publicIp, vtepMac, vni, port, mtu,
            autoMtu, underlayIndex, underlayMtu, mssClamp, sourceCheck, threads, idleSpinMicros, ipv6);
    }

    public DataplaneSettings {
        if (threads < MIN_THREADS || threads > MAX_THREADS) {
            throw new IllegalArgumentException("dataplane threads must be " + MIN_THREADS + "-" + MAX_THREADS + ", not "
                + threads);
        }
        if (idleSpinMicros < 0 || idleSpinMicros > MAX_IDLE_SPIN_MICROS) {
            throw new IllegalArgumentException("idle spin must be 0-" + MAX_IDLE_SPIN_MICROS + " µs, not " + idleSpinMicros);
        }
        if (ipv6 != null && encapsulation != Encapsulation.VXLAN) {
            throw new IllegalArgumentException("IPv6 needs the vxlan backend, not " + encapsulation
                + " (IP-in-IP carries IPv4 only, RFC 2003)");
        }
        if (ipv6 != null && ipv6.vtepMac() == vtepMac) {
            throw new IllegalArgumentException("the IPv6 VTEP MAC " + MacAddress.format(vtepMac)
                + " must differ from the IPv4 one (one FDB entry maps a MAC to one underlay address)");
        }
    }
}
