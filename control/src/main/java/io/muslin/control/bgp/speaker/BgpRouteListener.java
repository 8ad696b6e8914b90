package io.muslin.control.bgp.speaker;

import io.muslin.dataplane.packet.Ipv4Prefix;

/**
 * Told when the speaker's best route for a prefix changes. Called on the speaker's event loop,
 * one call at a time, in order: an implementation must not block (hand the work to a thread of
 * its own, as {@link LeaseFeed} does).
 */
public interface BgpRouteListener {
    /** {@code best} is now the route for its prefix (new, or a new next hop or MAC). */
    void changed(BgpRoute best);

    /** No peer has a route for {@code prefix} any more. */
    void withdrawn(Ipv4Prefix prefix);

    BgpRouteListener NONE = new BgpRouteListener() {
        @Override
        public void changed(BgpRoute best) {
        }

        @Override
        public void withdrawn(Ipv4Prefix prefix) {
        }
    };
}
