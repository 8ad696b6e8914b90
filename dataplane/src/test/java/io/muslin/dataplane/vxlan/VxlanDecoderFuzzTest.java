package io.muslin.dataplane.vxlan;

import static io.muslin.dataplane.packet.Packets.bytes;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.muslin.dataplane.FuzzBuffers;
import io.muslin.dataplane.packet.Arp;
import io.muslin.dataplane.packet.Ethernet;
import io.muslin.dataplane.packet.Ipv4;
import io.muslin.dataplane.packet.Ipv6;
import io.muslin.dataplane.packet.MacAddress;
import io.muslin.dataplane.packet.Packets;
import io.muslin.dataplane.path.Counter;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Fuzz target: {@link VxlanDecoder#decode} on any UDP payload that reaches the VXLAN port.
 *
 * <p>What must hold for every input: no exception; a drop is one of the decoder's four
 * counters and moves no index; an accepted frame leaves exactly the inner packet readable
 * (its own length field says how long it is), and its VXLAN and Ethernet headers written
 * again by {@link VxlanHeader#write} and {@link Ethernet#write} are the input's (reserved bits
 * cleared), and decode again to the same packet; the buffer is untouched (borrowed) and
 * released once.
 */
class VxlanDecoderFuzzTest {
    private static final int HEADROOM = 7;
    private static final Set<Counter> DROPS = EnumSet.of(Counter.DROP_MALFORMED, Counter.DROP_WRONG_VNI,
        Counter.DROP_NOT_OUR_MAC, Counter.DROP_UNSUPPORTED_ETHERTYPE);

    private final VxlanDecoder decoder = new VxlanDecoder(KernelFrames.VNI, KernelFrames.NODE_B_MAC);

    /** Frames the Linux vxlan driver sent (KernelFrames), and ours. */
    static Stream<byte[]> seeds() {
        Stream<byte[]> kernel = Stream.of(KernelFrames.ICMP_ECHO, KernelFrames.UDP_EF, KernelFrames.UDP6,
                KernelFrames.ARP_REQUEST)
            .map(hex -> {
                byte[] datagram = bytes(hex);
                return Arrays.copyOfRange(datagram, KernelFrames.UDP_PAYLOAD_OFFSET, datagram.length);
            });
        byte[] ours = ours(Packets.ipv4Udp(0, 0x0AF40105, 0x0AF40207, 40000, 53, 9));
        byte[] ours6 = ours(Packets.ipv6Udp(0, 1, 2, 40000, 53, 3));
        return Stream.concat(kernel, Stream.of(ours, ours6));
    }

    private static byte[] ours(byte[] inner) {
        ByteBuf buf = FuzzBuffers.direct(VxlanEncapsulator.OVERHEAD, inner, 0);
        try {
            new VxlanEncapsulator(KernelFrames.NODE_A_IP, KernelFrames.NODE_A_MAC, KernelFrames.VNI, VxlanHeader.DEFAULT_PORT)
                .encapsulate(buf, KernelFrames.NODE_B_IP, KernelFrames.NODE_B_MAC);
            buf.skipBytes(KernelFrames.UDP_PAYLOAD_OFFSET);
            return FuzzBuffers.readable(buf);
        } finally {
            buf.release();
        }
    }

    @MethodSource("seeds")
    @FuzzTest
    void decode(byte[] input) {
        ByteBuf buf = FuzzBuffers.direct(HEADROOM, input, 5);
        try {
            check(buf, input);
        } finally {
            assertTrue(buf.release(), "the decoder borrows: refCnt must still be 1");
        }
        FuzzBuffers.assertAllReleased();
    }

    private void check(ByteBuf buf, byte[] input) {
        int result = decoder.decode(buf);
        if (VxlanDecoder.isDrop(result)) {
            assertTrue(DROPS.contains(VxlanDecoder.dropReason(result)), "drop reason " + VxlanDecoder.dropReason(result));
            assertEquals(HEADROOM, buf.readerIndex(), "a drop moves no index");
            assertEquals(HEADROOM + input.length, buf.writerIndex(), "a drop moves no index");
            return;
        }
        int inner = HEADROOM + VxlanDecoder.MIN_LENGTH;
        assertEquals(inner, buf.readerIndex());
        int length = buf.readableBytes();
        assertTrue(buf.writerIndex() <= HEADROOM + input.length, "inner packet ends inside the frame");
        switch (result) {
            case VxlanDecoder.IPV4 -> {
                assertEquals(Ethernet.TYPE_IPV4, Ethernet.etherType(buf, HEADROOM + VxlanHeader.LENGTH));
                assertEquals(Ipv4.VERSION, Ipv4.version(buf, inner));
                assertEquals(Ipv4.totalLength(buf, inner), length);
                assertTrue(Ipv4.headerLength(buf, inner) >= Ipv4.MIN_HEADER && Ipv4.headerLength(buf, inner) <= length);
            }
            case VxlanDecoder.IPV6 -> {
                assertEquals(Ethernet.TYPE_IPV6, Ethernet.etherType(buf, HEADROOM + VxlanHeader.LENGTH));
                assertEquals(Ipv6.VERSION, Ipv6.version(buf, inner));
                assertEquals(Ipv6.HEADER_LENGTH + Ipv6.payloadLength(buf, inner), length);
            }
            case VxlanDecoder.ARP -> {
                assertEquals(Ethernet.TYPE_ARP, Ethernet.etherType(buf, HEADROOM + VxlanHeader.LENGTH));
                assertEquals(Arp.LENGTH, length);
            }
            default -> throw new AssertionError("decode returned " + result);
        }
        long dst = Ethernet.dst(buf, HEADROOM + VxlanHeader.LENGTH);
        assertTrue(dst == KernelFrames.NODE_B_MAC || dst == MacAddress.BROADCAST, "accepted for another MAC");
        assertEquals(Ethernet.src(buf, HEADROOM + VxlanHeader.LENGTH), decoder.innerSourceMac());
        byte[] packet = FuzzBuffers.readable(buf);
        assertArrayEquals(Arrays.copyOfRange(input, VxlanDecoder.MIN_LENGTH, VxlanDecoder.MIN_LENGTH + length), packet);
        reencode(input, result, packet);
    }

    /** The headers written again match the input's, and the frame decodes to the same packet. */
    private void reencode(byte[] input, int kind, byte[] packet) {
        ByteBuf original = Unpooled.wrappedBuffer(input);
        long dst = Ethernet.dst(original, VxlanHeader.LENGTH);
        int etherType = Ethernet.etherType(original, VxlanHeader.LENGTH);
        long src = decoder.innerSourceMac();
        ByteBuf again = FuzzBuffers.direct(VxlanDecoder.MIN_LENGTH, packet, 0);
        try {
            VxlanHeader.write(again, 0, KernelFrames.VNI);
            Ethernet.write(again, VxlanHeader.LENGTH, dst, src, etherType);
            byte[] expected = Arrays.copyOf(input, VxlanDecoder.MIN_LENGTH);
            expected[0] = VxlanHeader.FLAG_I; // R bits: zero on transmission, ignored on receipt (RFC 7348 §5)
            expected[1] = 0;
            expected[2] = 0;
            expected[3] = 0;
            expected[7] = 0;
            byte[] headers = new byte[VxlanDecoder.MIN_LENGTH];
            again.getBytes(0, headers);
            assertArrayEquals(expected, headers, "re-encoded VXLAN and Ethernet headers");
            again.readerIndex(0);
            assertEquals(kind, decoder.decode(again), "the re-encoded frame decodes alike");
            assertArrayEquals(packet, FuzzBuffers.readable(again));
            assertEquals(src, decoder.innerSourceMac());
        } finally {
            again.release();
        }
    }
}
