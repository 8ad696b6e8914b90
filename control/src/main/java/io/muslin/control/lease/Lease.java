package io.muslin.control.lease;

import io.muslin.dataplane.packet.Ipv4Address;
import io.muslin.dataplane.packet.Ipv4Prefix;
import io.muslin.dataplane.packet.MacAddress;
import java.util.Objects;

/**
 * One node's lease in flannel's model: the node holds {@code subnet} and is reached at
 * {@code publicIp}; for the VXLAN backend its VTEP has {@code vtepMac} on VNI {@code vni}.
 *
 * <p>For a lease of another backend ({@link #backendType} not {@value #VXLAN}) the backend data
 * is not interpreted: {@code vni} is {@link #NO_VNI} and {@code vtepMac} is {@link MacAddress#NONE}.
 *
 * @param subnet      the node's pod subnet, e.g. {@code 10.244.2.0/24}
 * @param publicIp    the node's underlay IPv4 address
 * @param backendType flannel's backend name ({@code "vxlan"}, {@code "host-gw"}, ...)
 * @param vni         VXLAN network identifier 0..16777215, or {@link #NO_VNI}
 * @param vtepMac     the node's VTEP MAC, or {@link MacAddress#NONE}
 */
public record Lease(Ipv4Prefix subnet, int publicIp, String backendType, int vni, long vtepMac) {
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
    }

    /** A lease of a backend that carries no backend data ({@value #IPIP}, {@value #HOST_GW}). */
    public static Lease of(String backendType, Ipv4Prefix subnet, int publicIp) {
        return new Lease(subnet, publicIp, backendType, NO_VNI, MacAddress.NONE);
    }

    /** A VXLAN lease. */
    public static Lease vxlan(Ipv4Prefix subnet, int publicIp, int vni, long vtepMac) {
        return new Lease(subnet, publicIp, VXLAN, vni, vtepMac);
    }

    public boolean isVxlan() {
        return VXLAN.equals(backendType);
    }

    @Override
    public String toString() {
        return subnet + " at " + Ipv4Address.format(publicIp) + " " + backendType
            + (isVxlan() ? " vni " + vni + " vtep " + MacAddress.format(vtepMac) : "");
    }
}
