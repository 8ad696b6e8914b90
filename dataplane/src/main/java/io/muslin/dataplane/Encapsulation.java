package io.muslin.dataplane;

/**
 * The encapsulations the dataplane speaks, and the bytes each adds to every inner packet: the
 * one place these numbers live.
 *
 * <pre>
 *   encapsulation                                          outer IPv4  outer IPv6
 *   VXLAN  (outer IP + UDP 8 + VXLAN 8 + inner Ethernet 14)     50          70
 *   IP-in-IP (outer IP header only, RFC 2003)                   20          40
 *   none (host-gw: the kernel routes the inner packet)            0           0
 * </pre>
 *
 * The tunnel MTU is the underlay MTU minus {@link #bytes}.
 */
public enum Encapsulation {
    VXLAN(8 + 8 + 14),
    IPIP(0),
    /** No tunnel (host-gw): no overlay dataplane, no overhead. */
    NONE(-1);

    public static final int IPV4_HEADER = 20;
    public static final int IPV6_HEADER = 40;

    private final int afterOuterIp;

    Encapsulation(int afterOuterIp) {
        this.afterOuterIp = afterOuterIp;
    }

    /** Overhead for an outer header of the given family (4 or 6). */
    public int bytes(int outerFamily) {
        if (this == NONE) {
            return 0;
        }
        return switch (outerFamily) {
            case 4 -> IPV4_HEADER + afterOuterIp;
            case 6 -> IPV6_HEADER + afterOuterIp;
            default -> throw new IllegalArgumentException("IP family must be 4 or 6, not " + outerFamily);
        };
    }

    /** Largest overhead over both outer families: the headroom a TUN read must leave. */
    public int maxBytes() {
        return bytes(6);
    }
}
