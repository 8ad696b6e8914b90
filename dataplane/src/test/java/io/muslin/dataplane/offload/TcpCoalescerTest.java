package io.muslin.dataplane.offload;

import static io.muslin.dataplane.offload.TcpPackets.u16;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.muslin.dataplane.packet.Packets;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class TcpCoalescerTest {
    /** Where a decapsulated inner packet starts in a receive buffer (VXLAN 8 + Ethernet 14). */
    private static final int AT = 22;
    private static final int MSS = 1398;

    private final TcpCoalescer coalescer = new TcpCoalescer(128);
    private final List<ByteBuf> buffers = new ArrayList<>();

    @AfterEach
    void release() {
        coalescer.reset();
        for (ByteBuf b : buffers) {
            assertTrue(b.release());
        }
    }

    // ---- building batches ----

    /** Consecutive segments of one flow: {@code sizes[i]} payload bytes each, IDs and seqs following on. */
    private static List<TcpPackets.Spec> stream(TcpPackets.Spec first, int... sizes) {
        List<TcpPackets.Spec> out = new ArrayList<>();
        int seq = first.seq;
        int id = first.id;
        int seed = 0;
        for (int size : sizes) {
            TcpPackets.Spec s = first.copy();
            s.seq = seq;
            s.id = id++;
            s.payload = TcpPackets.payload(size, seed++);
            out.add(s);
            seq += size;
        }
        return out;
    }

    private void add(TcpPackets.Spec... specs) {
        for (TcpPackets.Spec s : specs) {
            add(s.build());
        }
    }

    private void add(List<TcpPackets.Spec> specs) {
        add(specs.toArray(new TcpPackets.Spec[0]));
    }

    private int add(byte[] packet) {
        ByteBuf buf = Packets.buffer(AT, packet);
        buffers.add(buf);
        return coalescer.add(buf, AT, packet.length);
    }

    /** The packet numbers of each group, in write order. */
    private List<List<Integer>> groups() {
        List<List<Integer>> out = new ArrayList<>();
        for (int g = 0; g < coalescer.groupCount(); g++) {
            List<Integer> members = new ArrayList<>();
            for (int p = coalescer.first(g); p >= 0; p = coalescer.next(p)) {
                members.add(p);
            }
            assertEquals(members.size(), coalescer.groupSize(g));
            out.add(members);
        }
        return out;
    }

    private static List<List<Integer>> groups(Integer[]... groups) {
        List<List<Integer>> out = new ArrayList<>();
        for (Integer[] g : groups) {
            out.add(Arrays.asList(g));
        }
        return out;
    }

    private static Integer[] g(Integer... members) {
        return members;
    }

    /**
     * Finishes group {@code g} and returns the super-packet as the kernel would receive it:
     * virtio_net_hdr, then the first packet's (rewritten) header and payload, then the others' payloads.
     */
    private byte[] superPacket(int g) {
        int first = coalescer.first(g);
        ByteBuf buf = coalescer.buffer(first);
        coalescer.finish(g, buf, AT - VirtioNetHeader.LENGTH);
        byte[] head = new byte[VirtioNetHeader.LENGTH + coalescer.length(first)];
        buf.getBytes(AT - VirtioNetHeader.LENGTH, head);
        List<byte[]> parts = new ArrayList<>();
        parts.add(head);
        for (int p = coalescer.next(first); p >= 0; p = coalescer.next(p)) {
            int headers = coalescer.headerLength(p);
            byte[] payload = new byte[coalescer.length(p) - headers];
            coalescer.buffer(p).getBytes(coalescer.ipIndex(p) + headers, payload);
            parts.add(payload);
        }
        return TcpPackets.concat(parts.toArray(new byte[0][]));
    }

    /**
     * Checks a coalesced super-packet (with its virtio_net_hdr) the way the kernel would use it
     * and returns it cut back into segments by {@link TcpSegmenter} after completing the checksum.
     */
    private static List<byte[]> verifyAndResegment(byte[] withHeader, int ipHeader, int headers, int gsoSize,
                                                   boolean ipv6) {
        ByteBuf hdr = Unpooled.wrappedBuffer(withHeader, 0, VirtioNetHeader.LENGTH);
        assertEquals(VirtioNetHeader.FLAG_NEEDS_CSUM, VirtioNetHeader.flags(hdr, 0));
        assertEquals(ipv6 ? VirtioNetHeader.GSO_TCPV6 : VirtioNetHeader.GSO_TCPV4, VirtioNetHeader.gsoType(hdr, 0));
        assertEquals(headers, VirtioNetHeader.hdrLen(hdr, 0));
        assertEquals(gsoSize, VirtioNetHeader.gsoSize(hdr, 0));
        assertEquals(ipHeader, VirtioNetHeader.csumStart(hdr, 0));
        assertEquals(16, VirtioNetHeader.csumOffset(hdr, 0));
        assertTrue(hdr.release());

        byte[] packet = Arrays.copyOfRange(withHeader, VirtioNetHeader.LENGTH, withHeader.length);
        if (ipv6) {
            assertEquals(packet.length - 40, u16(packet, 4));
        } else {
            assertEquals(packet.length, u16(packet, 2));
            assertTrue(TcpPackets.ipv4ChecksumValid(packet), "IPv4 header checksum");
        }
        // NEEDS_CSUM, done as virtio says: the one's complement of the sum from csum_start on, into the field.
        int csum = Packets.referenceChecksum(packet, ipHeader, packet.length - ipHeader);
        packet[ipHeader + 16] = (byte) (csum >>> 8);
        packet[ipHeader + 17] = (byte) csum;
        assertTrue(TcpPackets.tcpChecksumValid(packet), "TCP checksum after completion");

        ByteBuf buf = Packets.buffer(0, packet);
        ByteBuf slab = Unpooled.directBuffer(256);
        List<byte[]> out = new ArrayList<>();
        try {
            TcpSegmenter segmenter = new TcpSegmenter();
            int n = segmenter.begin(buf, 0, packet.length, gsoSize);
            for (int k = 0; k < n; k++) {
                segmenter.writeHeader(k, slab, 0);
                byte[] seg = new byte[segmenter.segmentLength(k)];
                slab.getBytes(0, seg, 0, headers);
                buf.getBytes(segmenter.payloadIndex(k), seg, headers, segmenter.payloadLength(k));
                out.add(seg);
            }
        } finally {
            assertTrue(buf.release());
            assertTrue(slab.release());
        }
        return out;
    }

    private static void assertSamePackets(List<TcpPackets.Spec> expected, List<byte[]> actual) {
        assertEquals(expected.size(), actual.size(), "segments");
        for (int i = 0; i < expected.size(); i++) {
            assertArrayEquals(expected.get(i).build(), actual.get(i), "segment " + i);
        }
    }

    // ---- what merges ----

    @Test
    void aRunOfFullSegmentsAndAShortPushedLastBecomesOneSuperPacket() {
        List<TcpPackets.Spec> run = stream(TcpPackets.spec(), MSS, MSS, MSS, MSS, MSS, MSS, MSS, MSS, MSS, MSS, 500);
        run.get(10).flags = Tcp.FLAG_ACK | Tcp.PSH;
        add(run);
        assertEquals(groups(g(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10)), groups());
        assertEquals(52 + 10 * MSS + 500, coalescer.groupLength(0));
        byte[] sp = superPacket(0);
        assertEquals(10 + 52 + 10 * MSS + 500, sp.length);
        assertEquals(Tcp.FLAG_ACK | Tcp.PSH, sp[10 + 33] & 0xFF, "PSH of the last segment on the super-packet");
        assertSamePackets(run, verifyAndResegment(sp, 20, 52, MSS, false));
    }

    @Test
    void ipv6Segments() {
        TcpPackets.Spec first = TcpPackets.spec().v6();
        List<TcpPackets.Spec> run = stream(first, 1378, 1378, 1378, 1000);
        add(run);
        assertEquals(groups(g(0, 1, 2, 3)), groups());
        assertSamePackets(run, verifyAndResegment(superPacket(0), 40, 72, 1378, true));
    }

    @Test
    void ipv4OptionsThatMatch() {
        TcpPackets.Spec first = TcpPackets.spec();
        first.ipOptions = Packets.bytes("94040000");
        List<TcpPackets.Spec> run = stream(first, 1000, 1000, 1000);
        add(run);
        assertEquals(groups(g(0, 1, 2)), groups());
        assertSamePackets(run, verifyAndResegment(superPacket(0), 24, 56, 1000, false));
    }

    @Test
    void interleavedFlowsEachCoalesceInOrder() {
        List<TcpPackets.Spec> a = stream(TcpPackets.spec(), MSS, MSS, MSS);
        TcpPackets.Spec otherFlow = TcpPackets.spec();
        otherFlow.sport = 40001;
        List<TcpPackets.Spec> b = stream(otherFlow, MSS, MSS);
        add(a.get(0), b.get(0), a.get(1), b.get(1), a.get(2));
        assertEquals(groups(g(0, 2, 4), g(1, 3)), groups());
        assertSamePackets(a, verifyAndResegment(superPacket(0), 20, 52, MSS, false));
        assertSamePackets(b, verifyAndResegment(superPacket(1), 20, 52, MSS, false));
    }

    @Test
    void otherProtocolsPassAsTheyAre() {
        List<TcpPackets.Spec> a = stream(TcpPackets.spec(), MSS, MSS);
        byte[] udp = Packets.bytes("4500002812344000401100000af501020af502039c4014510014 0000 000000000000000000000000");
        add(a.get(0));
        add(udp);
        add(a.get(1));
        assertEquals(groups(g(0, 2), g(1)), groups());
    }

    @Test
    void aGroupStopsBelow64Kilobytes() {
        int[] sizes = new int[47];
        Arrays.fill(sizes, MSS);
        List<TcpPackets.Spec> run = stream(TcpPackets.spec(), sizes);
        add(run);
        List<List<Integer>> groups = groups();
        assertEquals(2, groups.size());
        assertEquals(46, groups.get(0).size()); // 52 + 46 × 1398 = 64360; one more would be 65758
        assertEquals(List.of(46), groups.get(1));
        assertTrue(coalescer.groupLength(0) <= TcpCoalescer.MAX_LENGTH);
        assertSamePackets(run.subList(0, 46), verifyAndResegment(superPacket(0), 20, 52, MSS, false));
    }

    @Test
    void aGroupStopsAt64Segments() {
        int[] sizes = new int[70];
        Arrays.fill(sizes, 100);
        List<TcpPackets.Spec> run = stream(TcpPackets.spec(), sizes);
        add(run);
        List<List<Integer>> groups = groups();
        assertEquals(2, groups.size());
        assertEquals(TcpCoalescer.MAX_SEGMENTS, groups.get(0).size());
        assertEquals(70 - TcpCoalescer.MAX_SEGMENTS, groups.get(1).size());
        assertSamePackets(run.subList(0, 64), verifyAndResegment(superPacket(0), 20, 52, 100, false));
        assertSamePackets(run.subList(64, 70), verifyAndResegment(superPacket(1), 20, 52, 100, false));
    }

    // ---- what must not merge ----

    private void assertNotMerged(Consumer<TcpPackets.Spec> changeSecond) {
        List<TcpPackets.Spec> run = stream(TcpPackets.spec(), MSS, MSS, MSS);
        changeSecond.accept(run.get(1));
        add(run);
        assertEquals(1, groups().get(0).size(), "the first segment stays alone");
        assertEquals(0, groups().get(0).get(0));
    }

    @Test
    void gapInSequence() {
        assertNotMerged(s -> s.seq += 1);
    }

    @Test
    void retransmittedSequence() {
        assertNotMerged(s -> s.seq -= MSS);
    }

    @Test
    void differentAck() {
        assertNotMerged(s -> s.ack += 1);
    }

    @Test
    void differentWindow() {
        assertNotMerged(s -> s.window += 1);
    }

    @Test
    void differentTimestamps() {
        assertNotMerged(s -> s.tcpOptions = Packets.bytes("0101 080a 0001 e241 0000 3039"));
    }

    @Test
    void differentTcpHeaderLength() {
        assertNotMerged(s -> s.tcpOptions = new byte[0]);
    }

    @Test
    void differentTtl() {
        assertNotMerged(s -> s.ttl = 63);
    }

    @Test
    void differentTosOrEcnMark() {
        assertNotMerged(s -> s.tos = 0x03); // CE
    }

    @Test
    void differentDontFragment() {
        assertNotMerged(s -> s.df = false);
    }

    @Test
    void differentIpOptions() {
        assertNotMerged(s -> s.ipOptions = Packets.bytes("94040000"));
    }

    @Test
    void differentAddress() {
        assertNotMerged(s -> s.dst += 1);
    }

    @Test
    void differentIpv6FlowLabel() {
        List<TcpPackets.Spec> run = stream(TcpPackets.spec().v6(), 1378, 1378);
        run.get(1).flowLabel = 0x54321;
        add(run);
        assertEquals(groups(g(0), g(1)), groups());
    }

    @Test
    void largerSegmentAfterASmallerFirst() {
        add(stream(TcpPackets.spec(), 500, 1000));
        assertEquals(groups(g(0), g(1)), groups());
    }

    @Test
    void shortSegmentClosesTheGroup() {
        add(stream(TcpPackets.spec(), MSS, 700, MSS));
        assertEquals(groups(g(0, 1), g(2)), groups());
    }

    @Test
    void pushClosesTheGroup() {
        List<TcpPackets.Spec> run = stream(TcpPackets.spec(), MSS, MSS, MSS, MSS);
        run.get(1).flags = Tcp.FLAG_ACK | Tcp.PSH;
        add(run);
        assertEquals(groups(g(0, 1), g(2, 3)), groups());
    }

    @ParameterizedTest(name = "flags 0x{0}")
    @ValueSource(ints = {Tcp.FLAG_ACK | Tcp.FIN, Tcp.FLAG_ACK | Tcp.SYN, Tcp.FLAG_ACK | Tcp.RST, Tcp.FLAG_ACK | Tcp.URG,
        Tcp.FLAG_ACK | Tcp.ECE, Tcp.FLAG_ACK | Tcp.CWR, 0})
    void onlyAckAndAckPshSegmentsCoalesce(int flags) {
        List<TcpPackets.Spec> run = stream(TcpPackets.spec(), MSS, MSS, MSS, MSS);
        run.get(1).flags = flags;
        add(run);
        // The odd one stays alone, and nothing behind it joins the group before it (no reordering).
        assertEquals(groups(g(0), g(1), g(2, 3)), groups());
    }

    @Test
    void pureAcksStayAlone() {
        add(stream(TcpPackets.spec(), 0, 0, 0));
        assertEquals(groups(g(0), g(1), g(2)), groups());
    }

    @Test
    void badTcpChecksum() {
        List<TcpPackets.Spec> run = stream(TcpPackets.spec(), MSS, MSS, MSS);
        add(run.get(0));
        byte[] corrupt = run.get(1).build();
        corrupt[100] ^= 0x01;
        add(corrupt);
        add(run.get(2));
        assertEquals(groups(g(0), g(1), g(2)), groups());
    }

    @Test
    void badIpv4HeaderChecksum() {
        List<TcpPackets.Spec> run = stream(TcpPackets.spec(), MSS, MSS);
        add(run.get(0));
        byte[] corrupt = run.get(1).build();
        corrupt[8] = 63; // TTL changed, checksum not
        add(corrupt);
        assertEquals(groups(g(0), g(1)), groups());
    }

    @Test
    void ipv4TotalLengthShorterThanThePacket() {
        List<TcpPackets.Spec> run = stream(TcpPackets.spec(), MSS, MSS);
        add(run.get(0));
        byte[] padded = TcpPackets.concat(run.get(1).build(), new byte[6]);
        add(padded);
        assertEquals(groups(g(0), g(1)), groups());
    }

    // ---- the contract ----

    @Test
    void finishRefusesASingleton() {
        add(stream(TcpPackets.spec(), MSS));
        assertThrows(IllegalArgumentException.class, () -> coalescer.finish(0, coalescer.buffer(0), AT - 10));
    }

    @Test
    void fullCoalescerRefusesMore() {
        TcpCoalescer small = new TcpCoalescer(2);
        byte[] p = TcpPackets.spec().payload(new byte[10]).build();
        ByteBuf buf = Packets.buffer(AT, p);
        try {
            small.add(buf, AT, p.length);
            small.add(buf, AT, p.length);
            assertThrows(IllegalStateException.class, () -> small.add(buf, AT, p.length));
            small.reset();
            assertEquals(0, small.groupCount());
            assertEquals(0, small.add(buf, AT, p.length));
        } finally {
            small.reset();
            assertTrue(buf.release());
        }
    }

    @Test
    void resetStartsANewBatch() {
        add(stream(TcpPackets.spec(), MSS, MSS));
        assertEquals(1, coalescer.groupCount());
        coalescer.reset();
        assertEquals(0, coalescer.groupCount());
        add(stream(TcpPackets.spec(), MSS));
        assertEquals(groups(g(0)), groups());
    }
}
