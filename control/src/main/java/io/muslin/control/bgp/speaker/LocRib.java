package io.muslin.control.bgp.speaker;

import io.muslin.dataplane.packet.Ipv4Prefix;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Map;

/**
 * The best route per prefix over every peer's Adj-RIB-In (RFC 4271 §9.1), with the listener
 * told only when what it programs changes (a new best next hop or MAC, or none left).
 * Single-threaded: the speaker's event loop.
 *
 * <p>The decision, enough for route reflectors and a full mesh of equals: a fresh route over a
 * stale one (graceful restart), then the higher LOCAL_PREF, the shorter AS_PATH, and the lower
 * peer address to break ties, so every node picks alike.
 */
final class LocRib {
    static final Comparator<BgpRoute> PREFERENCE = Comparator.comparing(BgpRoute::stale)
        .thenComparing(Comparator.comparingLong(BgpRoute::localPref).reversed())
        .thenComparingInt(BgpRoute::asPathLength)
        .thenComparing(r -> Integer.toUnsignedLong(r.peer()));

    private final Map<Ipv4Prefix, Map<Integer, BgpRoute>> candidates = new HashMap<>();
    private final Map<Ipv4Prefix, BgpRoute> best = new HashMap<>();
    private final BgpRouteListener listener;

    LocRib(BgpRouteListener listener) {
        this.listener = listener;
    }

    /** Peer {@code peer} now has {@code route} for its prefix. */
    void put(BgpRoute route) {
        candidates.computeIfAbsent(route.prefix(), p -> new HashMap<>()).put(route.peer(), route);
        select(route.prefix());
    }

    /** Peer {@code peer} no longer has a route for {@code prefix}. */
    void remove(int peer, Ipv4Prefix prefix) {
        Map<Integer, BgpRoute> byPeer = candidates.get(prefix);
        if (byPeer != null && byPeer.remove(peer) != null) {
            if (byPeer.isEmpty()) {
                candidates.remove(prefix);
            }
            select(prefix);
        }
    }

    /** The chosen route for {@code prefix}, or null. */
    BgpRoute best(Ipv4Prefix prefix) {
        return best.get(prefix);
    }

    int size() {
        return best.size();
    }

    private void select(Ipv4Prefix prefix) {
        Map<Integer, BgpRoute> byPeer = candidates.get(prefix);
        BgpRoute now = byPeer == null ? null : byPeer.values().stream().min(PREFERENCE).orElse(null);
        BgpRoute before = now == null ? best.remove(prefix) : best.put(prefix, now);
        if (now == null) {
            if (before != null) {
                listener.withdrawn(prefix);
            }
        } else if (!now.samePath(before)) {
            listener.changed(now);
        }
    }
}
