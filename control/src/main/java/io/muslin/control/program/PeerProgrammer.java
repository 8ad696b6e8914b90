package io.muslin.control.program;

import io.muslin.control.lease.Lease;
import io.muslin.dataplane.packet.Ipv4Address;
import io.muslin.dataplane.packet.Ipv4Prefix;
import io.muslin.dataplane.packet.Ipv6Address;
import io.muslin.dataplane.packet.Ipv6Prefix;
import io.muslin.dataplane.packet.MacAddress;
import io.muslin.dataplane.table.Family;
import io.muslin.dataplane.table.Route6;
import io.muslin.dataplane.table.Route;
import io.muslin.dataplane.table.Tables;
import java.io.IOException;
import java.time.Instant;
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
 * Turns remote leases into route, ARP and FDB entries and kernel routes, exactly as flannel's
 * backends program the kernel. For a lease with subnet S (network address N), public IP P and,
 * for VXLAN, VTEP MAC M:
 * <pre>
 *   vxlan    ARP    N → M             ip neigh add N lladdr M dev flannel.1 nud permanent
 *            FDB    M → P             bridge fdb append M dev flannel.1 dst P
 *            route  S via N (onlink)  ip route add S via N dev flannel.1 onlink
 *   ipip     route  S via P (onlink)  ip route add S via P dev flannel.ipip onlink
 *   direct   kernel S via P           ip route add S via P dev eth0       (host-gw; DirectRouting)
 *            route  S via P, DIRECT   (in our tables only for listing and sender checks)
 *   all      peer   P                 (our tables only: the outer sources the inbound paths accept)
 * </pre>
 * A dual-stack lease (IPv6 subnet S6 with network address N6, PublicIPv6 P6, IPv6 VTEP MAC M6)
 * on a node with IPv6 gets the same three entries again in the IPv6 tables, as flannel programs
 * {@code flannel-v6.1}: neighbor {@code N6 → M6}, FDB {@code M6 → P6}, route {@code S6 via N6
 * onlink}, and the peer {@code P6}; one code path, the family a parameter of each edit. Only
 * VXLAN carries IPv6 (IP-in-IP is IPv4 in IPv4); a peer routed directly (host-gw,
 * DirectRouting) gets no IPv6 entries yet: IPv6 kernel routes are not programmed (one WARN).
 * flannel makes the VXLAN kernel calls in that order (so the kernel never routes into a missing
 * neighbour) and deletes the first two again when a later one fails. Here the table edits of a
 * lease go into one {@link Tables#update} call and are published as one snapshot: the packet
 * path sees all of them or none.
 *
 * <p><b>Direct or encapsulated.</b> host-gw routes every peer directly and refuses (logs an
 * error once, installs nothing) a peer whose PublicIP the kernel does not reach on-link.
 * vxlan and ipip with {@code DirectRouting} (Calico calls it CrossSubnet) route a peer
 * directly when the kernel reaches its PublicIP on-link, and encapsulate otherwise; the choice
 * is made again whenever the peer's lease changes. Switching keeps traffic flowing: to direct,
 * the kernel route goes in before the tunnel entries go; to encapsulated, the tunnel entries go
 * in before the kernel route goes.
 *
 * <p>The rules:
 * <ul>
 *   <li>{@link #add} is idempotent. A changed lease for a programmed subnet replaces the old
 *       entries; the old MAC's FDB entry goes unless another peer still uses that MAC (no stale
 *       FDB entries, Calico #7281).</li>
 *   <li>A lease of another backend (flannel's rule) or, for VXLAN, another VNI is ignored with
 *       one WARN per subnet; if that subnet was programmed, its entries are removed.</li>
 *   <li>A lease for our own subnet is ignored. A lease outside the network, or overlapping our
 *       subnet without being it, is rejected with IllegalArgumentException.</li>
 *   <li>A VXLAN lease without a VTEP MAC ({@link MacAddress#NONE}: a BGP route that carried none)
 *       can only be routed directly; otherwise it is refused with one ERROR.</li>
 *   <li>{@link #remove} is idempotent and removes everything the lease installed.</li>
 * </ul>
 *
 * <p>Thread safety: the methods are synchronized; in practice one control thread calls
 * {@link #add}/{@link #remove} and anyone may call {@link #peers}. It is the only writer of the
 * route, ARP and FDB entries in its {@link Tables} and of the kernel routes it adds.
 */
public final class PeerProgrammer {
    private static final Logger LOG = LoggerFactory.getLogger(PeerProgrammer.class);

    /** What {@link #add} did. */
    public enum Result {
        /** The subnet was new: its entries were installed. */
        ADDED,
        /** The subnet had a different lease: its entries were replaced. */
        REPLACED,
        /** The same lease was already programmed: nothing changed. */
        UNCHANGED,
        /** Not ours (own subnet, other backend, other VNI): nothing installed. */
        IGNORED,
        /** Ours, but it cannot be routed (host-gw and not on-link, VXLAN without a MAC and not on-link, or the kernel refused): nothing installed. */
        REFUSED
    }

    /**
     * This node's backend.
     *
     * @param type          {@link Lease#VXLAN}, {@link Lease#IPIP} or {@link Lease#HOST_GW}
     * @param vni           the VNI (VXLAN; leases with another are ignored), else {@link Lease#NO_VNI}
     * @param directRouting route on-link peers directly (VXLAN and IP-in-IP)
     */
    public record Backend(String type, int vni, boolean directRouting) {
        public Backend {
            if (!List.of(Lease.VXLAN, Lease.IPIP, Lease.HOST_GW).contains(type)) {
                throw new IllegalArgumentException("backend \"" + type + "\" is not one of vxlan, ipip, host-gw");
            }
        }

        public static Backend vxlan(int vni) {
            return new Backend(Lease.VXLAN, vni, false);
        }

        boolean hostGw() {
            return type.equals(Lease.HOST_GW);
        }
    }

    /**
     * A programmed lease, how it is routed, and since when it has been as it is.
     *
     * @param lease  the lease
     * @param direct routed by a kernel route, without encapsulation
     * @param since  when this lease (or this version of it) was programmed
     */
    public record Peer(Lease lease, boolean direct, Instant since) {
    }

    private final Tables tables;
    private final Ipv4Prefix network;
    private final Ipv4Prefix ownSubnet;
    private final Backend backend;
    private final KernelRoutes kernel;
    private final Logger log;
    private final Map<Ipv4Prefix, Peer> programmed = new HashMap<>();
    /** The subnets of {@link #programmed} by PublicIP, and (encapsulated VXLAN only) by VTEP MAC. */
    private final Map<Integer, Set<Ipv4Prefix>> byPublicIp = new HashMap<>();
    private final Map<Long, Set<Ipv4Prefix>> byVtepMac = new HashMap<>();
    private final Map<Ipv6Address, Set<Ipv4Prefix>> byPublicIpv6 = new HashMap<>();
    /** The IPv6 network and this node's IPv6 subnet; null when the node has no IPv6. */
    private final Ipv6Prefix network6;
    private final Ipv6Prefix ownSubnet6;
    private final Set<Ipv4Prefix> warned = new HashSet<>();

    /** A VXLAN programmer without direct routing (see the main constructor). */
    public PeerProgrammer(Tables tables, Ipv4Prefix network, Ipv4Prefix ownSubnet, int vni) {
        this(tables, network, ownSubnet, Backend.vxlan(vni), KernelRoutes.NONE, LOG);
    }

    /**
     * @param tables    the tables to program (this object becomes their only writer)
     * @param network   the cluster network every lease must be inside
     * @param ownSubnet this node's subnet (its own lease is ignored)
     * @param backend   this node's backend (leases of other backends are ignored)
     * @param kernel    where direct routes go (host-gw, DirectRouting)
     */
    public PeerProgrammer(Tables tables, Ipv4Prefix network, Ipv4Prefix ownSubnet, Backend backend,
                          KernelRoutes kernel) {
        this(tables, network, ownSubnet, backend, kernel, null, null, LOG);
    }

    /**
     * A programmer for a dual-stack node.
     *
     * @param network6   the IPv6 network every lease's IPv6 subnet must be inside, or null (no IPv6)
     * @param ownSubnet6 this node's IPv6 subnet, or null (no IPv6)
     */
    public PeerProgrammer(Tables tables, Ipv4Prefix network, Ipv4Prefix ownSubnet, Backend backend,
                          KernelRoutes kernel, Ipv6Prefix network6, Ipv6Prefix ownSubnet6) {
        this(tables, network, ownSubnet, backend, kernel, network6, ownSubnet6, LOG);
    }

    PeerProgrammer(Tables tables, Ipv4Prefix network, Ipv4Prefix ownSubnet, Backend backend, KernelRoutes kernel,
                   Logger log) {
        this(tables, network, ownSubnet, backend, kernel, null, null, log);
    }

    PeerProgrammer(Tables tables, Ipv4Prefix network, Ipv4Prefix ownSubnet, Backend backend, KernelRoutes kernel,
                   Ipv6Prefix network6, Ipv6Prefix ownSubnet6, Logger log) {
        if ((network6 == null) != (ownSubnet6 == null)) {
            throw new IllegalArgumentException("IPv6 network and subnet go together: " + network6 + ", " + ownSubnet6);
        }
        if (network6 != null && !network6.contains(ownSubnet6)) {
            throw new IllegalArgumentException("IPv6 subnet " + ownSubnet6 + " is outside the IPv6 network " + network6);
        }
        this.network6 = network6;
        this.ownSubnet6 = ownSubnet6;
        this.tables = Objects.requireNonNull(tables, "tables");
        this.network = Objects.requireNonNull(network, "network");
        this.ownSubnet = Objects.requireNonNull(ownSubnet, "ownSubnet");
        this.backend = Objects.requireNonNull(backend, "backend");
        this.kernel = Objects.requireNonNull(kernel, "kernel");
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
        if (network6 != null && lease.hasIpv6()) {
            if (!network6.contains(lease.ipv6Subnet())) {
                throw new IllegalArgumentException("lease for " + subnet + " has the IPv6 subnet " + lease.ipv6Subnet()
                    + ", outside the IPv6 network " + network6);
            }
            if (lease.ipv6Subnet().overlaps(ownSubnet6)) {
                throw new IllegalArgumentException("lease for " + subnet + " has the IPv6 subnet " + lease.ipv6Subnet()
                    + ", which overlaps this node's " + ownSubnet6);
            }
        }
        String foreign = foreign(lease);
        if (foreign != null) {
            if (warned.add(subnet)) {
                log.warn("ignoring lease for {} ({}): {}", subnet, Ipv4Address.format(lease.publicIp()), foreign);
            }
            remove(subnet, false);
            return Result.IGNORED;
        }
        Peer old = programmed.get(subnet);
        if (old != null && lease.equals(old.lease)) {
            warned.remove(subnet);
            return Result.UNCHANGED;
        }
        Boolean direct = decideDirect(lease);
        if (direct == null) {
            remove(subnet, false);
            return Result.REFUSED;
        }
        if (!direct && lease.isVxlan() && lease.vtepMac() == MacAddress.NONE) {
            if (warned.add(subnet)) {
                log.error("refusing VXLAN peer {} ({}): no VTEP MAC to encapsulate to (a BGP route without a Router's MAC "
                    + "extended community can only be routed directly, to an on-link next hop)", subnet,
                    Ipv4Address.format(lease.publicIp()));
            }
            remove(subnet, false);
            return Result.REFUSED;
        }
        warned.remove(subnet);
        Peer peer = new Peer(lease, direct, Instant.now());
        if (network6 != null && lease.hasIpv6() && !programs6(peer) && warned.add(subnet)) {
            log.warn("peer {} ({}): its IPv6 subnet {} is not programmed: {}", subnet, Ipv4Address.format(lease.publicIp()),
                lease.ipv6Subnet(), direct ? "IPv6 is not routed directly yet (host-gw, DirectRouting)"
                    : "only VXLAN carries IPv6");
        }
        if (!direct && lease.isVxlan()) {
            Lease sharing = otherUserOf(lease.vtepMac(), subnet);
            if (sharing != null && sharing.publicIp() != lease.publicIp()) {
                log.warn("VTEP MAC {} of {} moves from {} ({}) to {}", MacAddress.format(lease.vtepMac()), subnet,
                    Ipv4Address.format(sharing.publicIp()), sharing.subnet(), Ipv4Address.format(lease.publicIp()));
            }
        }
        try {
            install(old, peer);
        } catch (IOException e) {
            log.error("cannot route peer {} ({}) directly: {}", subnet, Ipv4Address.format(lease.publicIp()),
                e.getMessage());
            return Result.REFUSED;
        }
        if (old != null) {
            untrack(old);
        }
        programmed.put(subnet, peer);
        track(peer);
        if (old == null) {
            log.debug("added peer {}{}", lease, direct ? " (direct)" : "");
            return Result.ADDED;
        }
        log.info("peer {} changed: {} -> {}{}", subnet, old.lease, lease, direct ? " (direct)" : "");
        return Result.REPLACED;
    }

    /** Why a lease is not ours, or null when it is. */
    private String foreign(Lease lease) {
        if (!lease.backendType().equals(backend.type())) {
            return "backend \"" + lease.backendType() + "\" is not \"" + backend.type() + "\"";
        }
        if (lease.isVxlan() && lease.vni() != backend.vni()) {
            return "VNI " + lease.vni() + " differs from ours (" + backend.vni() + ")";
        }
        return null;
    }

    /** True: route directly; false: encapsulate; null: refused (logged once). */
    private Boolean decideDirect(Lease lease) {
        if (!backend.hostGw() && !backend.directRouting()) {
            return false;
        }
        KernelRoutes.Reach reach;
        try {
            reach = kernel.reach(lease.publicIp());
        } catch (IOException e) {
            reach = new KernelRoutes.Reach(false, e.getMessage());
        }
        if (reach.onLink()) {
            return true;
        }
        if (!backend.hostGw()) {
            return false;
        }
        if (warned.add(lease.subnet())) {
            log.error("refusing host-gw peer {}: its PublicIP {} is not on-link (the kernel routes it {}); host-gw "
                + "needs every node on one layer-2 network (use vxlan or ipip with \"DirectRouting\": true across "
                + "subnets)", lease.subnet(), Ipv4Address.format(lease.publicIp()), reach.how());
        }
        return null;
    }

    /**
     * Replaces {@code old} (null: none) by {@code peer}: kernel route before table entries when
     * going direct, after them when leaving direct, so packets always have a way.
     */
    private void install(Peer old, Peer peer) throws IOException {
        Lease lease = peer.lease;
        Ipv4Prefix subnet = lease.subnet();
        if (peer.direct) {
            kernel.add(subnet, lease.publicIp());
        }
        tables.update(batch -> {
            batch.putPeer(lease.publicIp());
            if (old != null && old.lease.publicIp() != lease.publicIp()) {
                releasePeer(batch, old.lease.publicIp(), subnet);
            }
            if (old != null && !old.direct && old.lease.isVxlan()) {
                batch.removeArp(subnet.address());
                if (peer.direct || old.lease.vtepMac() != lease.vtepMac()) {
                    releaseFdb(batch, old.lease.vtepMac(), subnet);
                }
            }
            if (old != null && programs6(old) && !sameIpv6(old.lease, peer)) {
                unprogram6(batch, old.lease, subnet);
            }
            if (programs6(peer)) {
                program6(batch, lease);
            }
            if (peer.direct) {
                batch.putRoute(subnet, lease.publicIp(), Route.DIRECT);
            } else if (lease.isVxlan()) {
                int nextHop = subnet.address();
                batch.putArp(nextHop, lease.vtepMac())
                    .putFdb(lease.vtepMac(), lease.publicIp())
                    .putRoute(subnet, nextHop);
            } else {
                batch.putRoute(subnet, lease.publicIp(), Route.ENCAP);
            }
        });
        if (old != null && old.direct && (!peer.direct || old.lease.publicIp() != lease.publicIp())) {
            removeKernelRoute(old);
        }
    }

    /** Removes everything a peer's subnet installed; false when it was not programmed. */
    public synchronized boolean remove(Ipv4Prefix subnet) {
        return remove(subnet, true);
    }

    /** Removes every programmed peer (at shutdown: the kernel routes go with them). */
    public synchronized void removeAll() {
        for (Ipv4Prefix subnet : List.copyOf(programmed.keySet())) {
            remove(subnet, true);
        }
    }

    /** The programmed leases, sorted by subnet. */
    public synchronized List<Lease> peers() {
        List<Lease> out = new ArrayList<>(programmed.size());
        for (Peer p : programmed.values()) {
            out.add(p.lease);
        }
        out.sort(Comparator.comparingLong((Lease l) -> Integer.toUnsignedLong(l.subnet().address()))
            .thenComparingInt(l -> l.subnet().length()));
        return out;
    }

    /** The programmed peers with their routing and age, sorted by subnet. */
    public synchronized List<Peer> programmed() {
        List<Peer> out = new ArrayList<>(programmed.values());
        out.sort(Comparator.comparingLong((Peer p) -> Integer.toUnsignedLong(p.lease().subnet().address())));
        return out;
    }

    /** True when the subnet is programmed and routed without encapsulation. */
    public synchronized boolean isDirect(Ipv4Prefix subnet) {
        Peer p = programmed.get(subnet);
        return p != null && p.direct;
    }

    private boolean remove(Ipv4Prefix subnet, boolean forgetWarning) {
        if (forgetWarning) {
            warned.remove(subnet);
        }
        Peer old = programmed.remove(subnet);
        if (old == null) {
            return false;
        }
        untrack(old);
        tables.update(batch -> {
            batch.removeRoute(subnet);
            releasePeer(batch, old.lease.publicIp(), subnet);
            if (programs6(old)) {
                unprogram6(batch, old.lease, subnet);
            }
            if (!old.direct && old.lease.isVxlan()) {
                batch.removeArp(subnet.address());
                releaseFdb(batch, old.lease.vtepMac(), subnet);
            }
        });
        if (old.direct) {
            removeKernelRoute(old);
        }
        log.debug("removed peer {}", old.lease);
        return true;
    }

    /** True when this peer's IPv6 half is (to be) in the IPv6 tables. */
    private boolean programs6(Peer p) {
        return network6 != null && p.lease.hasIpv6() && p.lease.isVxlan() && !p.direct
            && p.lease.vtepMac6() != MacAddress.NONE;
    }

    /** True when {@code peer} programs exactly {@code old}'s IPv6 entries. */
    private boolean sameIpv6(Lease old, Peer peer) {
        return programs6(peer) && old.ipv6Subnet().equals(peer.lease.ipv6Subnet())
            && old.publicIpv6().equals(peer.lease.publicIpv6()) && old.vtepMac6() == peer.lease.vtepMac6();
    }

    /** flannel-v6.1's three entries and the IPv6 peer: neighbor N6 → M6, FDB M6 → P6, route S6 via N6. */
    private static void program6(Tables.Batch batch, Lease lease) {
        Ipv6Prefix s6 = lease.ipv6Subnet();
        Ipv6Address p6 = lease.publicIpv6();
        batch.putPeer(Family.IPV6, p6.hi(), p6.lo())
            .putNeighbor6(s6.hi(), s6.lo(), lease.vtepMac6())
            .putFdb6(lease.vtepMac6(), p6.hi(), p6.lo())
            .putRoute6(new Route6(s6.hi(), s6.lo(), s6.length(), s6.hi(), s6.lo(), Route.ENCAP));
    }

    /** Removes what {@link #program6} put in for {@code old} (the peer and FDB entry unless another lease still uses them). */
    private void unprogram6(Tables.Batch batch, Lease old, Ipv4Prefix leaving) {
        Ipv6Prefix s6 = old.ipv6Subnet();
        batch.removeRoute6(s6.hi(), s6.lo(), s6.length()).removeNeighbor6(s6.hi(), s6.lo());
        releaseFdb(batch, old.vtepMac6(), leaving);
        Ipv6Address p6 = old.publicIpv6();
        if (firstOther(byPublicIpv6.get(p6), leaving) == null) {
            batch.removePeer(Family.IPV6, p6.hi(), p6.lo());
        }
    }

    private void removeKernelRoute(Peer old) {
        try {
            kernel.remove(old.lease.subnet(), old.lease.publicIp());
        } catch (IOException e) {
            log.warn("cannot remove the kernel route {} via {}: {}", old.lease.subnet(),
                Ipv4Address.format(old.lease.publicIp()), e.getMessage());
        }
    }

    /** Drops {@code mac}'s FDB entry, or points it back at the other peer still using it (as its IPv4 or IPv6 VTEP). */
    private void releaseFdb(Tables.Batch batch, long mac, Ipv4Prefix leaving) {
        Lease other = otherUserOf(mac, leaving);
        if (other == null) {
            batch.removeFdb(mac);
        } else if (other.vtepMac() == mac) {
            batch.putFdb(mac, other.publicIp());
        } else {
            batch.putFdb6(mac, other.publicIpv6().hi(), other.publicIpv6().lo());
        }
    }

    /** Forgets the peer node at {@code publicIp} unless another programmed lease is still there. */
    private void releasePeer(Tables.Batch batch, int publicIp, Ipv4Prefix leaving) {
        if (firstOther(byPublicIp.get(publicIp), leaving) == null) {
            batch.removePeer(publicIp);
        }
    }

    /** Another encapsulated VXLAN peer using {@code mac}, or null. */
    private Lease otherUserOf(long mac, Ipv4Prefix except) {
        Ipv4Prefix other = firstOther(byVtepMac.get(mac), except);
        return other == null ? null : programmed.get(other).lease;
    }

    /** A member of {@code subnets} (may be null) other than {@code except}, or null. */
    private static Ipv4Prefix firstOther(Set<Ipv4Prefix> subnets, Ipv4Prefix except) {
        if (subnets != null) {
            for (Ipv4Prefix s : subnets) {
                if (!s.equals(except)) {
                    return s;
                }
            }
        }
        return null;
    }

    /** Indexes a peer just put into {@link #programmed}, so lookups by address and MAC stay O(1) at scale. */
    private void track(Peer p) {
        byPublicIp.computeIfAbsent(p.lease.publicIp(), k -> new HashSet<>()).add(p.lease.subnet());
        if (!p.direct && p.lease.isVxlan()) {
            byVtepMac.computeIfAbsent(p.lease.vtepMac(), k -> new HashSet<>()).add(p.lease.subnet());
        }
        if (programs6(p)) {
            byVtepMac.computeIfAbsent(p.lease.vtepMac6(), k -> new HashSet<>()).add(p.lease.subnet());
            byPublicIpv6.computeIfAbsent(p.lease.publicIpv6(), k -> new HashSet<>()).add(p.lease.subnet());
        }
    }

    /** Undoes {@link #track} for a peer just taken out of (or replaced in) {@link #programmed}. */
    private void untrack(Peer p) {
        untrack(byPublicIp, p.lease.publicIp(), p.lease.subnet());
        if (!p.direct && p.lease.isVxlan()) {
            untrack(byVtepMac, p.lease.vtepMac(), p.lease.subnet());
        }
        if (programs6(p)) {
            untrack(byVtepMac, p.lease.vtepMac6(), p.lease.subnet());
            untrack(byPublicIpv6, p.lease.publicIpv6(), p.lease.subnet());
        }
    }

    private static <K> void untrack(Map<K, Set<Ipv4Prefix>> index, K key, Ipv4Prefix subnet) {
        Set<Ipv4Prefix> subnets = index.get(key);
        if (subnets != null && subnets.remove(subnet) && subnets.isEmpty()) {
            index.remove(key);
        }
    }
}
