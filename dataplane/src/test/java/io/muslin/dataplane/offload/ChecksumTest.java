package io.muslin.dataplane.offload;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.muslin.dataplane.packet.Packets;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.ByteBuffer;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ChecksumTest {

    /** Every length 0..300 at every start offset 0..8 (unaligned reads), direct and heap, against RFC 1071 done by hand. */
    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void sumMatchesTheTextbookChecksum(boolean direct) {
        Random random = new Random(1071);
        byte[] data = new byte[320];
        for (int length = 0; length <= 300; length++) {
            for (int offset = 0; offset <= 8; offset++) {
                random.nextBytes(data);
                ByteBuf buf = direct ? Unpooled.directBuffer(data.length) : Unpooled.buffer(data.length);
                try {
                    buf.writeBytes(data);
                    int expected = Packets.referenceChecksum(data, offset, length);
                    assertEquals(expected, Checksum.finish(Checksum.sum(buf, offset, length)),
                        "length " + length + " offset " + offset);
                } finally {
                    assertTrue(buf.release());
                }
            }
        }
    }

    @Test
    void allOnesDataSumsWithoutLosingCarries() {
        // 64 KB of 0xFF: the largest sum a super-packet can produce.
        byte[] data = new byte[65535];
        java.util.Arrays.fill(data, (byte) 0xFF);
        ByteBuf buf = Unpooled.directBuffer(data.length).writeBytes(data);
        try {
            assertEquals(Packets.referenceChecksum(data, 0, data.length), Checksum.finish(Checksum.sum(buf, 0, data.length)));
        } finally {
            assertTrue(buf.release());
        }
    }

    @Test
    void piecesAddUpToTheWhole() {
        byte[] data = new byte[1000];
        new Random(7).nextBytes(data);
        ByteBuf buf = Unpooled.directBuffer(data.length).writeBytes(data);
        try {
            long pieces = Checksum.sum(buf, 0, 20) + Checksum.sum(buf, 20, 32) + Checksum.sum(buf, 52, 948);
            assertEquals(Packets.referenceChecksum(data, 0, 1000), Checksum.finish(pieces));
        } finally {
            assertTrue(buf.release());
        }
    }

    @Test
    void foldHandlesEveryCarry() {
        assertEquals(0, Checksum.fold(0));
        assertEquals(0xFFFF, Checksum.fold(0xFFFF));
        assertEquals(1, Checksum.fold(0x10000));
        assertEquals(0xFFFF, Checksum.fold(0x1FFFEL));
        assertEquals(0xFFFF, Checksum.fold(0xFFFF_FFFFL));
        long max = 0x7FFF_FFFF_FFFFL; // far beyond any sum here
        long reference = max;
        while ((reference >>> 16) != 0) {
            reference = (reference & 0xFFFF) + (reference >>> 16);
        }
        assertEquals(reference, Checksum.fold(max));
    }

    @Test
    void sumChecksItsBounds() {
        ByteBuf buf = Unpooled.directBuffer(16, 16);
        try {
            assertThrows(IndexOutOfBoundsException.class, () -> Checksum.sum(buf, 8, 9));
            assertThrows(IndexOutOfBoundsException.class, () -> Checksum.sum(buf, -1, 2));
            assertEquals(0, Checksum.sum(buf, 16, 0));
        } finally {
            assertTrue(buf.release());
        }
    }

    /** A TCP packet as the kernel hands it with NEEDS_CSUM: the field holds the folded pseudo-header sum. */
    @Test
    void completeFinishesAPartialTcpChecksum() {
        TcpPackets.Spec spec = TcpPackets.spec().payload(TcpPackets.payload(333, 5));
        byte[] packet = spec.build();
        int tcpLength = packet.length - 20;
        long pseudo = Checksum.pseudoHeaderIpv4(TcpPackets.SRC4, TcpPackets.DST4, 6, tcpLength);
        byte[] partial = packet.clone();
        partial[36] = (byte) (Checksum.fold(pseudo) >>> 8);
        partial[37] = (byte) Checksum.fold(pseudo);
        ByteBuf buf = Packets.buffer(10, partial);
        try {
            assertTrue(Checksum.complete(buf, 10, partial.length, 20, 16));
            byte[] out = new byte[partial.length];
            buf.getBytes(10, out);
            assertTrue(TcpPackets.tcpChecksumValid(out));
            assertEquals(TcpPackets.u16(packet, 36), TcpPackets.u16(out, 36));
        } finally {
            assertTrue(buf.release());
        }
    }

    /** A UDP checksum that computes to 0 is sent as 0xFFFF (RFC 768: 0 means "none"). */
    @Test
    void completeNeverWritesZero() {
        // UDP header + payload chosen so the complete sum is 0xFFFF: checksum 0.
        ByteBuffer b = ByteBuffer.allocate(10);
        b.putShort((short) 1).putShort((short) 2).putShort((short) 10).putShort((short) 0).putShort((short) 0);
        byte[] udp = b.array();
        int fill = Packets.referenceChecksum(udp, 0, udp.length); // ~sum of the rest
        udp[8] = (byte) (fill >>> 8);
        udp[9] = (byte) fill;
        ByteBuf buf = Packets.buffer(0, udp);
        try {
            assertTrue(Checksum.complete(buf, 0, udp.length, 0, 6));
            assertEquals(0xFFFF, buf.getUnsignedShort(6));
        } finally {
            assertTrue(buf.release());
        }
    }

    @Test
    void completeRejectsAFieldOutsideThePacket() {
        ByteBuf buf = Unpooled.directBuffer(64).writeZero(64);
        try {
            assertFalse(Checksum.complete(buf, 0, 40, 40, 0));
            assertFalse(Checksum.complete(buf, 0, 40, 20, 19));
            assertFalse(Checksum.complete(buf, 0, 40, 39, 0));
            assertTrue(Checksum.complete(buf, 0, 40, 20, 18));
        } finally {
            assertTrue(buf.release());
        }
    }
}
