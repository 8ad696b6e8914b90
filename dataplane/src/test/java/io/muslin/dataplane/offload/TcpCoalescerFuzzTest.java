package io.muslin.dataplane.offload;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.muslin.dataplane.FuzzBuffers;
import io.muslin.dataplane.packet.Ipv4;
import io.muslin.dataplane.packet.Ipv6;
import io.netty.buffer.ByteBuf;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Fuzz target: {@link TcpCoalescer}, fed the inner packets of one receive batch (what peers
 * sent). Input: packets, each a 2-byte length and that many bytes (a short last one is cut).
 *
 * <p>What must hold: no exception; the groups hold every packet once, in arrival order; only
 * TCP segments whose IPv4 and TCP checksums verify are joined; each group of two or more
 * becomes, with {@link TcpCoalescer#finish}, a super-packet whose lengths, IPv4 checksum and
 * virtio_net_hdr are right and whose TCP checksum, completed as the kernel would, verifies; and
 * {@link TcpSegmenter} cuts that super-packet back into the very segments that went in, their
 * checksums verifying (but for the IPv4 ID, which the segmenter numbers afresh, and an urgent
 * pointer without URG, which all segments take from the first).
 */
class TcpCoalescerFuzzTest {
    private static final int CAPACITY = 16;
    private static final int VNET = VirtioNetHeader.LENGTH;

    private final TcpCoalescer coalescer = new TcpCoalescer(CAPACITY);
    private final TcpSegmenter segmenter = new TcpSegmenter();

    static Stream<byte[]> seeds() {
        TcpPackets.Spec v4 = TcpPackets.spec();
        TcpPackets.Spec v6 = TcpPackets.spec().v6();
        return Stream.of(
            batch(flow(v4, 3, 100, 0), flow(v4.copy().flags(Tcp.FLAG_ACK | Tcp.PSH).seq(v4.seq + 300), 1, 40, 9)),
            batch(flow(v6, 4, 64, 3)),
            batch(interleave(flow(v4, 2, 30, 1), flow(v6, 2, 30, 2))));
    }

    private static List<byte[]> flow(TcpPackets.Spec spec, int count, int size, int seed) {
        List<byte[]> out = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            out.add(spec.copy().seq(spec.seq + i * size).payload(TcpPackets.payload(size, seed + i)).build());
        }
        return out;
    }

    private static List<byte[]> interleave(List<byte[]> a, List<byte[]> b) {
        List<byte[]> out = new ArrayList<>();
        for (int i = 0; i < Math.max(a.size(), b.size()); i++) {
            if (i < a.size()) {
                out.add(a.get(i));
            }
            if (i < b.size()) {
                out.add(b.get(i));
            }
        }
        return out;
    }

    @SafeVarargs
    private static byte[] batch(List<byte[]>... flows) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (List<byte[]> flow : flows) {
            for (byte[] p : flow) {
                out.write(p.length >>> 8);
                out.write(p.length);
                out.writeBytes(p);
            }
        }
        return out.toByteArray();
    }

    /** The packets of an input. */
    private static List<byte[]> packets(byte[] input) {
        List<byte[]> out = new ArrayList<>();
        int at = 0;
        while (at + 2 <= input.length && out.size() < CAPACITY) {
            int length = ((input[at] & 0xFF) << 8) | (input[at + 1] & 0xFF);
            int end = Math.min(input.length, at + 2 + length);
            out.add(Arrays.copyOfRange(input, at + 2, end));
            at = end;
        }
        return out;
    }

    @MethodSource("seeds")
    @FuzzTest
    void coalesce(byte[] input) {
        List<byte[]> packets = packets(input);
        ByteBuf[] bufs = new ByteBuf[packets.size()];
        try {
            for (int i = 0; i < bufs.length; i++) {
                bufs[i] = FuzzBuffers.direct(VNET, packets.get(i), 0);
                assertEquals(i, coalescer.add(bufs[i], VNET, packets.get(i).length));
            }
            check(packets);
        } finally {
            coalescer.reset();
            for (ByteBuf b : bufs) {
                if (b != null) {
                    assertTrue(b.release(), "the coalescer borrows");
                }
            }
        }
        FuzzBuffers.assertAllReleased();
    }

    private void check(List<byte[]> packets) {
        int lastFirst = -1;
        int[] seen = new int[packets.size()];
        List<int[]> groups = new ArrayList<>();
        for (int g = 0; g < coalescer.groupCount(); g++) {
            List<Integer> members = new ArrayList<>();
            for (int p = coalescer.first(g); p >= 0; p = coalescer.next(p)) {
                members.add(p);
                seen[p]++;
            }
            assertEquals(coalescer.groupSize(g), members.size());
            assertTrue(members.getFirst() > lastFirst, "groups are made in arrival order");
            lastFirst = members.getFirst();
            for (int i = 1; i < members.size(); i++) {
                assertTrue(members.get(i) > members.get(i - 1), "a group keeps arrival order");
            }
            groups.add(members.stream().mapToInt(Integer::intValue).toArray());
        }
        for (int p = 0; p < packets.size(); p++) {
            assertEquals(1, seen[p], "packet " + p + " in exactly one group");
        }
        for (int g = 0; g < groups.size(); g++) {
            if (groups.get(g).length == 1) {
                int group = g;
                assertThrows(IllegalArgumentException.class, () -> coalescer.finish(group, coalescer.buffer(0), 0));
                continue;
            }
            superPacket(g, groups.get(g), packets);
        }
    }

    private void superPacket(int g, int[] members, List<byte[]> packets) {
        for (int p : members) {
            byte[] original = packets.get(p);
            assertTrue(TcpPackets.tcpChecksumValid(original), "joined a segment whose TCP checksum fails");
            if ((original[0] & 0xF0) == 0x40) {
                assertTrue(TcpPackets.ipv4ChecksumValid(original), "joined a segment whose IPv4 checksum fails");
            }
        }
        int first = members[0];
        ByteBuf head = coalescer.buffer(first);
        int headers = coalescer.headerLength(first);
        int gsoSize = packets.get(first).length - headers;
        coalescer.finish(g, head, VNET - VNET);
        ByteArrayOutputStream assembled = new ByteArrayOutputStream();
        byte[] header = new byte[headers];
        head.getBytes(VNET, header);
        assembled.writeBytes(header);
        for (int p : members) {
            byte[] original = packets.get(p);
            assembled.write(original, coalescer.headerLength(p), original.length - coalescer.headerLength(p));
        }
        byte[] superPacket = assembled.toByteArray();
        assertEquals(coalescer.groupLength(g), superPacket.length);
        boolean ipv6 = (superPacket[0] & 0xF0) == 0x60;
        int ipHeader = ipv6 ? Ipv6.HEADER_LENGTH : (superPacket[0] & 0x0F) * 4;
        if (ipv6) {
            assertEquals(superPacket.length - Ipv6.HEADER_LENGTH, TcpPackets.u16(superPacket, Ipv6.PAYLOAD_LENGTH_OFFSET));
        } else {
            assertEquals(superPacket.length, TcpPackets.u16(superPacket, Ipv4.TOTAL_LENGTH));
            assertTrue(TcpPackets.ipv4ChecksumValid(superPacket), "super-packet IPv4 checksum");
        }
        assertEquals(VirtioNetHeader.FLAG_NEEDS_CSUM, VirtioNetHeader.flags(head, 0));
        assertEquals(ipv6 ? VirtioNetHeader.GSO_TCPV6 : VirtioNetHeader.GSO_TCPV4, VirtioNetHeader.gsoType(head, 0));
        assertEquals(headers, VirtioNetHeader.hdrLen(head, 0));
        assertEquals(gsoSize, VirtioNetHeader.gsoSize(head, 0));
        assertEquals(ipHeader, VirtioNetHeader.csumStart(head, 0));
        assertEquals(Tcp.CHECKSUM, VirtioNetHeader.csumOffset(head, 0));

        ByteBuf whole = FuzzBuffers.direct(superPacket);
        try {
            assertTrue(Checksum.complete(whole, 0, superPacket.length, ipHeader, Tcp.CHECKSUM));
            byte[] completed = FuzzBuffers.readable(whole);
            assertTrue(TcpPackets.tcpChecksumValid(completed), "the kernel's completion of the TCP checksum verifies");
            resegment(whole, completed.length, gsoSize, members, packets, ipv6);
        } finally {
            assertTrue(whole.release());
        }
    }

    /** TSO of the super-packet gives back the segments that were coalesced. */
    private void resegment(ByteBuf whole, int length, int gsoSize, int[] members, List<byte[]> packets, boolean ipv6) {
        assertEquals(members.length, segmenter.begin(whole, 0, length, gsoSize));
        ByteBuf out = FuzzBuffers.ALLOC.directBuffer(Tcp.MAX_HEADER * 2);
        try {
            for (int k = 0; k < members.length; k++) {
                byte[] original = packets.get(members[k]);
                out.clear();
                segmenter.writeHeader(k, out, 0);
                byte[] segment = new byte[segmenter.segmentLength(k)];
                out.getBytes(0, segment, 0, segmenter.headerLength());
                whole.getBytes(segmenter.payloadIndex(k), segment, segmenter.headerLength(), segmenter.payloadLength(k));
                assertTrue(TcpPackets.tcpChecksumValid(segment), "segment " + k + " TCP checksum");
                if (!ipv6) {
                    for (int i : new int[] {Ipv4.ID, Ipv4.ID + 1, Ipv4.CHECKSUM, Ipv4.CHECKSUM + 1}) {
                        segment[i] = original[i];
                    }
                }
                int tcp = ipv6 ? Ipv6.HEADER_LENGTH : (original[0] & 0x0F) * 4;
                // Without URG the urgent pointer means nothing, and like the kernel's GRO the
                // coalescer does not compare it: every segment gets the first one's (and so
                // its own checksum, which verifies, above).
                for (int i = tcp + Tcp.CHECKSUM; i < tcp + Tcp.URGENT + 2; i++) {
                    segment[i] = original[i];
                }
                assertArrayEquals(original, segment, "segment " + k + " of the re-cut super-packet");
            }
        } finally {
            assertTrue(out.release());
        }
    }
}
