package io.muslin.dataplane.path;

import io.muslin.dataplane.packet.Arp;
import io.muslin.dataplane.packet.Ethernet;
import io.muslin.dataplane.packet.FlowHash;
import io.muslin.dataplane.packet.Ipv4;
import io.muslin.dataplane.packet.Ipv6;
import io.muslin.dataplane.table.Family;
import io.muslin.dataplane.table.Tables;
import io.muslin.dataplane.vxlan.VxlanDecoder;
import io.muslin.dataplane.vxlan.VxlanEncapsulator;
import io.netty.buffer.ByteBuf;
import java.util.function.IntSupplier;

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
 *   <li><b>sender</b> — the outer source is a peer, and (strict) the inner source lies in its
 *       subnets, looked up in the inner packet's family ({@link SourceCheck}:
 *       {@code dropUnknownSender}, {@code dropSpoofedSource});</li>
 *   <li><b>checksum</b> — the inner TCP/UDP checksum verifies, or was left unfinished by a
 *       kernel peer and is completed here ({@link InnerChecksum}; {@code dropBadChecksum});</li>
 *   <li><b>deliver</b> — the driver writes the inner packet to the TUN device; or, for an ARP
 *       request for our VTEP address, a reply is built and sent back to the asking VTEP, so a
 *       kernel peer without a static neighbor entry still resolves us.</li>
 * </ol>
 * {@link #process} is stages 2–5 (and the ARP reply): no allocation, no lock, no logging.
 */
public final class VxlanInboundPath implements InboundPath {
    private final Tables tables;
    private final SourceCheck senders;
    private final IntSupplier mtu;
    private final VxlanDecoder decoder;
    private final VxlanEncapsulator encapsulator;
    private final int vtepIp;
    private final long vtepMac;
    private final Counters counters;

    /**
     * @param tables  the peers and routes senders are checked against
     * @param mtu     the tunnel MTU now: a longer inner TCP packet is a kernel peer's super-packet
     * @param vtepIp  our VTEP address (the node subnet's network address, as on flannel.1)
     * @param vtepMac our VTEP MAC
     */
    public VxlanInboundPath(Tables tables, SourceCheck.Mode sourceCheck, IntSupplier mtu, VxlanDecoder decoder,
                            VxlanEncapsulator encapsulator, int vtepIp, long vtepMac, Counters counters) {
        this.tables = tables;
        this.senders = new SourceCheck(sourceCheck, true, encapsulator.outer());
        this.mtu = mtu;
        this.decoder = decoder;
        this.encapsulator = encapsulator;
        this.vtepIp = vtepIp;
        this.vtepMac = vtepMac;
        this.counters = counters;
    }

    @Override
    public int process(ByteBuf datagram, long sourceHi, long sourceLo, ByteBuf reply) {
        int kind = decoder.decode(datagram);
        if (kind < 0) {
            counters.inc(VxlanDecoder.dropReason(kind));
            return DROP;
        }
        Tables.Snapshot snapshot = tables.snapshot();
        int inner = datagram.readerIndex();
        Counter refused = switch (kind) {
            case VxlanDecoder.IPV4 -> senders.check(snapshot, Family.IPV4, Family.ipv4Key(Ipv4.src(datagram, inner)), 0,
                sourceHi, sourceLo);
            case VxlanDecoder.IPV6 -> senders.check(snapshot, Family.IPV6, Ipv6.srcHi(datagram, inner),
                Ipv6.srcLo(datagram, inner), sourceHi, sourceLo);
            default -> senders.checkSender(snapshot, sourceHi, sourceLo);
        };
        if (refused != null) {
            counters.inc(refused);
            return DROP;
        }
        if (kind != VxlanDecoder.ARP) {
            return InnerChecksum.admit(datagram, inner, mtu.getAsInt(), counters) ? DELIVER : DROP;
        }
        int arp = inner;
        if (sourceHi == 0 && sourceLo == 0 || !Arp.isRequestFor(datagram, arp, vtepIp)) {
            counters.inc(Counter.ARP_IGNORED);
            return DROP;
        }
        long askingMac = Arp.senderMac(datagram, arp);
        int payload = OutboundPath.HEADROOM;
        Arp.writeReply(reply, payload, vtepMac, vtepIp, datagram, arp);
        reply.setIndex(payload, payload + Arp.LENGTH);
        encapsulator.encapsulateFrame(reply, sourceHi, sourceLo, askingMac, Ethernet.TYPE_ARP, 0,
            FlowHash.sourcePort(Long.hashCode(askingMac)));
        counters.inc(Counter.ARP_REPLIES);
        return REPLY;
    }
}
