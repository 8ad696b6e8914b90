package io.muslin.dataplane.path;

import io.muslin.dataplane.packet.Arp;
import io.muslin.dataplane.packet.Ethernet;
import io.muslin.dataplane.packet.FlowHash;
import io.muslin.dataplane.vxlan.VxlanDecoder;
import io.muslin.dataplane.vxlan.VxlanEncapsulator;
import io.netty.buffer.ByteBuf;

/**
 * Wire → TUN for VXLAN: what happens to a UDP datagram that arrived on our VXLAN port.
 *
 * <p>Every stage runs on the one event-loop thread that owns the UDP socket
 * ({@link io.muslin.dataplane.engine.UnderlayReader} drives it):
 * <ol>
 *   <li><b>receive</b> — recvmmsg fills a batch of pooled direct buffers;</li>
 *   <li><b>validate</b> — VXLAN I flag and our VNI, inner destination MAC ours or broadcast,
 *       EtherType and inner length ({@link VxlanDecoder}; each failure has its counter);</li>
 *   <li><b>strip</b> — the buffer's readable bytes become the inner packet (a slice by index,
 *       no copy);</li>
 *   <li><b>deliver</b> — the driver writes the inner packet to the TUN device; or, for an ARP
 *       request for our VTEP address, a reply is built and sent back to the asking VTEP, so a
 *       kernel peer without a static neighbor entry still resolves us.</li>
 * </ol>
 * {@link #process} is stages 2–3 (and the ARP reply): no allocation, no lock, no logging.
 */
public final class VxlanInboundPath implements InboundPath {
    private final VxlanDecoder decoder;
    private final VxlanEncapsulator encapsulator;
    private final int vtepIp;
    private final long vtepMac;
    private final Counters counters;

    /**
     * @param vtepIp  our VTEP address (the node subnet's network address, as on flannel.1)
     * @param vtepMac our VTEP MAC
     */
    public VxlanInboundPath(VxlanDecoder decoder, VxlanEncapsulator encapsulator, int vtepIp, long vtepMac,
                       Counters counters) {
        this.decoder = decoder;
        this.encapsulator = encapsulator;
        this.vtepIp = vtepIp;
        this.vtepMac = vtepMac;
        this.counters = counters;
    }

    @Override
    public int process(ByteBuf datagram, int sourceIp, ByteBuf reply) {
        int kind = decoder.decode(datagram);
        if (kind < 0) {
            counters.inc(VxlanDecoder.dropReason(kind));
            return DROP;
        }
        if (kind != VxlanDecoder.ARP) {
            return DELIVER;
        }
        int arp = datagram.readerIndex();
        if (sourceIp == 0 || !Arp.isRequestFor(datagram, arp, vtepIp)) {
            counters.inc(Counter.ARP_IGNORED);
            return DROP;
        }
        long askingMac = Arp.senderMac(datagram, arp);
        int payload = OutboundPath.HEADROOM;
        Arp.writeReply(reply, payload, vtepMac, vtepIp, datagram, arp);
        reply.setIndex(payload, payload + Arp.LENGTH);
        encapsulator.encapsulateFrame(reply, sourceIp, askingMac, Ethernet.TYPE_ARP, 0,
            FlowHash.sourcePort(Long.hashCode(askingMac)));
        counters.inc(Counter.ARP_REPLIES);
        return REPLY;
    }
}
