package io.muslin.control.bgp.speaker;

/** What a speaker counts (shown by {@code muslin bgp}); one writer, the speaker's event loop. */
public enum BgpCounter {
    /** Sessions that reached Established. */
    SESSIONS_ESTABLISHED("sessionsEstablished"),
    /** NOTIFICATIONs we sent (each ended a connection). */
    NOTIFICATIONS_SENT("notificationsSent"),
    /** NOTIFICATIONs a peer sent us. */
    NOTIFICATIONS_RECEIVED("notificationsReceived"),
    /** Sessions ended because the peer fell silent for the hold time. */
    HOLD_TIMER_EXPIRED("holdTimerExpired"),
    /** Connections from addresses that are not configured peers, refused. */
    CONNECTIONS_REJECTED("connectionsRejected"),
    /** Connections closed by collision resolution (RFC 4271 §6.8). */
    COLLISIONS("collisions"),
    /** UPDATEs whose announcements were treated as withdrawals (RFC 7606). */
    TREAT_AS_WITHDRAW("updatesTreatedAsWithdraw"),
    /** Attributes discarded as RFC 7606 says. */
    ATTRIBUTES_DISCARDED("attributesDiscarded"),
    /** Announced prefixes outside the cluster network: ignored. */
    ROUTES_OUTSIDE_NETWORK("routesOutsideNetwork"),
    /** Announced prefixes of a family muslin does not route yet (IPv6): ignored. */
    ROUTES_OTHER_FAMILY("routesOtherFamily"),
    /** Announced prefixes that loop back to us (our own next hop, originator id or AS): ignored. */
    ROUTES_LOOPED("routesLooped"),
    /** Announced prefixes whose next hop cannot be used (0.0.0.0, multicast): treated as withdrawn. */
    ROUTES_BAD_NEXT_HOP("routesBadNextHop"),
    /** Stale routes removed when a peer's graceful restart time ran out or its End-of-RIB came. */
    STALE_ROUTES_REMOVED("staleRoutesRemoved");

    private final String counterName;

    BgpCounter(String counterName) {
        this.counterName = counterName;
    }

    /** The name {@code muslin bgp} prints. */
    public String counterName() {
        return counterName;
    }
}
