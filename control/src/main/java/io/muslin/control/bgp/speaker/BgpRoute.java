package io.muslin.control.bgp.speaker;

import io.muslin.dataplane.packet.Ipv4Address;
import io.muslin.dataplane.packet.Ipv4Prefix;
import io.muslin.dataplane.packet.MacAddress;

/**
 * A route learned from a peer, as far as muslin uses it.
 *
 * @param prefix       the pod block
 * @param nextHop      where it goes: the announcing node's address (NEXT_HOP)
 * @param routersMac   the VTEP MAC the route carries (RFC 9135 Router's MAC), or {@link MacAddress#NONE}
 * @param localPref    LOCAL_PREF (100 when absent)
 * @param asPathLength the AS_PATH length as the decision process counts it
 * @param peer         the address of the peer it came from
 * @param stale        kept from a session that ended, for the peer's graceful restart time (RFC 4724)
 */
public record BgpRoute(Ipv4Prefix prefix, int nextHop, long routersMac, long localPref, int asPathLength, int peer,
                       boolean stale) {
    public static final long DEFAULT_LOCAL_PREF = 100;

    BgpRoute asStale() {
        return stale ? this : new BgpRoute(prefix, nextHop, routersMac, localPref, asPathLength, peer, true);
    }

    /** True when {@code other} would program the same thing: same next hop and MAC. */
    boolean samePath(BgpRoute other) {
        return other != null && other.nextHop == nextHop && other.routersMac == routersMac;
    }

    @Override
    public String toString() {
        return prefix + " via " + Ipv4Address.format(nextHop)
            + (routersMac == MacAddress.NONE ? "" : " mac " + MacAddress.format(routersMac))
            + " from " + Ipv4Address.format(peer) + (stale ? " (stale)" : "");
    }
}
