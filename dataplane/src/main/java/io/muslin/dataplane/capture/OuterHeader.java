package io.muslin.dataplane.capture;

import io.muslin.dataplane.packet.Ipv4;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The outer IPv4 and UDP headers of a received VXLAN datagram, rebuilt for the capture: the UDP
 * socket hands muslin the payload and the sender's address and port only. What the socket does
 * not say is written as fixed values (and the interface description says so): TTL 64, ID 0,
 * no DF, TOS 0, UDP checksum 0.
 *
 * <pre>
 *  IPv4 (20): 45 00 | total length | 0000 | 0000 | 40 11 | checksum | source | destination
 *  UDP   (8): source port | destination port | length | 0000
 * </pre>
 */
final class OuterHeader {
    static final int LENGTH = Ipv4.MIN_HEADER + 8;
    /** VXLAN header and inner Ethernet header: where the inner packet starts in a VXLAN payload. */
    static final int VXLAN_AND_ETHERNET = 8 + 14;
    private static final int TTL = 64;
    private static final ValueLayout.OfByte BYTE = ValueLayout.JAVA_BYTE;
    private static final MemorySegment ALL = MemorySegment.NULL.reinterpret(Long.MAX_VALUE);

    private OuterHeader() {
    }

    /** Writes the {@value #LENGTH} bytes at {@code offset} of {@code dst} for a UDP payload of {@code payloadLength}. */
    static void write(MemorySegment dst, long offset, int source, int destination, int sourcePort, int destinationPort,
                      int payloadLength) {
        int total = Math.min(0xFFFF, LENGTH + payloadLength);
        int ttlProtocol = TTL << 8 | Ipv4.PROTO_UDP;
        long sum = 0x4500L + total + ttlProtocol + (source >>> 16) + (source & 0xFFFF) + (destination >>> 16)
            + (destination & 0xFFFF);
        while (sum >>> 16 != 0) {
            sum = (sum & 0xFFFF) + (sum >>> 16);
        }
        putShort(dst, offset, 0x4500);
        putShort(dst, offset + 2, total);
        putShort(dst, offset + 4, 0);
        putShort(dst, offset + 6, 0);
        putShort(dst, offset + 8, ttlProtocol);
        putShort(dst, offset + 10, (int) ~sum & 0xFFFF);
        putShort(dst, offset + 12, source >>> 16);
        putShort(dst, offset + 14, source);
        putShort(dst, offset + 16, destination >>> 16);
        putShort(dst, offset + 18, destination);
        putShort(dst, offset + 20, sourcePort);
        putShort(dst, offset + 22, destinationPort);
        putShort(dst, offset + 24, Math.min(0xFFFF, 8 + payloadLength));
        putShort(dst, offset + 26, 0);
    }

    /** The header length of the IPv4 header at native {@code address} (its IHL × 4). */
    static int ipv4HeaderLength(long address) {
        return (ALL.get(BYTE, address) & 0x0F) * 4;
    }

    private static void putShort(MemorySegment dst, long at, int v) {
        dst.set(BYTE, at, (byte) (v >>> 8));
        dst.set(BYTE, at + 1, (byte) v);
    }
}
