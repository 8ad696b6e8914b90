package io.muslin.dataplane.path;

import io.muslin.dataplane.Encapsulation;
import io.muslin.dataplane.offload.NativeMemory;
import io.muslin.dataplane.packet.Ipv4;
import io.muslin.dataplane.packet.Ipv6;
import io.muslin.dataplane.packet.MacAddress;
import io.muslin.dataplane.ipip.IpipEncapsulator;
import io.muslin.dataplane.table.Family;
import io.muslin.dataplane.table.FdbEntry;
import io.muslin.dataplane.table.NextHop;
import io.muslin.dataplane.table.Tables;
import io.muslin.dataplane.table.Underlay;
import io.muslin.dataplane.vxlan.VxlanEncapsulator;
import io.netty.buffer.ByteBuf;

/**
 * TUN → wire: what happens to a packet the kernel routed into our TUN device.
 *
 * <p>Every stage runs on the one event-loop thread that owns the TUN descriptor
 * ({@link io.muslin.dataplane.engine.TunReader} drives it):
 * <ol>
 *   <li><b>read</b> — the packet lands in a pooled direct buffer at {@link #HEADROOM}, so the
 *       outer headers can be written in front of it without a copy;</li>
 *   <li><b>classify</b> — the version nibble picks the packet's family, and the family its
 *       lane: IPv4 pods ride the IPv4 underlay and IPv6 pods the IPv6 underlay, as flannel's
 *       {@code flannel.1} and {@code flannel-v6.1} do. A family this node does not forward is
 *       {@code dropUnsupportedFamily}; anything else {@code dropMalformed};</li>
 *   <li><b>route</b> — longest-prefix match on the inner destination in the family's route
 *       table gives the next hop, the peer subnet's network address ({@code dropNoRoute});</li>
 *   <li><b>neighbor</b> — VXLAN only: ARP (IPv4) or the IPv6 neighbor table, next hop → the
 *       peer's VTEP MAC ({@code dropNoNeighbor});</li>
 *   <li><b>fdb</b> — VXLAN only: VTEP MAC → the peer's underlay address of the lane's family
 *       ({@code dropUnknownVtep}). For IP-in-IP the route's next hop is the peer's underlay
 *       address itself;</li>
 *   <li><b>encapsulate</b> in place — outer IP (20 or 40 bytes), UDP, VXLAN and inner Ethernet
 *       headers, or the outer IPv4 header of IP-in-IP, are written into the headroom;</li>
 *   <li><b>send</b> — the driver batches the frames into one sendmmsg.</li>
 * </ol>
 * {@link #process} is stages 2–6: no allocation, no lock, no logging. It returns the
 * {@link Underlay} to send to: the table's own {@link io.muslin.dataplane.table.FdbEntry}
 * (VXLAN) or {@link NextHop} (IP-in-IP), so nothing is made per packet. A route flagged
 * {@link io.muslin.dataplane.table.Route#DIRECT} (a peer the kernel reaches without us) is
 * {@code dropDirectRoute}. The stages are the same code for both families: the family is a
 * parameter of each lookup, and a {@link Lane} holds what differs (encapsulator, overhead,
 * path-MTU guard).
 *
 * <p>With TUN offloads on, a read may instead be a TCP super-packet of up to 64 KB: it goes
 * through stages 2–5 once ({@link #resolve}), is cut into MSS-sized segments
 * ({@link io.muslin.dataplane.offload.TcpSegmenter}), and each segment gets outer headers from
 * a template ({@link #writeOuterHeader}) in a small header slab sent together with the
 * segment's payload, which stays where it was read ({@link io.muslin.dataplane.engine} drives
 * this).
 */
public final class OutboundPath {
    /** Room a TUN read leaves before the packet: the largest overhead of any encapsulation. */
    public static final int HEADROOM = Encapsulation.VXLAN.maxBytes();

    /**
     * One inner family's way out: VXLAN over an underlay of some family (its encapsulator's), or
     * IP-in-IP over IPv4, with the path-MTU guard of that underlay (or none).
     */
    public static final class Lane {
        private final VxlanEncapsulator vxlan;
        private final IpipEncapsulator ipip;
        private final MtuGuard guard;
        private final Family outer;
        private final int overhead;
        private final int maxInner;

