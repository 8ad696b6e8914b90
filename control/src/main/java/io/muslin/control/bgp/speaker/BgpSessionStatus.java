package io.muslin.control.bgp.speaker;

import java.time.Instant;

/**
 * One peer's session as {@code muslin bgp} shows it (like {@code birdc show protocols}).
 *
 * @param peer      the neighbor
 * @param state     the FSM state of its best connection (RFC 4271 §8.2.2)
 * @param since     when it entered that state
 * @param received  prefixes held from this peer (its Adj-RIB-In, stale ones included)
 * @param sent      prefixes announced to it on the current session
 * @param lastError what ended the last session or connection attempt, or null
 * @param stale     how many of {@code received} are kept from an ended session (graceful restart)
 */
public record BgpSessionStatus(BgpPeerConfig peer, BgpState state, Instant since, int received, int sent,
                               String lastError, int stale) {
}
