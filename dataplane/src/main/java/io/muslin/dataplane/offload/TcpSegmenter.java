package io.muslin.dataplane.offload;

import io.muslin.dataplane.packet.Ipv4;
import io.muslin.dataplane.packet.Ipv6;
import io.netty.buffer.ByteBuf;

/**
 * Software TSO: cuts a TCP super-packet (what a TUN read returns for {@code gso_type}
 * TCPV4/TCPV6) into segments of at most {@code gso_size} payload bytes, as the kernel's
 * {@code tcp_gso_segment} would, without copying the payload: each segment is a fresh
 * IP + TCP header (written by {@link #writeHeader}) followed by a slice of the super-packet's
 * payload ({@link #payloadIndex}, {@link #payloadLength}).
 *
 * <pre>
 *  super-packet:  | IP | TCP | payload 0 (gso_size) | payload 1 | ... | payload n-1 (≤ gso_size) |
 *  segment k:     | IP'| TCP'| payload k |
 *    IPv4: total length = headers + payload k, ID = ID + k, header checksum recomputed
 *    IPv6: payload length = TCP header + payload k
 *    TCP:  seq = seq + k × gso_size; FIN and PSH only on the last, CWR only on the first;
 *          checksum over the pseudo-header, TCP header and payload k (complete)
 * </pre>
 *
 * The header lengths come from the packet itself, not from {@code hdr_len} (which some
 * kernels report wrong, as wireguard-go notes). One instance per thread: {@link #begin}
 * parses a super-packet, the other methods then describe its segments; nothing is allocated.
 */
public final class TcpSegmenter {
    private ByteBuf packet;
    private int ip;
    private boolean ipv6;
    private int ipHeader;
    private int headers;
    private int gsoSize;
    private int payloadLength;
    private int segments;
    private int seq;
    private int id;
    private int flags;

    /**
     * Parses the super-packet of {@code length} bytes at {@code ip} in {@code packet} (borrowed;
     * it must stay unchanged while its segments are written).
     *
     * @param gsoSize payload bytes per segment, 1..65535
     * @return the number of segments (1 when the payload fits one), or -1 when this is not a
     *         TCP/IPv4 or TCP/IPv6 packet the segmenter can cut (see {@link Tcp#locate})
     */
    public int begin(ByteBuf packet, int ip, int length, int gsoSize) {
        int located = Tcp.locate(packet, ip, length);
        if (located < 0 || gsoSize <= 0) {
            return -1;
        }
        this.packet = packet;
        this.ip = ip;
        this.ipv6 = Ipv4.version(packet, ip) == Ipv6.VERSION;
        this.ipHeader = Tcp.ipHeaderLength(located);
        this.headers = ipHeader + Tcp.tcpHeaderLength(located);
        this.gsoSize = gsoSize;
        this.payloadLength = length - headers;
        this.segments = payloadLength == 0 ? 1 : (payloadLength + gsoSize - 1) / gsoSize;
        int tcp = ip + ipHeader;
        this.seq = Tcp.seq(packet, tcp);
        this.id = ipv6 ? 0 : packet.getUnsignedShort(ip + Ipv4.ID);
        this.flags = Tcp.flags(packet, tcp);
        return segments;
    }

    public int segmentCount() {
        return segments;
    }

    /** IP plus TCP header bytes at the front of every segment. */
    public int headerLength() {
        return headers;
    }

    public boolean ipv6() {
        return ipv6;
    }

    /** Absolute index in the super-packet's buffer of segment {@code k}'s payload. */
    public int payloadIndex(int k) {
        return ip + headers + k * gsoSize;
    }

    public int payloadLength(int k) {
        return k < segments - 1 ? gsoSize : payloadLength - (segments - 1) * gsoSize;
    }

    /** Header plus payload bytes of segment {@code k}. */
    public int segmentLength(int k) {
        return headers + payloadLength(k);
    }

    /**
     * Writes segment {@code k}'s IP and TCP headers, {@link #headerLength()} bytes, at
     * {@code index} in {@code dst}, checksums complete.
     */
    public void writeHeader(int k, ByteBuf dst, int index) {
        int payload = payloadLength(k);
        NativeMemory.copy(packet, ip, dst, index, headers);
        if (ipv6) {
            dst.setShort(index + Ipv6.PAYLOAD_LENGTH_OFFSET, headers - ipHeader + payload);
        } else {
            dst.setShort(index + Ipv4.TOTAL_LENGTH, headers + payload);
            dst.setShort(index + Ipv4.ID, id + k);
            dst.setShort(index + Ipv4.CHECKSUM, 0);
            dst.setShort(index + Ipv4.CHECKSUM, Checksum.finish(Checksum.sum(dst, index, ipHeader)));
        }
        int tcp = index + ipHeader;
        int segmentFlags = flags;
        if (k != segments - 1) {
            segmentFlags &= ~(Tcp.FIN | Tcp.PSH);
        }
        if (k != 0) {
            segmentFlags &= ~Tcp.CWR;
        }
        dst.setInt(tcp + Tcp.SEQ, seq + k * gsoSize);
        dst.setByte(tcp + Tcp.FLAGS, segmentFlags);
        dst.setShort(tcp + Tcp.CHECKSUM, 0);
        int tcpLength = headers - ipHeader + payload;
        long sum = Checksum.pseudoHeaderTcp(dst, index, ipv6, tcpLength)
            + Checksum.sum(dst, tcp, headers - ipHeader)
            + Checksum.sum(packet, payloadIndex(k), payload);
        dst.setShort(tcp + Tcp.CHECKSUM, Checksum.finish(sum));
    }
}