        private Lane(VxlanEncapsulator vxlan, IpipEncapsulator ipip, MtuGuard guard) {
            this.vxlan = vxlan;
            this.ipip = ipip;
            this.guard = guard;
            this.outer = vxlan != null ? vxlan.outer() : Family.IPV4;
            this.overhead = vxlan != null ? vxlan.overhead() : IpipEncapsulator.OVERHEAD;
            this.maxInner = vxlan != null ? vxlan.maxInnerLength() : 0xFFFF - IpipEncapsulator.OVERHEAD;
        }

        /**
         * VXLAN over the encapsulator's underlay family.
         *
         * @param guard path-MTU checks and MSS clamping for that underlay, or null for none
         */
        public static Lane vxlan(VxlanEncapsulator encapsulator, MtuGuard guard) {
            return new Lane(encapsulator, null, guard);
        }

        /** IP-in-IP (RFC 2003: IPv4 in IPv4). */
        public static Lane ipip(IpipEncapsulator encapsulator, MtuGuard guard) {
            return new Lane(null, encapsulator, guard);
        }

        /** The underlay family this lane sends over. */
        public Family outer() {
            return outer;
        }

        /** Bytes of outer headers this lane writes: 50 or 70 (VXLAN), 20 (IP-in-IP). */
        public int overhead() {
            return overhead;
        }

        public MtuGuard guard() {
            return guard;
        }
    }

    private final Lane[] lanes = new Lane[Family.values().length];
    private final Counters counters;
    /** The lane of the last successful {@link #resolve}, for the encapsulation after it. */
    private Lane lane;
    /** VXLAN: the VTEP MAC found by the last successful {@link #resolve}. */
    private long vtepMac;

    /**
     * @param ipv4 the lane of inner IPv4 packets, or null when this node forwards no IPv4
     * @param ipv6 the lane of inner IPv6 packets, or null when this node forwards no IPv6
     */
    public OutboundPath(Lane ipv4, Lane ipv6, Counters counters) {
        if (ipv4 == null && ipv6 == null) {
            throw new IllegalArgumentException("an outbound path needs a lane for IPv4, IPv6 or both");
        }
        if (ipv6 != null && ipv6.ipip != null) {
            throw new IllegalArgumentException("IP-in-IP carries IPv4 only (RFC 2003): no IPv6 lane");
        }
        lanes[Family.IPV4.ordinal()] = ipv4;
        lanes[Family.IPV6.ordinal()] = ipv6;
        this.counters = counters;
        this.lane = ipv4 != null ? ipv4 : ipv6;
    }

    /**
     * The VXLAN path for inner IPv4 only: route → ARP → FDB, then VXLAN over UDP.
     *
     * @param guard path-MTU checks and MSS clamping, or null for none
     */
    public static OutboundPath vxlan(VxlanEncapsulator encapsulator, Counters counters, MtuGuard guard) {
        return new OutboundPath(Lane.vxlan(encapsulator, guard), null, counters);
    }

    /** The IP-in-IP path: route (next hop = the peer's underlay address), then an outer IPv4 header. */
    public static OutboundPath ipip(IpipEncapsulator encapsulator, Counters counters, MtuGuard guard) {
        return new OutboundPath(Lane.ipip(encapsulator, guard), null, counters);
    }

    /** The lane of inner packets of {@code family}, or null when they are not forwarded. */
    public Lane lane(Family family) {
        return lanes[family.ordinal()];
    }

    /**
     * Bytes of outer headers the lane of the last resolved packet writes (before any, the IPv4
     * lane's, else the IPv6 lane's).
     */
    public int overhead() {
        return lane.overhead;
    }

    /**
     * Looks up and encapsulates one inner packet (its readable bytes, with at least
     * {@link #HEADROOM} bytes of headroom). Borrows the buffer.
     *
     * @return where to send the packet (it is then the buffer's readable bytes), or null when it
     *         was dropped and counted
     */
    public Underlay process(ByteBuf packet, Tables.Snapshot tables) {
        Underlay underlay = resolve(packet, tables, -1);
        if (underlay == null || lane.guard != null && !lane.guard.admit(packet, packet.readerIndex(),
            packet.readableBytes(), underlay.addressHi(), underlay.addressLo())) {
            return null;
        }
        encapsulate(packet, underlay);
        return underlay;
    }

    /**
     * After {@link #resolve} of a super-packet: true when segments of {@code segmentLength} bytes
     * fit the path to {@code underlay}; false when the super-packet was dropped and its sender
     * told the limit (ICMP or ICMPv6).
     */
    public boolean admitSegments(ByteBuf superPacket, int segmentLength, Underlay underlay) {
        MtuGuard guard = lane.guard;
        return guard == null || guard.admitSegments(superPacket, superPacket.readerIndex(), superPacket.readableBytes(),
            segmentLength, underlay.addressHi(), underlay.addressLo());
    }

