package io.muslin.dataplane.vxlan;

import io.muslin.dataplane.Encapsulation;
import io.muslin.dataplane.packet.Ethernet;
import io.muslin.dataplane.packet.FlowHash;
import io.muslin.dataplane.packet.Ipv4;
import io.muslin.dataplane.packet.Ipv6;
import io.muslin.dataplane.packet.MacAddress;
import io.netty.buffer.ByteBuf;

/**
 * Wraps an inner IP packet into a VXLAN frame over outer IPv4, in place, in the headroom the
 * TUN read left before it. One per node: the local address, MAC, VNI and port are fixed.
 *
 * <pre>
 *  outer = readerIndex - 50                                inner = readerIndex on entry
 *  |                                                       |
 *  +------------------+---------+-----------+--------------+----------------------------
 *  | outer IPv4 (20)  | UDP (8) | VXLAN (8) | Ethernet(14) | inner IPv4 / IPv6 packet
 *  +------------------+---------+-----------+--------------+----------------------------
 *   proto 17, TTL 64,  sport =   I flag,     dst remote    unchanged
 *   TOS from inner,    flow      VNI         VTEP MAC,
 *   DF from inner,     hash,                 src ours,
 *   ID 0
 *                      csum 0                0x0800/0x86DD
 *
 *  UDP header (RFC 768):
 *  +-------------------------------+-------------------------------+
 *  |          Source Port          |        Destination Port       |
 *  +-------------------------------+-------------------------------+
 *  |            Length             |            Checksum           |
 *  +-------------------------------+-------------------------------+
 * </pre>
 *
 * The outer UDP checksum is zero, which RFC 768 allows over IPv4 and RFC 7348 §5 recommends
 * ("UDP Checksum: It SHOULD be transmitted as zero"); the Linux vxlan driver sends the same
 * by default. The source port is {@link FlowHash#sourcePort} of the inner flow (RFC 7348 §5).
 * The TOS byte (DSCP and ECN) is copied from the inner IPv4 TOS or IPv6 traffic class, and DF
 * from the inner IPv4 header (always set for inner IPv6), so a sender's path-MTU discovery
 * works through the tunnel and a packet without DF may be fragmented on the underlay.
 * The result is a complete IPv4 datagram for a raw {@code IP_HDRINCL} socket.
 */
public final class VxlanEncapsulator {
    /** Bytes written before the inner packet: outer IPv4 + UDP + VXLAN + inner Ethernet. */
    public static final int OVERHEAD = Encapsulation.VXLAN.bytes(4);

    private static final int UDP_OFFSET = Encapsulation.IPV4_HEADER;
    private static final int UDP_HEADER = 8;
    private static final int VXLAN_OFFSET = UDP_OFFSET + UDP_HEADER;
    private static final int ETHERNET_OFFSET = VXLAN_OFFSET + VxlanHeader.LENGTH;
    private static final int OUTER_TTL = 64;
    private static final int MAX_INNER_LENGTH = 0xFFFF - OVERHEAD;

    private final int localIp;
    private final long localMac;
    private final int vni;
    private final int dstPort;

    /**
     * @param localIp  this node's underlay IPv4 address, the outer source
     * @param localMac this node's VTEP MAC, the inner Ethernet source
     * @param vni      0..{@value VxlanHeader#MAX_VNI}
     * @param dstPort  outer UDP destination port, 1..65535 (usually {@value VxlanHeader#DEFAULT_PORT})
     */
    public VxlanEncapsulator(int localIp, long localMac, int vni, int dstPort) {
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
        this.localIp = localIp;
        this.localMac = localMac;
        this.vni = vni;
        this.dstPort = dstPort;
    }

    /**
     * Writes the {@value #OVERHEAD} bytes of outer headers before {@code packet}'s reader index
     * and moves the reader index back over them. Borrows {@code packet}: no ownership changes.
     *
     * @param packet    readable bytes = one inner IPv4 or IPv6 packet, at most
     *                  65535 - {@value #OVERHEAD} bytes, with {@value #OVERHEAD} bytes of
     *                  headroom before it; the caller has checked the family
     * @param remoteIp  the remote VTEP's underlay address (outer destination)
     * @param remoteMac the remote VTEP's MAC (inner Ethernet destination)
     * @throws IllegalArgumentException if those preconditions do not hold
     */
    public void encapsulate(ByteBuf packet, int remoteIp, long remoteMac) {
        int inner = packet.readerIndex();
        int innerLength = packet.readableBytes();
        int outer = inner - OVERHEAD;
        if (outer < 0) {
            throw new IllegalArgumentException(
                "VXLAN headroom too short: " + inner + " bytes (expected: " + OVERHEAD + "+)");
        }
        if (innerLength < 1 || innerLength > MAX_INNER_LENGTH) {
            throw new IllegalArgumentException(
                "inner packet length out of range: " + innerLength + " (expected: 1-" + MAX_INNER_LENGTH + ")");
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
        writeFrame(packet, remoteIp, remoteMac, etherType, tos, df, FlowHash.sourcePort(FlowHash.hash(packet, inner)));
    }

    /**
     * Like {@link #encapsulate} for any EtherType (e.g. an ARP reply), with the TOS and outer
     * source port given. Borrows {@code payload}; same headroom and length rules.
     */
    public void encapsulateFrame(ByteBuf payload, int remoteIp, long remoteMac, int etherType, int tos,
                                 int sourcePort) {
        writeFrame(payload, remoteIp, remoteMac, etherType, tos, false, sourcePort);
    }

    private void writeFrame(ByteBuf payload, int remoteIp, long remoteMac, int etherType, int tos, boolean df,
                            int sourcePort) {
        int inner = payload.readerIndex();
        int innerLength = payload.readableBytes();
        int outer = inner - OVERHEAD;
        if (outer < 0 || innerLength > MAX_INNER_LENGTH) {
            throw new IllegalArgumentException("VXLAN frame does not fit: headroom " + inner + " (expected: "
                + OVERHEAD + "+), payload " + innerLength + " (expected: 0-" + MAX_INNER_LENGTH + ")");
        }
        int udpLength = OVERHEAD - UDP_OFFSET + innerLength;
        Ipv4.writeHeader(payload, outer, tos, OVERHEAD + innerLength, df, OUTER_TTL, Ipv4.PROTO_UDP,
            localIp, remoteIp);
        payload.setInt(outer + UDP_OFFSET, (sourcePort << 16) | dstPort);
        payload.setInt(outer + UDP_OFFSET + 4, udpLength << 16); // length, checksum 0
        VxlanHeader.write(payload, outer + VXLAN_OFFSET, vni);
        Ethernet.write(payload, outer + ETHERNET_OFFSET, remoteMac, localMac, etherType);
        payload.readerIndex(outer);
    }

    public int vni() {
        return vni;
    }

    public int dstPort() {
        return dstPort;
    }
}
