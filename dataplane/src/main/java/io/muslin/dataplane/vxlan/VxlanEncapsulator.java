package io.muslin.dataplane.vxlan;

import io.muslin.dataplane.Encapsulation;
import io.muslin.dataplane.offload.Checksum;
import io.muslin.dataplane.packet.Ethernet;
import io.muslin.dataplane.packet.FlowHash;
import io.muslin.dataplane.packet.Ipv4;
import io.muslin.dataplane.packet.Ipv6;
import io.muslin.dataplane.packet.MacAddress;
import io.muslin.dataplane.table.Family;
import io.netty.buffer.ByteBuf;

/**
 * Wraps an inner IP packet into a VXLAN frame over outer IPv4 or IPv6 (the underlay's family, a
 * constructor parameter), in place, in the headroom the TUN read left before it. One per node
 * and underlay family: the local address, MAC, VNI and port are fixed.
 *
 * <pre>
 *  outer = readerIndex - 50 (IPv4) / - 70 (IPv6)           inner = readerIndex on entry
 *  |                                                       |
 *  +------------------+---------+-----------+--------------+----------------------------
 *  | outer IP (20/40) | UDP (8) | VXLAN (8) | Ethernet(14) | inner IPv4 / IPv6 packet
 *  +------------------+---------+-----------+--------------+----------------------------
 *   IPv4: proto 17,    sport =   I flag,     dst remote    unchanged
 *   TTL 64, ID 0,      flow      VNI         VTEP MAC,
 *   TOS and DF from    hash,                 src ours,
 *   inner              csum 0 (IPv4)         0x0800/0x86DD
 *   IPv6: next 17,     or computed (IPv6)
 *   hop limit 64,
 *   traffic class from
 *   inner, flow label
 *   = flow hash
 *
 *  UDP header (RFC 768):
 *  +-------------------------------+-------------------------------+
 *  |          Source Port          |        Destination Port       |
 *  +-------------------------------+-------------------------------+
 *  |            Length             |            Checksum           |
 *  +-------------------------------+-------------------------------+
 * </pre>
 *
 * <p>Over IPv4 the outer UDP checksum is zero, which RFC 768 allows and RFC 7348 §5 recommends
 * ("UDP Checksum: It SHOULD be transmitted as zero"); the Linux vxlan driver sends the same by
 * default. Over IPv6 it is computed: RFC 8200 §8.1 forbids a zero UDP checksum (RFC 6935 lets
 * tunnels opt out, but the Linux vxlan driver drops such datagrams unless it was created with
 * {@code udp6zerocsumrx}, and flannel does not set it), so the sum runs over the pseudo-header,
 * the UDP header and the whole frame, a zero result sent as 0xFFFF. The overhead is
 * {@link Encapsulation#bytes} of the outer family: 50 or 70.
 *
 * <p>The source port is {@link FlowHash#sourcePort} of the inner flow (RFC 7348 §5); over IPv6
 * the flow label is the flow hash too (RFC 6438), as Linux fills it in with
 * {@code auto_flowlabels}. The TOS byte (DSCP and ECN) is copied from the inner IPv4 TOS or
 * IPv6 traffic class, and over IPv4 DF from the inner IPv4 header (always set for inner IPv6),
 * so a sender's path-MTU discovery works through the tunnel and an IPv4 packet without DF may
 * be fragmented on the underlay (IPv6 routers never fragment). The result is a complete IP
 * packet for a raw header-including socket.
 */
public final class VxlanEncapsulator {
    /** Bytes written before the inner packet over an IPv4 underlay: outer IPv4 + UDP + VXLAN + inner Ethernet. */
    public static final int OVERHEAD = Encapsulation.VXLAN.bytes(4);

    private static final int UDP_HEADER = 8;
    private static final int OUTER_TTL = 64;
    private static final int FLOW_LABEL_MASK = 0xF_FFFF;

    private final Family outer;
    private final long localHi;
    private final long localLo;
    private final long localMac;
    private final int vni;
    private final int dstPort;
    private final int overhead;
    private final int udpOffset;
    private final int maxInnerLength;
    /** Over IPv6: the outer UDP checksum is computed here (else the sending socket computes it). */
    private final boolean udpChecksum;

