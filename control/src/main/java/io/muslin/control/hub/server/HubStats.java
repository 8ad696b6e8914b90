package io.muslin.control.hub.server;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

/** The hub's counters. Each refusal and each error has its own, so an operator sees why. */
public final class HubStats {
    final LongAdder sessionsOpened = new LongAdder();
    final LongAdder sessionsClosed = new LongAdder();
    /** TLS handshakes that succeeded, and how many of them resumed a session (OpenSSL's engine tells; the JDK's does not). */
    final LongAdder tlsHandshakes = new LongAdder();
    final LongAdder tlsResumed = new LongAdder();
    /** TLS handshakes that failed: no certificate, another CA's, expired, ... */
    final LongAdder refusedHandshake = new LongAdder();
    /** Sessions ended for a frame or message that breaks the protocol. */
    final LongAdder refusedMalformed = new LongAdder();
    /** Sessions ended for a Hello of another version or a name that is not the certificate's. */
    final LongAdder refusedHello = new LongAdder();
    /** Requests refused because the certificate does not name the lease's PublicIP. */
    final LongAdder denied = new LongAdder();
    /** Leases refused: a subnet that is not a SubnetLen subnet of the Network, an unknown backend, a TTL out of range, too many per address. */
    final LongAdder invalid = new LongAdder();
    /** Sessions ended for sending more than {@code HubSession.MAX_WAITING} messages without reading the replies. */
    final LongAdder floods = new LongAdder();
    /** Times a session's reading stopped until its replies were written and its store calls answered. */
    final LongAdder readsPaused = new LongAdder();
    /** Sessions ended because nothing arrived for three heartbeats. */
    final LongAdder heartbeatTimeouts = new LongAdder();
    /** Sessions ended because they did not read their changes fast enough. */
    final LongAdder slowSessions = new LongAdder();
    final LongAdder requests = new LongAdder();
    /** Requests answered "unavailable" because the store failed. */
    final LongAdder storeErrors = new LongAdder();
    final LongAdder changes = new LongAdder();
    /** Replies to writes that waited for the hub's view to reach the write (the store's watch lagged behind the store). */
    final LongAdder repliesHeldForView = new LongAdder();
    final LongAdder framesFannedOut = new LongAdder();
    final LongAdder resumed = new LongAdder();
    final LongAdder snapshotsSent = new LongAdder();
    /** Snapshot chunks encoded: once per chunk per change in it, however many sessions are sent it. */
    final LongAdder chunksEncoded = new LongAdder();

    /** name → value, in a fixed order, for logs and the admin output. */
    public Map<String, Long> values() {
        Map<String, Long> m = new LinkedHashMap<>();
        m.put("sessionsOpened", sessionsOpened.sum());
        m.put("sessionsClosed", sessionsClosed.sum());
        m.put("tlsHandshakes", tlsHandshakes.sum());
        m.put("tlsResumed", tlsResumed.sum());
        m.put("refusedHandshake", refusedHandshake.sum());
        m.put("refusedMalformed", refusedMalformed.sum());
        m.put("refusedHello", refusedHello.sum());
        m.put("denied", denied.sum());
        m.put("invalid", invalid.sum());
        m.put("floods", floods.sum());
        m.put("readsPaused", readsPaused.sum());
        m.put("heartbeatTimeouts", heartbeatTimeouts.sum());
        m.put("slowSessions", slowSessions.sum());
        m.put("requests", requests.sum());
        m.put("storeErrors", storeErrors.sum());
        m.put("changes", changes.sum());
        m.put("repliesHeldForView", repliesHeldForView.sum());
        m.put("framesFannedOut", framesFannedOut.sum());
        m.put("resumed", resumed.sum());
        m.put("snapshotsSent", snapshotsSent.sum());
        m.put("chunksEncoded", chunksEncoded.sum());
        return m;
    }

    public long get(String name) {
        Long v = values().get(name);
        if (v == null) {
            throw new IllegalArgumentException("no hub counter \"" + name + "\" (accepted: " + values().keySet() + ")");
        }
        return v;
    }
}