    /**
     * Stages 2–5 for a TCP super-packet (its readable bytes, up to 64 KB) that is about to be
     * cut into segments: each segment goes where the super-packet would. Borrows the buffer.
     *
     * @return the peer's underlay address, or null when the packet was dropped and counted
     */
    public Underlay resolve(ByteBuf superPacket, Tables.Snapshot tables) {
        return resolve(superPacket, tables, 0xFFFF);
    }

    /**
     * Stage 6 for one segment of a super-packet, after {@link #resolve} returned
     * {@code underlay} for it: writes the {@link #overhead} bytes of outer headers that a
     * segment of {@code innerLength} bytes of {@code superPacket}'s flow gets, into {@code dst}
     * at {@code index}, for the caller to send in front of the segment. Every segment of a flow
     * has the same outer headers but for the lengths, so two calls (full and last segment) serve
     * a whole super-packet. (Over IPv6 the outer UDP checksum covers the segment, so it is the
     * sender's to compute per segment; the template's is that of the super-packet's first bytes.)
     * The super-packet's headroom is used as scratch space (the bytes before its reader index are
     * overwritten); its indices are unchanged on return.
     *
     * @param innerLength 1 to the super-packet's readable bytes
     * @return false when a segment that long cannot be encapsulated (dropped and counted)
     */
    public boolean writeOuterHeader(ByteBuf superPacket, int innerLength, Underlay underlay, ByteBuf dst, int index) {
        if (innerLength > lane.maxInner) {
            counters.inc(Counter.DROP_TOO_BIG);
            return false;
        }
        int inner = superPacket.readerIndex();
        int end = superPacket.writerIndex();
        superPacket.writerIndex(inner + innerLength);
        encapsulate(superPacket, underlay);
        NativeMemory.copy(superPacket, inner - lane.overhead, dst, index, lane.overhead);
        superPacket.setIndex(inner, end);
        return true;
    }

    private void encapsulate(ByteBuf packet, Underlay underlay) {
        if (lane.vxlan != null) {
            lane.vxlan.encapsulate(packet, underlay.addressHi(), underlay.addressLo(), vtepMac);
        } else {
            lane.ipip.encapsulate(packet, underlay.ipv4());
        }
    }

    /** @param maxLength the longest packet taken, or -1 for the lane's longest encapsulable inner packet */
    private Underlay resolve(ByteBuf packet, Tables.Snapshot tables, int maxLength) {
        int at = packet.readerIndex();
        int length = packet.readableBytes();
        if (length < Ipv4.MIN_HEADER) {
            return drop(Counter.DROP_MALFORMED);
        }
        Family family = Family.ofVersion(Ipv4.version(packet, at));
        if (family == null || length < family.headerLength()) {
            return drop(Counter.DROP_MALFORMED);
        }
        Lane l = lanes[family.ordinal()];
        if (l == null) {
            return drop(Counter.DROP_UNSUPPORTED_FAMILY);
        }
        if (length > (maxLength < 0 ? l.maxInner : maxLength)) {
            return drop(Counter.DROP_TOO_BIG);
        }
        NextHop via = family == Family.IPV4
            ? tables.lookupNextHop(Family.IPV4, Family.ipv4Key(Ipv4.dst(packet, at)), 0)
            : tables.lookupNextHop(Family.IPV6, Ipv6.dstHi(packet, at), Ipv6.dstLo(packet, at));
        if (via == null) {
            return drop(Counter.DROP_NO_ROUTE);
        }
        if (via.direct()) {
            return drop(Counter.DROP_DIRECT_ROUTE);
        }
        if (l.vxlan == null) {
            lane = l;
            return via;
        }
        long mac = tables.lookupNeighbor(via);
        if (mac == MacAddress.NONE) {
            return drop(Counter.DROP_NO_NEIGHBOR);
        }
        FdbEntry vtep = tables.lookupFdb(mac);
        if (vtep == null || vtep.family() != l.outer) {
            return drop(Counter.DROP_UNKNOWN_VTEP);
        }
        lane = l;
        vtepMac = mac;
        return vtep;
    }

    private Underlay drop(Counter reason) {
        counters.inc(reason);
        return null;
    }
}
