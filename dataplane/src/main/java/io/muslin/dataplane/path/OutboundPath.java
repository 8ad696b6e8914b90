package io.muslin.dataplane.path;

import io.muslin.dataplane.EncapOverhead;
import io.muslin.dataplane.packet.Ipv4;
import io.muslin.dataplane.packet.Ipv6;
import io.muslin.dataplane.packet.MacAddress;
import io.muslin.dataplane.table.FdbEntry;
import io.muslin.dataplane.table.Route;
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
        int at = packet.readerIndex();
        int length = packet.readableBytes();
        if (length < Ipv4.MIN_HEADER) {
            return drop(Counter.DROP_MALFORMED);
        }
        int version = Ipv4.version(packet, at);
        if (version != Ipv4.VERSION) {
            return drop(version == Ipv6.VERSION ? Counter.DROP_UNSUPPORTED_FAMILY : Counter.DROP_MALFORMED);
        }
        if (length > MAX_INNER) {
            return drop(Counter.DROP_TOO_BIG);
        }
        Route route = tables.lookupRoute(Ipv4.dst(packet, at));
        if (route == null) {
            return drop(Counter.DROP_NO_ROUTE);
        }
        long mac = tables.lookupArp(route.nextHop());
        if (mac == MacAddress.NONE) {
            return drop(Counter.DROP_NO_NEIGHBOR);
        }
        FdbEntry vtep = tables.lookupFdb(mac);
        if (vtep == null) {
            return drop(Counter.DROP_UNKNOWN_VTEP);
        }
        encapsulator.encapsulate(packet, vtep.underlay(), mac);
        return vtep.underlay();
    }

    private int drop(Counter reason) {
        counters.inc(reason);
        return 0;
    }
}
