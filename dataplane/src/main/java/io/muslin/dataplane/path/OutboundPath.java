package io.muslin.dataplane.path;

import io.muslin.dataplane.EncapOverhead;
import io.muslin.dataplane.offload.NativeMemory;
import io.muslin.dataplane.packet.Ipv4;
import io.muslin.dataplane.packet.Ipv6;
import io.muslin.dataplane.packet.MacAddress;
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
 *   <li><b>neighbor</b> — ARP: next hop → the peer's VTEP MAC ({@code dropNoNeighbor});</li>
 *   <li><b>fdb</b> — VTEP MAC → the peer's underlay address ({@code dropUnknownVtep});</li>
 *   <li><b>encapsulate</b> in place — outer IPv4, UDP, VXLAN and inner Ethernet headers are
 *       written into the headroom;</li>
 *   <li><b>send</b> — the driver batches the frames into one sendmmsg.</li>
 * </ol>
 * {@link #process} is stages 2–6: no allocation, no lock, no logging.
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
    public static final int HEADROOM = EncapOverhead.VXLAN.maxBytes();
    private static final int MAX_INNER = 0xFFFF - VxlanEncapsulator.OVERHEAD;

    private final VxlanEncapsulator encapsulator;
    private final Counters counters;

    public OutboundPath(VxlanEncapsulator encapsulator, Counters counters) {
        this.encapsulator = encapsulator;
        this.counters = counters;
    }

    /**
     * Looks up and encapsulates one inner packet (its readable bytes, with at least
     * {@value io.muslin.dataplane.vxlan.VxlanEncapsulator#OVERHEAD} bytes of headroom). Borrows
     * the buffer.
     *
     * @return the underlay IPv4 address to send the frame to (the frame is then the buffer's
     *         readable bytes), or 0 when the packet was dropped and counted
     */
    public int process(ByteBuf packet, Tables.Snapshot tables) {
        FdbEntry vtep = resolve(packet, tables, MAX_INNER);
        if (vtep == null) {
            return 0;
        }
        encapsulator.encapsulate(packet, vtep.underlay(), vtep.mac());
        return vtep.underlay();
    }

    /**
     * Stages 2–5 for a TCP super-packet (its readable bytes, up to 64 KB) that is about to be
     * cut into segments: each segment goes where the super-packet would. Borrows the buffer.
     *
     * @return the remote VTEP, or null when the packet was dropped and counted
     */
    public FdbEntry resolve(ByteBuf superPacket, Tables.Snapshot tables) {
        return resolve(superPacket, tables, 0xFFFF);
    }

    /**
     * Stage 6 for one segment of a super-packet: writes the
     * {@value io.muslin.dataplane.vxlan.VxlanEncapsulator#OVERHEAD} bytes of outer headers that
     * a segment of {@code innerLength} bytes of {@code superPacket}'s flow gets, into {@code dst}
     * at {@code index}, for the caller to send in front of the segment. Every segment of a flow
     * has the same outer headers but for the lengths, so two calls (full and last segment) serve
     * a whole super-packet. The super-packet's headroom is used as scratch space (the bytes
     * before its reader index are overwritten); its indices are unchanged on return.
     *
     * @param innerLength 1 to the super-packet's readable bytes
     * @return false when a segment that long cannot be encapsulated (dropped and counted)
     */
    public boolean writeOuterHeader(ByteBuf superPacket, int innerLength, FdbEntry vtep, ByteBuf dst, int index) {
        if (innerLength > MAX_INNER) {
            drop(Counter.DROP_TOO_BIG);
            return false;
        }
        int inner = superPacket.readerIndex();
        int end = superPacket.writerIndex();
        superPacket.writerIndex(inner + innerLength);
        encapsulator.encapsulate(superPacket, vtep.underlay(), vtep.mac());
        NativeMemory.copy(superPacket, inner - VxlanEncapsulator.OVERHEAD, dst, index, VxlanEncapsulator.OVERHEAD);
        superPacket.setIndex(inner, end);
        return true;
    }

    private FdbEntry resolve(ByteBuf packet, Tables.Snapshot tables, int maxLength) {
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
        long mac = tables.lookupArp(via.address());
        if (mac == MacAddress.NONE) {
            return drop(Counter.DROP_NO_NEIGHBOR);
        }
        FdbEntry vtep = tables.lookupFdb(mac);
        if (vtep == null) {
            return drop(Counter.DROP_UNKNOWN_VTEP);
        }
        return vtep;
    }

    private FdbEntry drop(Counter reason) {
        counters.inc(reason);
        return null;
    }
}
