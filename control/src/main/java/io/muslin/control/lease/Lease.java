package io.muslin.control.lease;

import io.muslin.dataplane.packet.Ipv4Address;
import io.muslin.dataplane.packet.Ipv4Prefix;
import io.muslin.dataplane.packet.Ipv6Address;
import io.muslin.dataplane.packet.Ipv6Prefix;
import io.muslin.dataplane.packet.MacAddress;
import java.util.Objects;

/**
 * One node's lease in flannel's model: the node holds {@code subnet} and is reached at
 * {@code publicIp}; for the VXLAN backend its VTEP has {@code vtepMac} on VNI {@code vni}. A
 * dual-stack lease (flannel's {@code EnableIPv6}) also holds {@code ipv6Subnet}, is reached at
 * {@code publicIpv6} over the IPv6 underlay, and (VXLAN) has a second VTEP, flannel's
 * {@code flannel-v6.1}, with {@code vtepMac6} ({@code BackendV6Data.VtepMAC}).
 *
 * <p>For a lease of another backend ({@link #backendType} not {@value #VXLAN}) the backend data
 * is not interpreted: {@code vni} is {@link #NO_VNI} and the MACs are {@link MacAddress#NONE}.
 *
 * @param subnet      the node's pod subnet, e.g. {@code 10.244.2.0/24}
 * @param publicIp    the node's underlay IPv4 address
 * @param backendType flannel's backend name ({@code "vxlan"}, {@code "host-gw"}, ...)
 * @param vni         VXLAN network identifier 0..16777215, or {@link #NO_VNI}
 * @param vtepMac     the node's VTEP MAC, or {@link MacAddress#NONE}
 * @param ipv6Subnet  the node's IPv6 pod subnet, e.g. {@code fd00:10:244:2::/64}, or null (IPv4 only)
 * @param publicIpv6  the node's underlay IPv6 address, or null
 * @param vtepMac6    the MAC of the node's IPv6 VTEP, or {@link MacAddress#NONE}
 */
public record Lease(Ipv4Prefix subnet, int publicIp, String backendType, int vni, long vtepMac,
                    Ipv6Prefix ipv6Subnet, Ipv6Address publicIpv6, long vtepMac6) {
    /** flannel's name for the VXLAN backend. */
    public static final String VXLAN = "vxlan";
    /** flannel's name for the IP-in-IP backend (Calico's {@code tunl0} speaks the same). */
    public static final String IPIP = "ipip";
    /** flannel's name for plain routing between on-link nodes. */
    public static final String HOST_GW = "host-gw";
    /** The {@code vni} of a lease whose backend data is not VXLAN's. */
    public static final int NO_VNI = -1;
    public static final int MAX_VNI = 0xFF_FFFF;

    public Lease {
        Objects.requireNonNull(subnet, "subnet");
        Objects.requireNonNull(backendType, "backendType");
        if (vni != NO_VNI && (vni < 0 || vni > MAX_VNI)) {
            throw new IllegalArgumentException("VNI " + vni + " is out of range (accepted: 0-" + MAX_VNI + ")");
        }
        if (ipv6Subnet == null && (publicIpv6 != null || vtepMac6 != MacAddress.NONE)) {
            throw new IllegalArgumentException("lease for " + subnet + " has IPv6 underlay data but no IPv6 subnet");
        }
        if (ipv6Subnet != null && publicIpv6 == null) {
            throw new IllegalArgumentException("lease for " + subnet + " & " + ipv6Subnet + " has no PublicIPv6");
        }
    }

    /** An IPv4-only lease. */
    public Lease(Ipv4Prefix subnet, int publicIp, String backendType, int vni, long vtepMac) {
        this(subnet, publicIp, backendType, vni, vtepMac, null, null, MacAddress.NONE);
    }

    /** A lease of a backend that carries no backend data ({@value #IPIP}, {@value #HOST_GW}). */
    public static Lease of(String backendType, Ipv4Prefix subnet, int publicIp) {
        return new Lease(subnet, publicIp, backendType, NO_VNI, MacAddress.NONE);
    }

    /** A VXLAN lease. */
    public static Lease vxlan(Ipv4Prefix subnet, int publicIp, int vni, long vtepMac) {
        return new Lease(subnet, publicIp, VXLAN, vni, vtepMac);
    }

    /** This lease made dual-stack: the IPv6 subnet, underlay address and (VXLAN) IPv6 VTEP MAC. */
    public Lease withIpv6(Ipv6Prefix ipv6Subnet, Ipv6Address publicIpv6, long vtepMac6) {
        return new Lease(subnet, publicIp, backendType, vni, vtepMac, ipv6Subnet, publicIpv6, vtepMac6);
    }

    /** This lease without its IPv6 half. */
    public Lease ipv4Only() {
        return new Lease(subnet, publicIp, backendType, vni, vtepMac);
    }

    public boolean isVxlan() {
        return VXLAN.equals(backendType);
    }

    /** True for a dual-stack lease (an IPv6 subnet and PublicIPv6). */
    public boolean hasIpv6() {
        return ipv6Subnet != null;
    }

    /** flannel's key of this lease ({@code MakeSubnetKey}). */
    public SubnetKey key() {
        return new SubnetKey(subnet, ipv6Subnet);
    }

    @Override
    public String toString() {
        return subnet + " at " + Ipv4Address.format(publicIp) + " " + backendType
            + (isVxlan() ? " vni " + vni + " vtep " + MacAddress.format(vtepMac) : "")
            + (hasIpv6() ? " & " + ipv6Subnet + " at " + publicIpv6
                + (isVxlan() ? " vtep " + MacAddress.format(vtepMac6) : "") : "");
    }
}
