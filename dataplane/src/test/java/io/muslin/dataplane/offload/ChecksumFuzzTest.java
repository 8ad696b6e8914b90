package io.muslin.dataplane.offload;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.muslin.dataplane.FuzzBuffers;
import io.muslin.dataplane.packet.Ipv4;
import io.muslin.dataplane.packet.Packets;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.util.Arrays;
import java.util.stream.Stream;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Fuzz target: the Internet checksum code. Input: two control bytes (where a range starts,
 * where the checksum field lies), then data.
 *
 * <p>What must hold: {@link Checksum#sum} over direct memory (read eight bytes at a time by
 * address, at any alignment) and {@link Ipv4#checksum} over a heap buffer agree with the
 * textbook RFC 1071 sum of the same bytes; {@link Checksum#complete} refuses exactly the fields
 * that do not lie inside the packet, (or at an odd offset), changes nothing else, and the checksum it completes
 * verifies (with the pseudo-header sum that the field held); {@link Ipv4#writeHeader}'s header
 * verifies and reads back its fields.
 */
class ChecksumFuzzTest {
    static Stream<byte[]> seeds() {
        byte[] udp = Packets.ipv4Udp(0x28, 0x0AF40105, 0x0AF40207, 40000, 53, 33);
        byte[] withControl = new byte[udp.length + 2];
        withControl[0] = 20; // start: the UDP header
        withControl[1] = 6;  // offset: the UDP checksum
        System.arraycopy(udp, 0, withControl, 2, udp.length);
        return Stream.of(withControl, new byte[] {0, 0, 1}, new byte[] {3, 16, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
            -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1});
    }

    @MethodSource("seeds")
    @FuzzTest
    void checksum(byte[] input) {
        if (input.length < 2) {
            return;
        }
        int start = input[0] & 0xFF;
        int offset = input[1] & 0xFF;
        byte[] data = Arrays.copyOfRange(input, 2, input.length);
        sums(data, start % 8);
        complete(data, start, offset);
        header(data);
        FuzzBuffers.assertAllReleased();
    }

    /** The three ways of summing agree, wherever the bytes lie. */
    private static void sums(byte[] data, int misalign) {
        int reference = Packets.referenceChecksum(data, 0, data.length);
        ByteBuf direct = FuzzBuffers.direct(misalign, data, 0);
        try {
            assertEquals(reference, Checksum.finish(Checksum.sum(direct, misalign, data.length)), "direct sum");
            int half = data.length / 2 & ~1; // a split at an even offset: partial sums add up
            assertEquals(reference, Checksum.finish(Checksum.sum(direct, misalign, half)
                + Checksum.sum(direct, misalign + half, data.length - half)), "two pieces");
        } finally {
            assertTrue(direct.release());
        }
        assertEquals(reference, Ipv4.checksum(Unpooled.wrappedBuffer(data), 0, data.length), "heap checksum");
    }

    /** What a NEEDS_CSUM packet from the TUN device gets: the checksum at start + offset, completed. */
    private static void complete(byte[] data, int start, int offset) {
        int length = data.length;
        ByteBuf buf = FuzzBuffers.direct(5, data, 0);
        try {
            boolean inside = start < length && start + offset + 2 <= length && offset % 2 == 0;
            int pseudo = inside ? buf.getUnsignedShort(5 + start + offset) : 0;
            boolean done = Checksum.complete(buf, 5, length, start, offset);
            assertEquals(inside, done, "complete refuses exactly a field outside the packet or at an odd offset");
            byte[] after = new byte[length];
            buf.getBytes(5, after);
            if (!done) {
                assertArrayEquals(data, after, "a refused packet is unchanged");
                return;
            }
            int field = start + offset;
            for (int i = 0; i < length; i++) {
                if (i != field && i != field + 1) {
                    assertEquals(data[i], after[i], "byte " + i + " changed");
                }
            }
            assertTrue(buf.getUnsignedShort(5 + field) != 0, "a completed checksum is never 0 (0 means none in UDP)");
            // Verifying: the pseudo-header sum plus the sum of the covered bytes is all ones.
            long sum = pseudo + Checksum.sum(buf, 5 + start, length - start);
            assertEquals(0, Checksum.finish(sum), "the completed checksum verifies");
        } finally {
            assertTrue(buf.release());
        }
    }

    /** A header written from the input's first bytes verifies and reads back. */
    private static void header(byte[] data) {
        if (data.length < 16) {
            return;
        }
        ByteBuf in = Unpooled.wrappedBuffer(data);
        int tos = in.getUnsignedByte(0);
        int total = Ipv4.MIN_HEADER + in.getUnsignedShort(1) % (0xFFFF - Ipv4.MIN_HEADER + 1);
        boolean df = (data[3] & 1) != 0;
        int ttl = in.getUnsignedByte(4);
        int protocol = in.getUnsignedByte(5);
        int src = in.getInt(6);
        int dst = in.getInt(10);
        ByteBuf out = FuzzBuffers.ALLOC.directBuffer(Ipv4.MIN_HEADER);
        try {
            Ipv4.writeHeader(out, 0, tos, total, df, ttl, protocol, src, dst);
            out.writerIndex(Ipv4.MIN_HEADER);
            byte[] header = FuzzBuffers.readable(out);
            assertEquals(0, Packets.referenceChecksum(header, 0, Ipv4.MIN_HEADER), "written header verifies");
            assertEquals(Ipv4.VERSION, Ipv4.version(out, 0));
            assertEquals(Ipv4.MIN_HEADER, Ipv4.headerLength(out, 0));
            assertEquals(tos, Ipv4.tos(out, 0));
            assertEquals(total, Ipv4.totalLength(out, 0));
            assertEquals(df, Ipv4.dontFragment(out, 0));
            assertEquals(ttl, Ipv4.ttl(out, 0));
            assertEquals(protocol, Ipv4.protocol(out, 0));
            assertEquals(src, Ipv4.src(out, 0));
            assertEquals(dst, Ipv4.dst(out, 0));
            assertTrue(!Ipv4.isFragment(out, 0));
        } finally {
            assertTrue(out.release());
        }
    }
}
