package io.muslin.control.bgp;

/**
 * ROUTE-REFRESH (RFC 2918 §3): asks the peer to send its Adj-RIB-Out for one address family
 * again.
 * <pre>
 *  0       7      15      23      31
 *  +-------+-------+-------+-------+
 *  |      AFI      | Res.  | SAFI  |
 *  +-------+-------+-------+-------+
 * </pre>
 *
 * @param afi  the address family ({@link Bgp#AFI_IPV4}, ...)
 * @param safi the subsequent address family ({@link Bgp#SAFI_UNICAST}, ...)
 */
public record BgpRouteRefresh(int afi, int safi) implements BgpMessage {
    public BgpRouteRefresh {
        BgpOpen.checkRange("AFI", afi, 0, 0xFFFF);
        BgpOpen.checkRange("SAFI", safi, 0, 0xFF);
    }

    @Override
    public int type() {
        return Bgp.ROUTE_REFRESH;
    }
}
