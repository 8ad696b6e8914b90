package io.muslin.dataplane.path;

import io.muslin.dataplane.offload.Checksum;
import io.muslin.dataplane.packet.Ipv4;
import io.muslin.dataplane.packet.Ipv6;
import io.netty.buffer.ByteBuf;

/**
 * The inbound path's checksum stage: verifies the TCP or UDP checksum of a decapsulated inner
 * packet, and completes one that the sending kernel left unfinished.
 *
 * <p><b>Why.</b> A Linux sender hands a TCP/UDP packet to its device with
 * {@code CHECKSUM_PARTIAL}: the checksum field holds only the folded pseudo-header sum, and
 * the NIC is to add the rest. A veth, or a virtio NIC between VMs on one host, passes that state
 * on instead of finishing the sum, and the kernel's VXLAN (or {@code tunl0}) encapsulates the
 * packet as it is, so the inner checksum reaches us unfinished (flannel #1279, Calico #3145).
 * The kernel's own receiver trusts the state it was handed; we read bytes, so we finish the
 * checksum as the NIC would have: the one's complement of the sum from the transport header to
 * the end (which already contains the pseudo-header sum in the field).
 *
 * <p><b>Recognising it.</b> A checksum that does not verify, and whose field equals the folded
 * pseudo-header sum of the packet, is unfinished ({@link #COMPLETED} after this call). If a
 * correct checksum happens to equal that value, completing it rewrites the same value (the sum
 * of the pseudo-header equals its fold in one's-complement arithmetic), so the test cannot harm
 * a good packet. Anything else that does not verify is {@link #BAD}.
 *
 * <p>Only unfragmented IPv4 and IPv6 packets without extension headers carrying TCP or UDP are
 * checked; everything else (ICMP, fragments, UDP over IPv4 without a checksum) is
 * {@link #NOT_CHECKED} and left to the kernel. The caller has validated the IP header and total
 * length. No allocation; borrows the buffer.
 */
public final class InnerChecksum {
    /** Not a packet whose transport checksum we check. */
    public static final int NOT_CHECKED = 0;
    /** The checksum verifies. */
    public static final int VALID = 1;
    /** The checksum was unfinished (pseudo-header sum only) and has been completed in place. */
    public static final int COMPLETED = 2;
    /** The checksum is wrong. */
    public static final int BAD = 3;
    /**
     * A TCP packet longer than the tunnel MTU: a super-packet a kernel peer sent whole, whose
     * checksum was left for segmentation (see {@link #check(ByteBuf, int, int)}); not checked.
     */
    public static final int SUPER_PACKET = 4;

    private static final int TCP_CHECKSUM = 16;
    private static final int TCP_MIN_HEADER = 20;
    private static final int UDP_CHECKSUM = 6;
    private static final int UDP_HEADER = 8;

    private InnerChecksum() {
    }

    /**
     * Checks (and, when unfinished, completes) the transport checksum of the IP packet at
     * {@code ip}, whose headers and total length have been validated.
     *
     * @return {@link #NOT_CHECKED}, {@link #VALID}, {@link #COMPLETED} or {@link #BAD}
     */
    public static int check(ByteBuf buf, int ip) {
        return check(buf, ip, Integer.MAX_VALUE);
    }

    /**
     * {@link #check(ByteBuf, int)}, but a TCP packet longer than {@code mtu} is a
     * {@link #SUPER_PACKET}: a kernel peer's TSO frame that reached us whole (a tunnel GSO packet
     * over a veth or virtio NIC arrives at a UDP socket as one datagram). Its checksum holds the
     * pseudo-header sum for the kernel's segmentation to finish; there is nothing to verify, and
     * the TUN writer hands it to the kernel as GSO, which computes every segment's checksum.
     */
    public static int check(ByteBuf buf, int ip, int mtu) {
        int protocol;
        int header;
        int transportLength;
        long pseudo;
        boolean ipv4 = Ipv4.version(buf, ip) == Ipv4.VERSION;
        if (ipv4) {
            if (Ipv4.isFragment(buf, ip)) {
                return NOT_CHECKED;
            }
            protocol = Ipv4.protocol(buf, ip);
            header = Ipv4.headerLength(buf, ip);
            transportLength = Ipv4.totalLength(buf, ip) - header;
            pseudo = Checksum.pseudoHeaderIpv4(Ipv4.src(buf, ip), Ipv4.dst(buf, ip), protocol, transportLength);
        } else {
            protocol = Ipv6.nextHeader(buf, ip);
            header = Ipv6.HEADER_LENGTH;
            transportLength = Ipv6.payloadLength(buf, ip);
            pseudo = Checksum.pseudoHeaderIpv6(buf, ip + Ipv6.SRC, protocol, transportLength);
        }
        int field;
        if (protocol == Ipv4.PROTO_TCP) {
            if (transportLength < TCP_MIN_HEADER) {
                return BAD;
            }
            if (header + transportLength > mtu) {
                return SUPER_PACKET;
            }
            field = TCP_CHECKSUM;
        } else if (protocol == Ipv4.PROTO_UDP) {
            if (transportLength < UDP_HEADER) {
                return BAD;
            }
            if (buf.getUnsignedShort(ip + header + UDP_CHECKSUM) == 0) {
                // RFC 768: no checksum (IPv4 only; over IPv6 RFC 8200 §8.1 forbids it).
                return ipv4 ? NOT_CHECKED : BAD;
            }
            field = UDP_CHECKSUM;
        } else {
            return NOT_CHECKED;
        }
        int transport = ip + header;
        long segment = Checksum.sum(buf, transport, transportLength);
        if (Checksum.finish(pseudo + segment) == 0) {
            return VALID;
        }
        if (buf.getUnsignedShort(transport + field) != Checksum.fold(pseudo)) {
            return BAD;
        }
        int csum = Checksum.finish(segment);
        buf.setShort(transport + field, csum == 0 && protocol == Ipv4.PROTO_UDP ? 0xFFFF : csum);
        return COMPLETED;
    }

    /**
     * {@link #check(ByteBuf, int, int)} for the inbound paths: counts a completion, and a bad
     * checksum as a drop.
     *
     * @return true when the packet may go on to the TUN device
     */
    static boolean admit(ByteBuf buf, int ip, int mtu, Counters counters) {
        switch (check(buf, ip, mtu)) {
            case COMPLETED -> counters.inc(Counter.RX_CHECKSUMS_COMPLETED);
            case BAD -> {
                counters.inc(Counter.DROP_BAD_CHECKSUM);
                return false;
            }
            default -> {
            }
        }
        return true;
    }
}
