package io.muslin.dataplane.path;

import io.muslin.dataplane.packet.MacAddress;
import io.muslin.dataplane.table.Family;
import io.muslin.dataplane.table.NextHop;
import io.muslin.dataplane.table.Tables;
import io.muslin.dataplane.table.Underlay;

/**
 * The inbound paths' sender check: who may send us an inner packet with a given source.
 *
 * <p>The outer source must be a peer node (the PublicIP or PublicIPv6 of a programmed lease),
 * else the packet is {@code dropUnknownSender}. In {@link Mode#STRICT} (the default) the inner source must also
 * lie in a subnet that this very peer leases: the route for the inner source must lead back to
 * the outer source (for VXLAN through ARP and FDB, as the outbound path resolves it; for
 * IP-in-IP and direct routes its next hop is the PublicIP itself). Both checks take the
 * families as parameters: an inner IPv6 source is looked up in the IPv6 routes and neighbors,
 * which lead to the peer's PublicIPv6 when it arrived over an IPv6 underlay. A peer that sends for an
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
    private final Family outer;
    private Tables.Snapshot lastTables;
    private Family lastFamily;
    private long lastInnerHi;
    private long lastInnerLo;
    private long lastOuterHi;
    private long lastOuterLo;
    private Counter lastVerdict;

    /** For packets that arrive over an IPv4 underlay. */
    public SourceCheck(Mode mode, boolean viaVtep) {
        this(mode, viaVtep, Family.IPV4);
    }

    /**
     * @param viaVtep the routes' next hops are VTEP addresses resolved through the neighbor
     *                tables and the FDB (VXLAN); else they are the peers' PublicIPs (IP-in-IP)
     * @param outer   the underlay family the checked packets arrive over (outer sources are of it)
     */
    public SourceCheck(Mode mode, boolean viaVtep, Family outer) {
        this.mode = mode;
        this.viaVtep = viaVtep;
        this.outer = outer;
    }

    public Mode mode() {
        return mode;
    }

    /** {@link #check(Tables.Snapshot, Family, long, long, long, long)} of an inner IPv4 source and an IPv4 outer source. */
    public Counter check(Tables.Snapshot tables, int innerSource, int outerSource) {
        return check(tables, Family.IPV4, Family.ipv4Key(innerSource), 0, Family.ipv4Key(outerSource), 0);
    }

    /**
     * The drop reason for an inner packet of {@code inner} family from ({@code innerHi},
     * {@code innerLo}) that arrived from the outer source ({@code outerHi}, {@code outerLo}),
     * or null when it may be delivered. Addresses in {@link Family}'s key layout.
     */
    public Counter check(Tables.Snapshot tables, Family inner, long innerHi, long innerLo, long outerHi, long outerLo) {
        if (tables == lastTables && inner == lastFamily && innerHi == lastInnerHi && innerLo == lastInnerLo
            && outerHi == lastOuterHi && outerLo == lastOuterLo) {
            return lastVerdict;
        }
        Counter verdict;
        if (!tables.isPeer(outer, outerHi, outerLo)) {
            verdict = Counter.DROP_UNKNOWN_SENDER;
        } else if (mode == Mode.OFF) {
            verdict = null;
        } else {
            Underlay owner = ownerOf(tables, inner, innerHi, innerLo);
            verdict = owner != null && owner.is(outer, outerHi, outerLo) ? null : Counter.DROP_SPOOFED_SOURCE;
        }
        lastTables = tables;
        lastFamily = inner;
        lastInnerHi = innerHi;
        lastInnerLo = innerLo;
        lastOuterHi = outerHi;
        lastOuterLo = outerLo;
        lastVerdict = verdict;
        return verdict;
    }

    /** The verdict on an IPv4 outer source alone. */
    public Counter checkSender(Tables.Snapshot tables, int outerSource) {
        return checkSender(tables, Family.ipv4Key(outerSource), 0);
    }

    /** The verdict on an outer source alone (ARP): null when it is a peer. */
    public Counter checkSender(Tables.Snapshot tables, long outerHi, long outerLo) {
        return tables.isPeer(outer, outerHi, outerLo) ? null : Counter.DROP_UNKNOWN_SENDER;
    }

    /** The underlay address of the peer whose subnet holds the address, or null. */
    private Underlay ownerOf(Tables.Snapshot tables, Family family, long hi, long lo) {
        NextHop via = tables.lookupNextHop(family, hi, lo);
        if (via == null) {
            return null;
        }
        if (via.direct() || !viaVtep) {
            return via;
        }
        long mac = tables.lookupNeighbor(via);
        return mac == MacAddress.NONE ? null : tables.lookupFdb(mac);
    }
}
