package io.muslin.control.program;

import io.muslin.control.lease.Lease;
import io.muslin.dataplane.packet.Ipv4Address;
import io.muslin.dataplane.packet.Ipv4Prefix;
import io.muslin.dataplane.packet.MacAddress;
import io.muslin.dataplane.table.Tables;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns remote leases into route, ARP and FDB entries, exactly as flannel's VXLAN backend
 * programs {@code flannel.1}. For a lease with subnet S (network address N), VTEP MAC M and
 * public IP P:
 * <pre>
 *   ARP    N → M                    ip neigh add N lladdr M dev flannel.1 nud permanent
 *   FDB    M → P                    bridge fdb append M dev flannel.1 dst P
 *   route  S via N (onlink)         ip route add S via N dev flannel.1 onlink
 * </pre>
 * flannel makes these three kernel calls in that order (so the kernel never routes into a
 * missing neighbour) and deletes the first two again when a later one fails. Here all three
 * edits go into one {@link Tables#update} call and are published as one snapshot: the packet
 * path sees all of them or none, so there is no order to keep and nothing to roll back.
 *
 * <p>Deciding is kept here; {@link Tables} only stores. The rules:
 * <ul>
 *   <li>{@link #add} is idempotent. A changed lease for a programmed subnet replaces the old
 *       entries in the same update; the old MAC's FDB entry goes unless another peer still
 *       uses that MAC (no stale FDB entries, Calico #7281).</li>
 *   <li>A lease of another backend or another VNI is ignored with one WARN per subnet; if that
 *       subnet was programmed, its entries are removed (the node no longer speaks our VXLAN).</li>
 *   <li>A lease for our own subnet is ignored. A lease outside the network, or overlapping our
 *       subnet without being it, is rejected with IllegalArgumentException.</li>
 *   <li>{@link #remove} is idempotent and removes all three entries.</li>
 * </ul>
 *
 * <p>Thread safety: the methods are synchronized; in practice one control thread calls
 * {@link #add}/{@link #remove} and anyone may call {@link #peers}. It is the only writer of the
 * route, ARP and FDB entries in its {@link Tables}.
 */
public final class PeerProgrammer {
    private static final Logger LOG = LoggerFactory.getLogger(PeerProgrammer.class);

    /** What {@link #add} did. */
    public enum Result {
        /** The subnet was new: its three entries were installed. */
        ADDED,
        /** The subnet had a different lease: its entries were replaced. */
        REPLACED,
        /** The same lease was already programmed: nothing changed. */
        UNCHANGED,
        /** Not ours (own subnet, other backend, other VNI): nothing installed. */
        IGNORED
    }

    private final Tables tables;
    private final Ipv4Prefix network;
    private final Ipv4Prefix ownSubnet;
    private final int vni;
    private final Logger log;
    private final Map<Ipv4Prefix, Lease> programmed = new HashMap<>();
    private final Set<Ipv4Prefix> warned = new HashSet<>();

    /**
     * @param tables    the tables to program (this object becomes their only writer)
     * @param network   the cluster network every lease must be inside
     * @param ownSubnet this node's subnet (its own lease is ignored)
     * @param vni       this node's VNI (leases with another VNI are ignored)
     */
    public PeerProgrammer(Tables tables, Ipv4Prefix network, Ipv4Prefix ownSubnet, int vni) {
        this(tables, network, ownSubnet, vni, LOG);
    }

    PeerProgrammer(Tables tables, Ipv4Prefix network, Ipv4Prefix ownSubnet, int vni, Logger log) {
        this.tables = Objects.requireNonNull(tables, "tables");
        this.network = Objects.requireNonNull(network, "network");
        this.ownSubnet = Objects.requireNonNull(ownSubnet, "ownSubnet");
        this.vni = vni;
        this.log = log;
    }

    /** Programs a remote lease (see the class comment for the rules). */
    public synchronized Result add(Lease lease) {
        Ipv4Prefix subnet = lease.subnet();
        if (!network.contains(subnet)) {
            throw new IllegalArgumentException("lease for " + subnet + " is outside the network " + network);
        }
        if (subnet.equals(ownSubnet)) {
            log.debug("ignoring the lease for our own subnet {}", subnet);
            return Result.IGNORED;
        }
        if (subnet.contains(ownSubnet) || ownSubnet.contains(subnet)) {
            throw new IllegalArgumentException("lease for " + subnet + " overlaps this node's subnet " + ownSubnet);
        }
        if (!lease.isVxlan() || lease.vni() != vni) {
            if (warned.add(subnet)) {
                log.warn("ignoring lease for {} ({}): {}", subnet, Ipv4Address.format(lease.publicIp()),
                    lease.isVxlan() ? "VNI " + lease.vni() + " differs from ours (" + vni + ")"
                        : "backend \"" + lease.backendType() + "\" is not \"" + Lease.VXLAN + "\"");
            }
            remove(subnet, false);
            return Result.IGNORED;
        }
        warned.remove(subnet);
        Lease old = programmed.get(subnet);
        if (lease.equals(old)) {
            return Result.UNCHANGED;
        }
        Lease sharing = otherUserOf(lease.vtepMac(), subnet);
        if (sharing != null && sharing.publicIp() != lease.publicIp()) {
            log.warn("VTEP MAC {} of {} moves from {} ({}) to {}", MacAddress.format(lease.vtepMac()), subnet,
                Ipv4Address.format(sharing.publicIp()), sharing.subnet(), Ipv4Address.format(lease.publicIp()));
        }
        int nextHop = subnet.address();
        tables.update(batch -> {
            if (old != null && old.vtepMac() != lease.vtepMac()) {
                releaseFdb(batch, old.vtepMac(), subnet);
            }
            batch.putArp(nextHop, lease.vtepMac())
                .putFdb(lease.vtepMac(), lease.publicIp())
                .putRoute(subnet, nextHop);
        });
        programmed.put(subnet, lease);
        if (old == null) {
            log.debug("added peer {}", lease);
            return Result.ADDED;
        }
        log.info("peer {} changed: {} -> {}", subnet, old, lease);
        return Result.REPLACED;
    }

    /** Removes the route, ARP and FDB entries of a peer's subnet; false when it was not programmed. */
    public synchronized boolean remove(Ipv4Prefix subnet) {
        return remove(subnet, true);
    }

    /** The programmed leases, sorted by subnet. */
    public synchronized List<Lease> peers() {
        List<Lease> out = new ArrayList<>(programmed.values());
        out.sort(Comparator.comparingLong((Lease l) -> Integer.toUnsignedLong(l.subnet().address()))
            .thenComparingInt(l -> l.subnet().length()));
        return out;
    }

    private boolean remove(Ipv4Prefix subnet, boolean forgetWarning) {
        if (forgetWarning) {
            warned.remove(subnet);
        }
        Lease old = programmed.remove(subnet);
        if (old == null) {
            return false;
        }
        tables.update(batch -> {
            batch.removeRoute(subnet).removeArp(subnet.address());
            releaseFdb(batch, old.vtepMac(), subnet);
        });
        log.debug("removed peer {}", old);
        return true;
    }

    /** Drops {@code mac}'s FDB entry, or points it back at the other peer still using it. */
    private void releaseFdb(Tables.Batch batch, long mac, Ipv4Prefix leaving) {
        Lease other = otherUserOf(mac, leaving);
        if (other == null) {
            batch.removeFdb(mac);
        } else {
            batch.putFdb(mac, other.publicIp());
        }
    }

    private Lease otherUserOf(long mac, Ipv4Prefix except) {
        for (Lease l : programmed.values()) {
            if (l.vtepMac() == mac && !l.subnet().equals(except)) {
                return l;
            }
        }
        return null;
    }
}
