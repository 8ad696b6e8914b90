package io.muslin.dataplane.offload;

import static io.muslin.dataplane.offload.TcpPackets.u16;
import static io.muslin.dataplane.offload.TcpPackets.u32;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.muslin.dataplane.packet.Packets;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class TcpSegmenterTest {
    private static final int HEADROOM = 70;

    /** Segments the super-packet described by {@code spec}; returns each segment's bytes, checked field by field. */
    private static List<byte[]> segment(TcpPackets.Spec spec, int gsoSize) {
        byte[] superPacket = spec.build();
        ByteBuf buf = Packets.buffer(HEADROOM, superPacket);
        ByteBuf slab = Unpooled.directBuffer(256);
        List<byte[]> out = new ArrayList<>();
        try {
            TcpSegmenter segmenter = new TcpSegmenter();
            int n = segmenter.begin(buf, HEADROOM, superPacket.length, gsoSize);
            int payload = spec.payload.length;
            assertEquals(payload == 0 ? 1 : (payload + gsoSize - 1) / gsoSize, n, "segments");
            int headers = spec.ipHeaderLength() + spec.tcpHeaderLength();
            assertEquals(headers, segmenter.headerLength());
            for (int k = 0; k < n; k++) {
                slab.writerIndex(0).writeZero(256);
                segmenter.writeHeader(k, slab, 3); // odd index: nothing assumes alignment
                byte[] seg = new byte[segmenter.segmentLength(k)];
                slab.getBytes(3, seg, 0, headers);
                buf.getBytes(segmenter.payloadIndex(k), seg, headers, segmenter.payloadLength(k));
                out.add(seg);
            }
            byte[] after = new byte[superPacket.length];
            buf.getBytes(HEADROOM, after);
            assertArrayEquals(superPacket, after, "the super-packet is left as it was");
        } finally {
            assertTrue(buf.release());
            assertTrue(slab.release());
        }
        return out;
    }

    /** What every segment of {@code spec} cut at {@code gsoSize} must look like, and that they add up to the stream. */
    private static void assertSegments(TcpPackets.Spec spec, int gsoSize, List<byte[]> segments) {
        int ipHeader = spec.ipHeaderLength();
        int headers = ipHeader + spec.tcpHeaderLength();
        ByteArrayOutputStream stream = new ByteArrayOutputStream();
        int n = segments.size();
        for (int k = 0; k < n; k++) {
            byte[] seg = segments.get(k);
            int payload = seg.length - headers;
            assertEquals(k < n - 1 ? gsoSize : spec.payload.length - (n - 1) * gsoSize, payload, "payload of " + k);
            if (spec.ipv6) {
                assertEquals(seg.length - 40, u16(seg, 4), "IPv6 payload length");
                assertArrayEquals(Arrays.copyOfRange(spec.build(), 0, 4), Arrays.copyOfRange(seg, 0, 4));
            } else {
                assertEquals(seg.length, u16(seg, 2), "IPv4 total length");
                assertEquals((spec.id + k) & 0xFFFF, u16(seg, 4), "IPv4 ID");
                assertTrue(TcpPackets.ipv4ChecksumValid(seg), "IPv4 header checksum of " + k);
                assertArrayEquals(spec.ipOptions, Arrays.copyOfRange(seg, 20, ipHeader), "IP options");
            }
            int tcp = ipHeader;
            assertEquals(spec.seq + k * gsoSize, u32(seg, tcp + 4), "seq of " + k);
            assertEquals(spec.ack, u32(seg, tcp + 8), "ack");
            int flags = spec.flags;
            if (k < n - 1) {
                flags &= ~(Tcp.FIN | Tcp.PSH);
            }
            if (k > 0) {
                flags &= ~Tcp.CWR;
            }
            assertEquals(flags, seg[tcp + 13] & 0xFF, "flags of " + k);
            assertEquals(spec.window, u16(seg, tcp + 14));
            assertArrayEquals(spec.tcpOptions, Arrays.copyOfRange(seg, tcp + 20, headers), "TCP options");
            assertTrue(TcpPackets.tcpChecksumValid(seg), "TCP checksum of " + k);
            stream.writeBytes(Arrays.copyOfRange(seg, headers, seg.length));
        }
        assertArrayEquals(spec.payload, stream.toByteArray(), "segments re-assembled = the stream");
    }

    @ParameterizedTest(name = "{0} bytes at MSS {1}")
    @CsvSource({
        "65483, 1398",  // the largest IPv4 super-packet with timestamps; last segment short
        "13980, 1398",  // exact multiple: no short segment
        "1399,  1398",  // one byte spills into a second segment
        "1398,  1398",  // fits one segment exactly
        "100,   1398",  // smaller than one segment
        "5000,  1",     // one byte per segment
        "4001,  1001",  // odd MSS: payload slices start at odd offsets
    })
    void ipv4(int payload, int mss) {
        TcpPackets.Spec spec = TcpPackets.spec().payload(TcpPackets.payload(payload, 3)).flags(Tcp.FLAG_ACK | Tcp.PSH);
        assertSegments(spec, mss, segment(spec, mss));
    }

    @Test
    void ipv4WithIpOptionsAndNoTcpOptions() {
        TcpPackets.Spec spec = TcpPackets.spec().payload(TcpPackets.payload(9000, 1));
        spec.ipOptions = Packets.bytes("94040000"); // router alert
        spec.tcpOptions = new byte[0];
        assertSegments(spec, 1460, segment(spec, 1460));
    }

    @Test
    void ipv4MaximumTcpOptions() {
        TcpPackets.Spec spec = TcpPackets.spec().payload(TcpPackets.payload(3000, 9));
        spec.tcpOptions = TcpPackets.payload(40, 0x11);
        assertSegments(spec, 1000, segment(spec, 1000));
    }

    @Test
    void finAndPshOnlyOnTheLastCwrOnlyOnTheFirst() {
        TcpPackets.Spec spec = TcpPackets.spec().payload(TcpPackets.payload(4000, 2))
            .flags(Tcp.FLAG_ACK | Tcp.PSH | Tcp.FIN | Tcp.CWR | Tcp.ECE);
        List<byte[]> segments = segment(spec, 1398);
        assertSegments(spec, 1398, segments);
        assertEquals(Tcp.FLAG_ACK | Tcp.CWR | Tcp.ECE, segments.get(0)[33] & 0xFF);
        assertEquals(Tcp.FLAG_ACK | Tcp.ECE, segments.get(1)[33] & 0xFF);
        assertEquals(Tcp.FLAG_ACK | Tcp.PSH | Tcp.FIN | Tcp.ECE, segments.get(2)[33] & 0xFF);
    }

    @Test
    void sequenceAndIdWrapAround() {
        TcpPackets.Spec spec = TcpPackets.spec().payload(TcpPackets.payload(5000, 4)).seq(0xFFFF_F000);
        spec.id = 0xFFFE;
        assertSegments(spec, 1398, segment(spec, 1398));
    }

    @Test
    void ipv6() {
        TcpPackets.Spec spec = TcpPackets.spec().v6().payload(TcpPackets.payload(65463, 6)).flags(Tcp.FLAG_ACK | Tcp.PSH);
        spec.tos = 0xB8;
        assertSegments(spec, 1378, segment(spec, 1378));
    }

    @Test
    void aPacketWithoutPayloadIsOneSegment() {
        TcpPackets.Spec spec = TcpPackets.spec();
        assertSegments(spec, 1398, segment(spec, 1398));
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({
        "UDP,                          4500002812344000401100000af501020af502039c4014510014 0000 000000000000000000000000",
        "IPv4 fragment (MF),           450000281234200040060000 0af50102 0af50203 9c4014510000000100000002 5010 01f6 0000 0000",
        "IHL 4,                        440000281234400040060000 0af50102 0af50203 9c4014510000000100000002 5010 01f6 0000 0000",
        "TCP header cut short,         450000201234400040060000 0af50102 0af50203",
        "data offset 4,                450000281234400040060000 0af50102 0af50203 9c4014510000000100000002 4010 01f6 0000 0000",
        "data offset past the end,     450000281234400040060000 0af50102 0af50203 9c4014510000000100000002 6010 01f6 0000 0000",
        "IPv6 hop-by-hop header,       6000000000080040 fd000000000000010000000000000002 fd000000000000020000000000000003 0600000000000000",
        "version 5,                    550000281234400040060000 0af50102 0af50203 9c4014510000000100000002 5010 01f6 0000 0000",
    })
    void refusesWhatItCannotCut(String what, String hex) {
        byte[] packet = Packets.bytes(hex);
        ByteBuf buf = Packets.buffer(0, packet);
        try {
            assertEquals(-1, new TcpSegmenter().begin(buf, 0, packet.length, 1000), what);
        } finally {
            assertTrue(buf.release());
        }
    }

    @Test
    void refusesGsoSizeZero() {
        byte[] packet = TcpPackets.spec().payload(new byte[100]).build();
        ByteBuf buf = Packets.buffer(0, packet);
        try {
            assertEquals(-1, new TcpSegmenter().begin(buf, 0, packet.length, 0));
        } finally {
            assertTrue(buf.release());
        }
    }
}
