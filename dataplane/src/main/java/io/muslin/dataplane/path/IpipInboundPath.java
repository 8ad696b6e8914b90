package io.muslin.dataplane.path;

import io.muslin.dataplane.packet.Ipv4;
import io.muslin.dataplane.packet.Ipv6;
import io.muslin.dataplane.table.Tables;
import io.netty.buffer.ByteBuf;
import java.util.function.IntSupplier;

/**
 * Wire → TUN for IP-in-IP: what happens to a protocol-4 packet the raw socket received (the
 * kernel has reassembled fragments; the outer IPv4 header is included).
 * <ol>
 *   <li><b>outer</b> — IPv4, a sane header and total length, protocol 4 ({@code dropMalformed});</li>
 *   <li><b>inner</b> — IPv4 with a sane header and total length ({@code dropMalformed}; IPv6 is
 *       {@code dropUnsupportedFamily}: protocol 4 carries IPv4 only);</li>
 *   <li><b>sender</b> — the outer source must be a peer's PublicIP ({@code dropUnknownSender}),
 *       and (strict) the inner source must lie in that peer's subnets: one route lookup on the
 *       inner source, whose next hop is the peer's PublicIP ({@code dropSpoofedSource}). So an
 *       unknown host cannot inject packets, and a known peer cannot send for a subnet that is
 *       not its own ({@link SourceCheck});</li>
 *   <li><b>strip</b> — the readable bytes become the inner packet (by index, no copy);</li>
 *   <li><b>checksum</b> — the inner TCP/UDP checksum verifies, or is completed when a kernel
 *       peer left it unfinished ({@link InnerChecksum}; {@code dropBadChecksum}).</li>
 * </ol>
 */
public final class IpipInboundPath implements InboundPath {
    private final Tables tables;
    private final SourceCheck senders;
    private final IntSupplier mtu;
    private final Counters counters;

    /**
     * @param tables the peers and routes to check senders against (IP-in-IP routes: next hop = the peer's PublicIP)
     * @param mtu    the tunnel MTU now: a longer inner TCP packet is a kernel peer's super-packet
     */
    public IpipInboundPath(Tables tables, SourceCheck.Mode sourceCheck, IntSupplier mtu, Counters counters) {
        this.tables = tables;
        this.senders = new SourceCheck(sourceCheck, false);
        this.mtu = mtu;
        this.counters = counters;
    }

    @Override
    public int process(ByteBuf packet, long sourceHi, long sourceLo, ByteBuf reply) {
        int outer = packet.readerIndex();
        int length = packet.readableBytes();
        if (length < Ipv4.MIN_HEADER || Ipv4.version(packet, outer) != Ipv4.VERSION
            || Ipv4.protocol(packet, outer) != Ipv4.PROTO_IPIP) {
            return drop(Counter.DROP_MALFORMED);
        }
        int outerHeader = Ipv4.headerLength(packet, outer);
        int outerTotal = Ipv4.totalLength(packet, outer);
        if (outerHeader < Ipv4.MIN_HEADER || outerTotal < outerHeader + Ipv4.MIN_HEADER || outerTotal > length) {
            return drop(Counter.DROP_MALFORMED);
        }
        int inner = outer + outerHeader;
        int innerRoom = outerTotal - outerHeader;
        int version = Ipv4.version(packet, inner);
        if (version != Ipv4.VERSION) {
            return drop(version == Ipv6.VERSION ? Counter.DROP_UNSUPPORTED_FAMILY : Counter.DROP_MALFORMED);
        }
        int innerHeader = Ipv4.headerLength(packet, inner);
        int innerTotal = Ipv4.totalLength(packet, inner);
        if (innerHeader < Ipv4.MIN_HEADER || innerTotal < innerHeader || innerTotal > innerRoom) {
            return drop(Counter.DROP_MALFORMED);
        }
        Counter refused = senders.check(tables.snapshot(), Ipv4.src(packet, inner), Ipv4.src(packet, outer));
        if (refused != null) {
            return drop(refused);
        }
        if (!InnerChecksum.admit(packet, inner, mtu.getAsInt(), counters)) {
            return DROP;
        }
        packet.setIndex(inner, inner + innerTotal);
        return DELIVER;
    }

    private int drop(Counter reason) {
        counters.inc(reason);
        return DROP;
    }
}
