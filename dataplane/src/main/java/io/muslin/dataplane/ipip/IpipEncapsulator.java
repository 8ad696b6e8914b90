package io.muslin.dataplane.ipip;

import io.muslin.dataplane.Encapsulation;
import io.muslin.dataplane.packet.Ipv4;
import io.netty.buffer.ByteBuf;

/**
 * Wraps an inner IPv4 packet into IP-in-IP (RFC 2003), in place, in the headroom the TUN read
 * left before it. One per node: the local address is fixed.
 *
 * <pre>
 *  outer = readerIndex - 20          inner = readerIndex on entry
 *  |                                 |
 *  +---------------------------------+--------------------------------------
 *  | outer IPv4 (20)                 | inner IPv4 packet, unchanged
 *  +---------------------------------+--------------------------------------
 *   protocol 4, src = our PublicIP, dst = the peer's PublicIP,
 *   TOS = inner TOS, DF = inner DF, TTL 64, ID 0 (the kernel fills it in)
 * </pre>
 *
 * <ul>
 *   <li><b>TOS</b> (DSCP and ECN) is copied from the inner header, as RFC 2003 §3.1 says and as
 *       the kernel's {@code tunl0} does with {@code tos inherit}.</li>
 *   <li><b>DF</b> is copied from the inner header (RFC 2003 §5.1): a sender doing path-MTU
 *       discovery keeps doing it through the tunnel; a packet without DF may be fragmented on
 *       the underlay and is reassembled by the receiving kernel before muslin reads it.</li>
 *   <li><b>TTL</b> is 64, not the inner TTL: the underlay is one hop of the overlay, and the
 *       kernel has already decremented the inner TTL when it routed the packet into the TUN
 *       device. (RFC 2003 §3.1 allows either; Linux's {@code tunl0} inherits by default.)</li>
 *   <li><b>ID</b> is 0 and the checksum is ours; a raw {@code IP_HDRINCL} socket fills in a
 *       zero ID (raw(7)), which a packet that may be fragmented needs.</li>
 * </ul>
 */
public final class IpipEncapsulator {
    /** Bytes written before the inner packet: the outer IPv4 header. */
    public static final int OVERHEAD = Encapsulation.IPIP.bytes(4);
    /** Outer TTL. */
    public static final int OUTER_TTL = 64;
    private static final int MAX_INNER_LENGTH = 0xFFFF - OVERHEAD;

    private final int localIp;

    /** @param localIp this node's underlay IPv4 address, the outer source */
    public IpipEncapsulator(int localIp) {
        this.localIp = localIp;
    }

    /**
     * Writes the {@value #OVERHEAD}-byte outer header before {@code packet}'s reader index and
     * moves the reader index back over it. Borrows {@code packet}.
     *
     * @param packet   readable bytes = one inner IPv4 packet of 20 to 65515 bytes, with
     *                 {@value #OVERHEAD} bytes of headroom before it
     * @param remoteIp the peer's underlay address (outer destination)
     * @throws IllegalArgumentException if those preconditions do not hold
     */
    public void encapsulate(ByteBuf packet, int remoteIp) {
        int inner = packet.readerIndex();
        int innerLength = packet.readableBytes();
        int outer = inner - OVERHEAD;
        if (outer < 0) {
            throw new IllegalArgumentException(
                "IP-in-IP headroom too short: " + inner + " bytes (expected: " + OVERHEAD + "+)");
        }
        if (innerLength < Ipv4.MIN_HEADER || innerLength > MAX_INNER_LENGTH) {
            throw new IllegalArgumentException("inner packet length out of range: " + innerLength
                + " (expected: " + Ipv4.MIN_HEADER + "-" + MAX_INNER_LENGTH + ")");
        }
        if (Ipv4.version(packet, inner) != Ipv4.VERSION) {
            throw new IllegalArgumentException("IP-in-IP carries IPv4 only, not version " + Ipv4.version(packet, inner));
        }
        Ipv4.writeHeader(packet, outer, Ipv4.tos(packet, inner), OVERHEAD + innerLength,
            Ipv4.dontFragment(packet, inner), OUTER_TTL, Ipv4.PROTO_IPIP, localIp, remoteIp);
        packet.readerIndex(outer);
    }

    public int localIp() {
        return localIp;
    }
}
