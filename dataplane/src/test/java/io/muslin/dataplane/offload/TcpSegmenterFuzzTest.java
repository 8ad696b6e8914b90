package io.muslin.dataplane.offload;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.muslin.dataplane.FuzzBuffers;
import io.muslin.dataplane.packet.Ipv4;
import io.muslin.dataplane.packet.Ipv6;
import io.netty.buffer.ByteBuf;
import java.util.Arrays;
import java.util.stream.Stream;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Fuzz target: a read from a TUN device in offload mode, a virtio_net_hdr and a packet,
 * handled as the offload TUN reader does: {@link VirtioNetHeader}'s fields pick a plain packet
 * whose checksum {@link Checksum#complete} finishes (NEEDS_CSUM), or a TCP super-packet that
 * {@link TcpSegmenter} cuts. Input: the 10-byte header, then the packet.
 *
 * <p>What must hold: no exception; a completed checksum verifies; a super-packet the segmenter
 * takes is cut into segments whose payloads are the super-packet's, in order, each at most
 * gso_size; every segment's headers fit the header slot, its IPv4 header checksum and its TCP
 * checksum verify, its sequence number follows the one before, FIN and PSH are only on the
 * last and CWR only on the first, and all else in its headers is the super-packet's.
 */
class TcpSegmenterFuzzTest {
    /** Room for a segment's IP and TCP headers in the reader's header slab slot (192 less the outer 50+). */
    private static final int HEADER_SLOT = 120;

    private final TcpSegmenter segmenter = new TcpSegmenter();

    static Stream<byte[]> seeds() {
        byte[] superV4 = TcpPackets.spec().flags(Tcp.FLAG_ACK | Tcp.PSH | Tcp.CWR).payload(TcpPackets.payload(3000, 1)).build();
        byte[] superV6 = TcpPackets.spec().v6().payload(TcpPackets.payload(2000, 2)).build();
        byte[] plain = TcpPackets.spec().payload(TcpPackets.payload(100, 3)).build();
        return Stream.of(
            read(VirtioNetHeader.FLAG_NEEDS_CSUM, VirtioNetHeader.GSO_TCPV4, 52, 1448, 20, 16, superV4),
            read(VirtioNetHeader.FLAG_NEEDS_CSUM, VirtioNetHeader.GSO_TCPV6 | VirtioNetHeader.GSO_ECN, 72, 1000, 40, 16, superV6),
            read(VirtioNetHeader.FLAG_NEEDS_CSUM, VirtioNetHeader.GSO_NONE, 0, 0, 20, 16, plain),
            read(0, VirtioNetHeader.GSO_NONE, 0, 0, 0, 0, plain));
    }

    private static byte[] read(int flags, int gsoType, int hdrLen, int gsoSize, int csumStart, int csumOffset, byte[] packet) {
        ByteBuf buf = FuzzBuffers.direct(VirtioNetHeader.LENGTH, packet, 0);
        try {
            VirtioNetHeader.write(buf, 0, flags, gsoType, hdrLen, gsoSize, csumStart, csumOffset);
            buf.readerIndex(0);
            return FuzzBuffers.readable(buf);
        } finally {
            buf.release();
        }
    }

    @MethodSource("seeds")
    @FuzzTest
    void read(byte[] input) {
        if (input.length < VirtioNetHeader.LENGTH) {
            return;
        }
        ByteBuf buf = FuzzBuffers.direct(input);
        try {
            int ip = VirtioNetHeader.LENGTH;
            int length = input.length - ip;
            int gsoType = VirtioNetHeader.gsoType(buf, 0);
            if (gsoType == VirtioNetHeader.GSO_NONE) {
                plain(buf, ip, length);
            } else if (gsoType == VirtioNetHeader.GSO_TCPV4 || gsoType == VirtioNetHeader.GSO_TCPV6) {
                int segments = segmenter.begin(buf, ip, length, VirtioNetHeader.gsoSize(buf, 0));
                if (segments >= 0) {
                    segments(buf, ip, length, segments, Arrays.copyOfRange(input, ip, input.length));
                }
            }
        } finally {
            assertTrue(buf.release());
        }
        FuzzBuffers.assertAllReleased();
    }

    private static void plain(ByteBuf buf, int ip, int length) {
        if ((VirtioNetHeader.flags(buf, 0) & VirtioNetHeader.FLAG_NEEDS_CSUM) == 0) {
            return;
        }
        int start = VirtioNetHeader.csumStart(buf, 0);
        int offset = VirtioNetHeader.csumOffset(buf, 0);
        boolean inside = start < length && start + offset + 2 <= length && offset % 2 == 0;
        int pseudo = inside ? buf.getUnsignedShort(ip + start + offset) : 0;
        assertEquals(inside, Checksum.complete(buf, ip, length, start, offset));
        if (inside) {
            assertEquals(0, Checksum.finish(pseudo + Checksum.sum(buf, ip + start, length - start)), "completed checksum");
        }
    }

    private void segments(ByteBuf buf, int ip, int length, int segments, byte[] original) {
        int headers = segmenter.headerLength();
        int gsoSize = VirtioNetHeader.gsoSize(buf, 0);
        assertTrue(segments >= 1);
        assertTrue(headers <= HEADER_SLOT, "headers of " + headers + " bytes overflow the slot");
        assertTrue(headers <= length);
        boolean ipv6 = segmenter.ipv6();
        int ipHeader = ipv6 ? Ipv6.HEADER_LENGTH : (original[0] & 0x0F) * 4;
        int seq0 = TcpPackets.u32(original, ipHeader + Tcp.SEQ);
        int flags0 = original[ipHeader + Tcp.FLAGS] & 0xFF;
        int expectedPayload = ip + headers;
        int total = 0;
        ByteBuf slot = FuzzBuffers.ALLOC.directBuffer(HEADER_SLOT, HEADER_SLOT);
        try {
            for (int k = 0; k < segments; k++) {
                int payload = segmenter.payloadLength(k);
                assertEquals(expectedPayload, segmenter.payloadIndex(k), "payloads follow each other");
                assertTrue(payload <= gsoSize && (payload > 0 || segments == 1), "segment " + k + " payload " + payload);
                assertEquals(headers + payload, segmenter.segmentLength(k));
                expectedPayload += payload;
                total += payload;
                if (k < 2 || k >= segments - 2) { // the first and last ones: all the rules show there
                    slot.clear();
                    segmenter.writeHeader(k, slot, 0);
                    byte[] segment = new byte[headers + payload];
                    slot.getBytes(0, segment, 0, headers);
                    buf.getBytes(segmenter.payloadIndex(k), segment, headers, payload);
                    checkSegment(segment, original, ipHeader, headers, k, segments, gsoSize, seq0, flags0, ipv6);
                }
            }
        } finally {
            assertTrue(slot.release());
        }
        assertEquals(length - headers, total, "the payloads are the super-packet's");
    }

    private static void checkSegment(byte[] segment, byte[] original, int ipHeader, int headers, int k, int segments,
                                     int gsoSize, int seq0, int flags0, boolean ipv6) {
        if (ipv6) {
            assertEquals(segment.length - Ipv6.HEADER_LENGTH, TcpPackets.u16(segment, Ipv6.PAYLOAD_LENGTH_OFFSET));
        } else {
            assertEquals(segment.length, TcpPackets.u16(segment, Ipv4.TOTAL_LENGTH));
            assertTrue(TcpPackets.ipv4ChecksumValid(segment), "segment " + k + " IPv4 checksum");
            assertEquals((TcpPackets.u16(original, Ipv4.ID) + k) & 0xFFFF, TcpPackets.u16(segment, Ipv4.ID));
        }
        assertTrue(TcpPackets.tcpChecksumValid(segment), "segment " + k + " TCP checksum");
        int tcp = ipHeader;
        assertEquals(seq0 + k * gsoSize, TcpPackets.u32(segment, tcp + Tcp.SEQ));
        int flags = segment[tcp + Tcp.FLAGS] & 0xFF;
        int expectedFlags = flags0;
        if (k != segments - 1) {
            expectedFlags &= ~(Tcp.FIN | Tcp.PSH);
        }
        if (k != 0) {
            expectedFlags &= ~Tcp.CWR;
        }
        assertEquals(expectedFlags, flags, "segment " + k + " flags");
        byte[] expected = Arrays.copyOf(original, headers);
        byte[] got = Arrays.copyOf(segment, headers);
        for (int i : ipv6 ? new int[] {4, 5} : new int[] {2, 3, 4, 5, 10, 11}) {
            got[i] = expected[i];
        }
        for (int i = tcp + Tcp.SEQ; i < tcp + Tcp.SEQ + 4; i++) {
            got[i] = expected[i];
        }
        got[tcp + Tcp.FLAGS] = expected[tcp + Tcp.FLAGS];
        got[tcp + Tcp.CHECKSUM] = expected[tcp + Tcp.CHECKSUM];
        got[tcp + Tcp.CHECKSUM + 1] = expected[tcp + Tcp.CHECKSUM + 1];
        assertArrayEquals(expected, got, "segment " + k + " headers otherwise the super-packet's");
    }
}
