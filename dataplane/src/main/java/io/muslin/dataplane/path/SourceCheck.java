package io.muslin.dataplane.path;

import io.muslin.dataplane.packet.MacAddress;
import io.muslin.dataplane.table.FdbEntry;
import io.muslin.dataplane.table.NextHop;
import io.muslin.dataplane.table.Tables;

/**
 * The inbound paths' sender check: who may send us an inner packet with a given source.
 *
 * <p>The outer source must be a peer node (the PublicIP of a programmed lease), else the packet
 * is {@code dropUnknownSender}. In {@link Mode#STRICT} (the default) the inner source must also
 * lie in a subnet that this very peer leases: the route for the inner source must lead back to
 * the outer source (for VXLAN through ARP and FDB, as the outbound path resolves it; for
 * IP-in-IP and direct routes its next hop is the PublicIP itself). A peer that sends for an
 * address outside its own subnets is {@code dropSpoofedSource}. That is WireGuard's rule
 * (cryptokey routing: a peer may only send from its allowed IPs), here without keys: the outer
 * source address stands in for the key, so it stops a node from speaking for another node's
 * pods, and stops packets from strangers; it does not stop an attacker who can forge a peer's
 * underlay address.
 *
 * <p>{@link Mode#OFF} skips the inner check (the outer source must still be a peer), for nodes
 * that route prefixes other than their own subnet into the overlay (a gateway node with
 * external networks behind it).
 *
 * <p>One instance per inbound path (single-threaded): it remembers the last verdict for the
 * snapshot it was made against, so a batch of datagrams of one flow costs one lookup. No
 * allocation, no lock.
 */
public final class SourceCheck {
    /** How much of the sender the inbound paths check. */
    public enum Mode {
        /** The inner source must lie in a subnet of the peer that sent the packet. */
        STRICT,
        /** Only the outer source is checked: it must be a peer. */
        OFF
    }

    private final Mode mode;
    private final boolean viaVtep;
    private Tables.Snapshot lastTables;
    private int lastInner;
    private int lastOuter;
    private Counter lastVerdict;

    /**
     * @param viaVtep the routes' next hops are VTEP addresses resolved through ARP and FDB
     *                (VXLAN); else they are the peers' PublicIPs (IP-in-IP)
     */
    public SourceCheck(Mode mode, boolean viaVtep) {
        this.mode = mode;
        this.viaVtep = viaVtep;
    }

    public Mode mode() {
        return mode;
    }

    /**
     * The drop reason for an inner IPv4 packet from {@code innerSource} that arrived from
     * {@code outerSource}, or null when it may be delivered.
     */
    public Counter check(Tables.Snapshot tables, int innerSource, int outerSource) {
        if (tables == lastTables && innerSource == lastInner && outerSource == lastOuter) {
            return lastVerdict;
        }
        Counter verdict;
        if (!tables.isPeer(outerSource)) {
            verdict = Counter.DROP_UNKNOWN_SENDER;
        } else if (mode == Mode.OFF || ownerOf(tables, innerSource) == outerSource) {
            verdict = null;
        } else {
            verdict = Counter.DROP_SPOOFED_SOURCE;
        }
        lastTables = tables;
        lastInner = innerSource;
        lastOuter = outerSource;
        lastVerdict = verdict;
        return verdict;
    }

    /** The verdict on an outer source alone (ARP, inner IPv6): null when it is a peer. */
    public Counter checkSender(Tables.Snapshot tables, int outerSource) {
        return tables.isPeer(outerSource) ? null : Counter.DROP_UNKNOWN_SENDER;
    }

    /** The underlay address of the peer whose subnet holds {@code address}, or 0. */
    private int ownerOf(Tables.Snapshot tables, int address) {
        NextHop via = tables.lookupNextHop(address);
        if (via == null) {
            return 0;
        }
        if (via.direct() || !viaVtep) {
            return via.address();
        }
        long mac = tables.lookupArp(via.address());
        FdbEntry vtep = mac == MacAddress.NONE ? null : tables.lookupFdb(mac);
        return vtep == null ? 0 : vtep.underlay();
    }
}