    /**
     * Over an IPv4 underlay.
     *
     * @param localIp  this node's underlay IPv4 address, the outer source
     * @param localMac this node's VTEP MAC, the inner Ethernet source
     * @param vni      0..{@value VxlanHeader#MAX_VNI}
     * @param dstPort  outer UDP destination port, 1..65535 (usually {@value VxlanHeader#DEFAULT_PORT})
     */
    public VxlanEncapsulator(int localIp, long localMac, int vni, int dstPort) {
        this(Family.IPV4, Family.ipv4Key(localIp), 0, localMac, vni, dstPort);
    }

    /**
     * Over an underlay of family {@code outer}.
     *
     * @param localHi this node's underlay address in {@link Family}'s key layout (IPv4: top 32 bits), the outer source
     * @param localLo its low word (0 for IPv4)
     */
    public VxlanEncapsulator(Family outer, long localHi, long localLo, long localMac, int vni, int dstPort) {
        this(outer, localHi, localLo, localMac, vni, dstPort, true);
    }

    /**
     * As {@link #VxlanEncapsulator(Family, long, long, long, int, int)}; with {@code udpChecksum}
     * false the outer UDP checksum over IPv6 is left 0, for frames that leave on UDP sockets:
     * those send only the UDP payload and their kernel computes the checksum of each datagram,
     * so computing it here too would cost a pass over every frame for nothing. A frame sent as
     * written (raw socket) needs it (RFC 8200 §8.1).
     */
    public VxlanEncapsulator(Family outer, long localHi, long localLo, long localMac, int vni, int dstPort,
                             boolean udpChecksum) {
        if ((localMac & ~MacAddress.BROADCAST) != 0 || MacAddress.isMulticast(localMac)) {
            throw new IllegalArgumentException("VTEP MAC must be a 48-bit unicast address, not 0x"
                + Long.toHexString(localMac));
        }
        if (vni < 0 || vni > VxlanHeader.MAX_VNI) {
            throw new IllegalArgumentException("VNI out of range: " + vni + " (expected: 0-" + VxlanHeader.MAX_VNI + ")");
        }
        if (dstPort < 1 || dstPort > 0xFFFF) {
            throw new IllegalArgumentException("VXLAN UDP port out of range: " + dstPort + " (expected: 1-65535)");
        }
        this.outer = outer;
        this.localHi = localHi;
        this.localLo = localLo;
        this.localMac = localMac;
        this.vni = vni;
        this.dstPort = dstPort;
        this.overhead = Encapsulation.VXLAN.bytes(outer.version());
        this.udpOffset = outer.headerLength();
        // IPv4's total length counts the outer header; IPv6's payload length does not.
        this.maxInnerLength = 0xFFFF - (outer == Family.IPV4 ? overhead : overhead - udpOffset);
        this.udpChecksum = udpChecksum;
    }

    /** The underlay family of the outer header. */
    public Family outer() {
        return outer;
    }

    /** Bytes written before the inner packet: 50 over IPv4, 70 over IPv6. */
    public int overhead() {
        return overhead;
    }

    /** The longest inner packet whose outer length field still fits 16 bits: 65485 over IPv4, 65505 over IPv6. */
    public int maxInnerLength() {
        return maxInnerLength;
    }

    /** {@link #encapsulate(ByteBuf, long, long, long)} to an IPv4 underlay address. */
    public void encapsulate(ByteBuf packet, int remoteIp, long remoteMac) {
        encapsulate(packet, Family.ipv4Key(remoteIp), 0, remoteMac);
    }

