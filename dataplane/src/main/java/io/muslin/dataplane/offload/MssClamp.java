package io.muslin.dataplane.offload;

import io.muslin.dataplane.packet.Ipv4;
import io.muslin.dataplane.packet.Ipv6;
import io.muslin.dataplane.table.Family;
import io.netty.buffer.ByteBuf;

/**
 * TCP MSS clamping: lowers the MSS option of an IPv4 or IPv6 TCP SYN (or SYN-ACK) to a limit,
 * with the TCP checksum updated incrementally (RFC 1624, eqn. 3), as {@code iptables ... TCPMSS}
 * and {@code ip6tables ... TCPMSS} do. Both ends of a connection then send segments that fit
 * the tunnel, without waiting for path-MTU discovery. The MSS counts the TCP payload only, so a
 * limit of L bytes of IP packet means an MSS of L - 40 over IPv4 and L - 60 over IPv6
 * ({@link #headers}). IPv6 packets with extension headers before TCP are left alone.
 */
public final class MssClamp {
    static final int OPTION_END = 0;
    static final int OPTION_NOP = 1;
    static final int OPTION_MSS = 2;
    static final int MSS_LENGTH = 4;

    private MssClamp() {
    }

    /** IP and TCP header bytes (without options) in front of a segment's payload: 40 for IPv4, 60 for IPv6. */
    public static int headers(Family family) {
        return family.headerLength() + Tcp.MIN_HEADER;
    }

    /**
     * Lowers the MSS option of the IPv4 or IPv6 TCP SYN at {@code buf[ip..ip+length)} to
     * {@code maxMss} when it is higher. Returns true when it rewrote the option; anything else
     * (not a first fragment of TCP, no SYN, no MSS option, MSS already small enough, malformed
     * options, IPv6 extension headers) is left as it is. The TCP checksum must be complete (not
     * a partial checksum left for offload); the pseudo-header does not change, so either family
     * is updated the same way.
     */
    public static boolean clamp(ByteBuf buf, int ip, int length, int maxMss) {
        if (length < Ipv4.MIN_HEADER) {
            return false;
        }
        int ihl;
        switch (Ipv4.version(buf, ip)) {
            case Ipv4.VERSION -> {
                if (Ipv4.protocol(buf, ip) != Ipv4.PROTO_TCP || Ipv4.isFragment(buf, ip)) {
                    return false;
                }
                ihl = Ipv4.headerLength(buf, ip);
            }
            case Ipv6.VERSION -> {
                if (length < Ipv6.HEADER_LENGTH || Ipv6.nextHeader(buf, ip) != Ipv6.NEXT_TCP) {
                    return false;
                }
                ihl = Ipv6.HEADER_LENGTH;
            }
            default -> {
                return false;
            }
        }
        int tcp = ip + ihl;
        if (ihl < Ipv4.MIN_HEADER || length < ihl + Tcp.MIN_HEADER || (Tcp.flags(buf, tcp) & Tcp.SYN) == 0) {
            return false;
        }
        int hl = Tcp.headerLength(buf, tcp);
        if (hl < Tcp.MIN_HEADER || length < ihl + hl) {
            return false;
        }
        int end = tcp + hl;
        for (int at = tcp + Tcp.MIN_HEADER; at < end; ) {
            int kind = buf.getUnsignedByte(at);
            if (kind == OPTION_END) {
                return false;
            }
            if (kind == OPTION_NOP) {
                at++;
                continue;
            }
            if (at + 1 >= end) {
                return false;
            }
            int len = buf.getUnsignedByte(at + 1);
            if (len < 2 || at + len > end) {
                return false;
            }
            if (kind == OPTION_MSS && len == MSS_LENGTH) {
                return lower(buf, tcp, at + 2, maxMss);
            }
            at += len;
        }
        return false;
    }

    /** Writes {@code maxMss} at {@code value} if lower, updating the checksum word by word. */
    private static boolean lower(ByteBuf buf, int tcp, int value, int maxMss) {
        if (buf.getUnsignedShort(value) <= maxMss) {
            return false;
        }
        // The 2 bytes lie in one 16-bit word of the segment, or straddle two (after an odd NOP).
        int first = tcp + ((value - tcp) & ~1);
        int words = value == first ? 1 : 2;
        int old0 = buf.getUnsignedShort(first);
        int old1 = words == 2 ? buf.getUnsignedShort(first + 2) : 0;
        buf.setShort(value, maxMss);
        int checksum = buf.getUnsignedShort(tcp + Tcp.CHECKSUM);
        checksum = update(checksum, old0, buf.getUnsignedShort(first));
        if (words == 2) {
            checksum = update(checksum, old1, buf.getUnsignedShort(first + 2));
        }
        buf.setShort(tcp + Tcp.CHECKSUM, checksum);
        return true;
    }

    /** RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m'). */
    static int update(int checksum, int oldWord, int newWord) {
        long sum = (~checksum & 0xFFFF) + (~oldWord & 0xFFFF) + newWord;
        return ~Checksum.fold(sum) & 0xFFFF;
    }
}
