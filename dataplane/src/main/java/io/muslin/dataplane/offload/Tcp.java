package io.muslin.dataplane.offload;

import io.muslin.dataplane.packet.Ipv4;
import io.muslin.dataplane.packet.Ipv6;
import io.netty.buffer.ByteBuf;

/**
 * The TCP header fields segmentation and coalescing touch (RFC 9293 §3.1).
 *
 * <pre>
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |          Source Port          |       Destination Port        |  0
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                        Sequence Number                        |  4
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                    Acknowledgment Number                      |  8
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |  Data |       |C|E|U|A|P|R|S|F|                               |
 * | Offset| Rsrvd |W|C|R|C|S|S|Y|I|            Window             | 12
 * |       |       |R|E|G|K|H|T|N|N|                               |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |           Checksum            |         Urgent Pointer        | 16
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                    Options (Data Offset > 5)                  | 20
 * </pre>
 */
public final class Tcp {
    public static final int SRC_PORT = 0;
    public static final int DST_PORT = 2;
    public static final int SEQ = 4;
    public static final int ACK = 8;
    public static final int DATA_OFFSET = 12;
    public static final int FLAGS = 13;
    public static final int WINDOW = 14;
    public static final int CHECKSUM = 16;
    public static final int URGENT = 18;

    public static final int MIN_HEADER = 20;
    public static final int MAX_HEADER = 60;

    /** Bits of the flags byte. */
    public static final int FIN = 0x01;
    public static final int SYN = 0x02;
    public static final int RST = 0x04;
    public static final int PSH = 0x08;
    public static final int FLAG_ACK = 0x10;
    public static final int URG = 0x20;
    public static final int ECE = 0x40;
    public static final int CWR = 0x80;

    private Tcp() {
    }

    /**
     * Locates the headers of a TCP packet of {@code length} bytes at {@code ip}: an IPv4
     * packet (options allowed, not a fragment) or an IPv6 packet whose next header is TCP (no
     * extension headers), with a whole TCP header (data offset 5-15) inside {@code length}.
     *
     * @return {@code ipHeaderLength | tcpHeaderLength << 8}, or -1 when it is not such a packet
     */
    public static int locate(ByteBuf buf, int ip, int length) {
        if (length < Ipv4.MIN_HEADER + MIN_HEADER) {
            return -1;
        }
        int ipHeader;
        switch (Ipv4.version(buf, ip)) {
            case Ipv4.VERSION -> {
                ipHeader = Ipv4.headerLength(buf, ip);
                if (ipHeader < Ipv4.MIN_HEADER || Ipv4.protocol(buf, ip) != Ipv4.PROTO_TCP
                    || Ipv4.isFragment(buf, ip)) {
                    return -1;
                }
            }
            case Ipv6.VERSION -> {
                ipHeader = Ipv6.HEADER_LENGTH;
                if (Ipv6.nextHeader(buf, ip) != Ipv4.PROTO_TCP) {
                    return -1;
                }
            }
            default -> {
                return -1;
            }
        }
        if (ipHeader + MIN_HEADER > length) {
            return -1;
        }
        int tcpHeader = headerLength(buf, ip + ipHeader);
        if (tcpHeader < MIN_HEADER || ipHeader + tcpHeader > length) {
            return -1;
        }
        return ipHeader | tcpHeader << 8;
    }

    /** The IP header length from a {@link #locate} result. */
    public static int ipHeaderLength(int located) {
        return located & 0xFF;
    }

    /** The TCP header length from a {@link #locate} result. */
    public static int tcpHeaderLength(int located) {
        return located >>> 8;
    }

    /** Data offset × 4: the header length with options, in bytes. */
    public static int headerLength(ByteBuf buf, int tcp) {
        return (buf.getUnsignedByte(tcp + DATA_OFFSET) >>> 4) << 2;
    }

    public static int flags(ByteBuf buf, int tcp) {
        return buf.getUnsignedByte(tcp + FLAGS);
    }

    public static int seq(ByteBuf buf, int tcp) {
        return buf.getInt(tcp + SEQ);
    }
}