    /**
     * Writes the {@link #overhead} bytes of outer headers before {@code packet}'s reader index
     * and moves the reader index back over them. Borrows {@code packet}: no ownership changes.
     *
     * @param packet    readable bytes = one inner IPv4 or IPv6 packet, at most 65535 less the
     *                  outer headers the length field counts, with {@link #overhead} bytes of
     *                  headroom before it; the caller has checked the family
     * @param remoteHi  the remote VTEP's underlay address (outer destination), of the outer family
     * @param remoteLo  its low word (0 for IPv4)
     * @param remoteMac the remote VTEP's MAC (inner Ethernet destination)
     * @throws IllegalArgumentException if those preconditions do not hold
     */
    public void encapsulate(ByteBuf packet, long remoteHi, long remoteLo, long remoteMac) {
        int inner = packet.readerIndex();
        int innerLength = packet.readableBytes();
        if (inner < overhead) {
            throw new IllegalArgumentException(
                "VXLAN headroom too short: " + inner + " bytes (expected: " + overhead + "+)");
        }
        if (innerLength < 1 || innerLength > maxInnerLength) {
            throw new IllegalArgumentException(
                "inner packet length out of range: " + innerLength + " (expected: 1-" + maxInnerLength + ")");
        }
        int etherType;
        int tos;
        boolean df;
        switch (Ipv4.version(packet, inner)) {
            case Ipv4.VERSION -> {
                etherType = Ethernet.TYPE_IPV4;
                tos = innerLength > Ipv4.TOS ? Ipv4.tos(packet, inner) : 0;
                df = innerLength > Ipv4.FLAGS_FRAG + 1 && Ipv4.dontFragment(packet, inner);
            }
            case Ipv6.VERSION -> {
                etherType = Ethernet.TYPE_IPV6;
                tos = innerLength > 1 ? Ipv6.trafficClass(packet, inner) : 0;
                df = true; // IPv6 is never fragmented on the way
            }
            default -> throw new IllegalArgumentException(
                "inner packet is neither IPv4 nor IPv6: version " + Ipv4.version(packet, inner));
        }
        int hash = FlowHash.hash(packet, inner);
        writeFrame(packet, remoteHi, remoteLo, remoteMac, etherType, tos, df, FlowHash.sourcePort(hash), hash);
    }

    /**
     * Like {@link #encapsulate} for any EtherType (e.g. an ARP reply), to an IPv4 underlay
     * address, with the TOS and outer source port given. Borrows {@code payload}; same headroom
     * and length rules.
     */
    public void encapsulateFrame(ByteBuf payload, int remoteIp, long remoteMac, int etherType, int tos,
                                 int sourcePort) {
        encapsulateFrame(payload, Family.ipv4Key(remoteIp), 0, remoteMac, etherType, tos, sourcePort);
    }

    /** {@link #encapsulateFrame(ByteBuf, int, long, int, int, int)} to an underlay address of the outer family. */
    public void encapsulateFrame(ByteBuf payload, long remoteHi, long remoteLo, long remoteMac, int etherType, int tos,
                                 int sourcePort) {
        writeFrame(payload, remoteHi, remoteLo, remoteMac, etherType, tos, false, sourcePort, sourcePort);
    }

    private void writeFrame(ByteBuf payload, long remoteHi, long remoteLo, long remoteMac, int etherType, int tos,
                            boolean df, int sourcePort, int flowHash) {
        int inner = payload.readerIndex();
        int innerLength = payload.readableBytes();
        int at = inner - overhead;
        if (at < 0 || innerLength > maxInnerLength) {
            throw new IllegalArgumentException("VXLAN frame does not fit: headroom " + inner + " (expected: "
                + overhead + "+), payload " + innerLength + " (expected: 0-" + maxInnerLength + ")");
        }
        int udp = at + udpOffset;
        int udpLength = overhead - udpOffset + innerLength;
        payload.setInt(udp, (sourcePort << 16) | dstPort);
        payload.setInt(udp + 4, udpLength << 16); // length, checksum 0 (IPv4; IPv6's is filled in below)
        VxlanHeader.write(payload, udp + UDP_HEADER, vni);
        Ethernet.write(payload, udp + UDP_HEADER + VxlanHeader.LENGTH, remoteMac, localMac, etherType);
        if (outer == Family.IPV4) {
            Ipv4.writeHeader(payload, at, tos, overhead + innerLength, df, OUTER_TTL, Ipv4.PROTO_UDP,
                (int) (localHi >>> 32), (int) (remoteHi >>> 32));
        } else {
            Ipv6.writeHeader(payload, at, tos, flowHash & FLOW_LABEL_MASK, udpLength, Ipv6.NEXT_UDP, OUTER_TTL,
                localHi, localLo, remoteHi, remoteLo);
            if (!udpChecksum) {
                payload.readerIndex(at);
                return;
            }
            long sum = Checksum.pseudoHeaderIpv6(payload, at + Ipv6.SRC, Ipv6.NEXT_UDP, udpLength)
                + Checksum.sum(payload, udp, udpLength);
            int csum = Checksum.finish(sum);
            payload.setShort(udp + 6, csum == 0 ? 0xFFFF : csum);
        }
        payload.readerIndex(at);
    }

    public int vni() {
        return vni;
    }

    public int dstPort() {
        return dstPort;
    }
}
