package io.muslin.dataplane.path;

import io.muslin.dataplane.Encapsulation;
import io.muslin.dataplane.offload.NativeMemory;
import io.muslin.dataplane.packet.Ipv4;
import io.muslin.dataplane.packet.Ipv6;
import io.muslin.dataplane.packet.MacAddress;
import io.muslin.dataplane.ipip.IpipEncapsulator;
import io.muslin.dataplane.table.FdbEntry;
import io.muslin.dataplane.table.NextHop;
import io.muslin.dataplane.table.Tables;
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
 *   <li><b>classify</b> — inner IPv4 goes on; IPv6 is counted ({@code dropUnsupportedFamily})
 *       until the route table holds IPv6; anything else is {@code dropMalformed};</li>
 *   <li><b>route</b> — longest-prefix match on the inner destination gives the next hop, the
 *       peer subnet's network address ({@code dropNoRoute});</li>
 *   <li><b>neighbor</b> — VXLAN only: ARP, next hop → the peer's VTEP MAC ({@code dropNoNeighbor});</li>
 *   <li><b>fdb</b> — VXLAN only: VTEP MAC → the peer's underlay address ({@code dropUnknownVtep}).
 *       For IP-in-IP the route's next hop is the peer's underlay address itself;</li>
 *   <li><b>encapsulate</b> in place — outer IPv4, UDP, VXLAN and inner Ethernet headers, or
 *       the outer IPv4 header of IP-in-IP, are written into the headroom;</li>
 *   <li><b>send</b> — the driver batches the frames into one sendmmsg.</li>
 * </ol>
 * {@link #process} is stages 2–6: no allocation, no lock, no logging. A route flagged
 * {@link io.muslin.dataplane.table.Route#DIRECT} (a peer the kernel reaches without us) is
 * {@code dropDirectRoute}.
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

    private final VxlanEncapsulator vxlan;
    private final IpipEncapsulator ipip;
    private final int overhead;
    private final int maxInner;
    private final Counters counters;
    private final MtuGuard guard;
    /** VXLAN: the VTEP MAC found by the last successful {@link #resolve}, for the encapsulation after it. */
    private long vtepMac;

    private OutboundPath(VxlanEncapsulator vxlan, IpipEncapsulator ipip, int overhead, Counters counters,
                         MtuGuard guard) {
        this.vxlan = vxlan;
        this.ipip = ipip;
        this.overhead = overhead;
        this.maxInner = 0xFFFF - overhead;
        this.counters = counters;
        this.guard = guard;
    }

    /**
     * The VXLAN path: route → ARP → FDB, then VXLAN over UDP.
     *
     * @param guard path-MTU checks and MSS clamping, or null for none
     */
    public static OutboundPath vxlan(VxlanEncapsulator encapsulator, Counters counters, MtuGuard guard) {
        return new OutboundPath(encapsulator, null, VxlanEncapsulator.OVERHEAD, counters, guard);
    }

    /** The IP-in-IP path: route (next hop = the peer's underlay address), then an outer IPv4 header. */
    public static OutboundPath ipip(IpipEncapsulator encapsulator, Counters counters, MtuGuard guard) {
        return new OutboundPath(null, encapsulator, IpipEncapsulator.OVERHEAD, counters, guard);
    }

    /** Bytes of outer headers this path writes before each inner packet. */
    public int overhead() {
        return overhead;
    }

    /**
     * Looks up and encapsulates one inner packet (its readable bytes, with at least
     * {@link #overhead} bytes of headroom). Borrows the buffer.
     *
     * @return the underlay IPv4 address to send the packet to (it is then the buffer's readable
     *         bytes), or 0 when the packet was dropped and counted
     */
    public int process(ByteBuf packet, Tables.Snapshot tables) {
        int underlay = resolve(packet, tables, maxInner);
        if (underlay == 0
            || guard != null && !guard.admit(packet, packet.readerIndex(), packet.readableBytes(), underlay)) {
            return 0;
        }
        encapsulate(packet, underlay);
        return underlay;
    }

    /**
     * After {@link #resolve} of a super-packet: true when segments of {@code segmentLength} bytes
     * fit the path to {@code underlay}; false when the super-packet was dropped and its sender
     * told the limit (ICMP).
     */
    public boolean admitSegments(ByteBuf superPacket, int segmentLength, int underlay) {
        return guard == null || guard.admitSegments(superPacket, superPacket.readerIndex(), superPacket.readableBytes(),
            segmentLength, underlay);
    }

    /**
     * Stages 2–5 for a TCP super-packet (its readable bytes, up to 64 KB) that is about to be
     * cut into segments: each segment goes where the super-packet would. Borrows the buffer.
     *
     * @return the peer's underlay address, or 0 when the packet was dropped and counted
     */
    public int resolve(ByteBuf superPacket, Tables.Snapshot tables) {
        return resolve(superPacket, tables, 0xFFFF);
    }

    /**
     * Stage 6 for one segment of a super-packet, after {@link #resolve} returned
     * {@code underlay} for it: writes the {@link #overhead} bytes of outer headers that a
     * segment of {@code innerLength} bytes of {@code superPacket}'s flow gets, into {@code dst}
     * at {@code index}, for the caller to send in front of the segment. Every segment of a flow
     * has the same outer headers but for the lengths, so two calls (full and last segment) serve
     * a whole super-packet. The super-packet's headroom is used as scratch space (the bytes
     * before its reader index are overwritten); its indices are unchanged on return.
     *
     * @param innerLength 1 to the super-packet's readable bytes
     * @return false when a segment that long cannot be encapsulated (dropped and counted)
     */
    public boolean writeOuterHeader(ByteBuf superPacket, int innerLength, int underlay, ByteBuf dst, int index) {
        if (innerLength > maxInner) {
            counters.inc(Counter.DROP_TOO_BIG);
            return false;
        }
        int inner = superPacket.readerIndex();
        int end = superPacket.writerIndex();
        superPacket.writerIndex(inner + innerLength);
        encapsulate(superPacket, underlay);
        NativeMemory.copy(superPacket, inner - overhead, dst, index, overhead);
        superPacket.setIndex(inner, end);
        return true;
    }

    private void encapsulate(ByteBuf packet, int underlay) {
        if (vxlan != null) {
            vxlan.encapsulate(packet, underlay, vtepMac);
        } else {
            ipip.encapsulate(packet, underlay);
        }
    }

    private int resolve(ByteBuf packet, Tables.Snapshot tables, int maxLength) {
        int at = packet.readerIndex();
        int length = packet.readableBytes();
        if (length < Ipv4.MIN_HEADER) {
            return drop(Counter.DROP_MALFORMED);
        }
        int version = Ipv4.version(packet, at);
        if (version != Ipv4.VERSION) {
            return drop(version == Ipv6.VERSION ? Counter.DROP_UNSUPPORTED_FAMILY : Counter.DROP_MALFORMED);
        }
        if (length > maxLength) {
            return drop(Counter.DROP_TOO_BIG);
        }
        NextHop via = tables.lookupNextHop(Ipv4.dst(packet, at));
        if (via == null) {
            return drop(Counter.DROP_NO_ROUTE);
        }
        if (via.direct()) {
            return drop(Counter.DROP_DIRECT_ROUTE);
        }
        if (vxlan == null) {
            return via.address();
        }
        long mac = tables.lookupArp(via.address());
        if (mac == MacAddress.NONE) {
            return drop(Counter.DROP_NO_NEIGHBOR);
        }
        FdbEntry vtep = tables.lookupFdb(mac);
        if (vtep == null) {
            return drop(Counter.DROP_UNKNOWN_VTEP);
        }
        vtepMac = mac;
        return vtep.underlay();
    }

    private int drop(Counter reason) {
        counters.inc(reason);
        return 0;
    }
}
