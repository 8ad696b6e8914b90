package io.muslin.dataplane.packet;

import static io.muslin.dataplane.packet.Packets.buffer;
import static io.muslin.dataplane.packet.Packets.bytes;
import static io.muslin.dataplane.packet.Packets.hex;
import static io.muslin.dataplane.packet.Packets.referenceChecksum;
import static io.muslin.dataplane.packet.Packets.squash;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class Ipv4Test {

    /** RFC 1071 §3, "Numerical Examples": words 0001 f203 f4f5 f6f7 sum to ddf2, checksum 220d. */
    @Test
    void rfc1071NumericalExample() {
        ByteBuf buf = buffer("00 01 f2 03 f4 f5 f6 f7");
        assertEquals(0x220d, Ipv4.checksum(buf, 0, 8));
        assertTrue(buf.release());
    }

    /**
     * Real headers and their checksums: a textbook capture (192.168.0.1 -> 192.168.0.199, UDP)
     * and the outer and inner headers of a Linux vxlan frame ({@code KernelFrames}).
     */
    @ParameterizedTest(name = "{0}")
    @CsvSource({
        "4500 0073 0000 4000 4011 b861 c0a8 0001 c0a8 00c7",
        "4500 0066 ec39 0000 4011 72f9 c0a8 4d01 c0a8 4d02",
        "4500 0034 7b55 4000 4001 a68c 0af4 0100 0af4 0200",
        "45b8 0022 d644 4000 4011 4ae7 0af4 0100 0af4 0200",
    })
    void capturedHeadersVerifyAndRecompute(String header) {
        ByteBuf buf = buffer(header);
        assertEquals(0, Ipv4.checksum(buf, 0, Ipv4.MIN_HEADER), "a correct header sums to zero");
        int stored = buf.getUnsignedShort(Ipv4.CHECKSUM);
        buf.setShort(Ipv4.CHECKSUM, 0);
        assertEquals(stored, Ipv4.checksum(buf, 0, Ipv4.MIN_HEADER));
        assertTrue(buf.release());
    }

    /** The textbook header above, written from its fields (ID 0 there too). */
    @Test
    void writeHeaderReproducesACapturedHeader() {
        ByteBuf buf = Unpooled.directBuffer(24).writeZero(24);
        Ipv4.writeHeader(buf, 2, 0, 0x73, true, 64, Ipv4.PROTO_UDP,
            Ipv4Address.parse("192.168.0.1"), Ipv4Address.parse("192.168.0.199"));
        assertEquals("0000" + squash("4500 0073 0000 4000 4011 b861 c0a8 0001 c0a8 00c7") + "0000", hex(buf));
        assertEquals(0, buf.readerIndex());
        assertEquals(24, buf.writerIndex());
        assertTrue(buf.release());
    }

    @Test
    void checksumMatchesTheTextbookSumAtEveryLengthAndAlignment() {
        SplittableRandom random = new SplittableRandom(7348);
        ByteBuf buf = Unpooled.directBuffer(128);
        for (int length = 0; length <= 70; length++) {
            for (int offset = 0; offset < 4; offset++) {
                byte[] data = new byte[offset + length];
                random.nextBytes(data);
                buf.clear().writeBytes(data);
                assertEquals(referenceChecksum(data, offset, length), Ipv4.checksum(buf, offset, length),
                    "length " + length + " offset " + offset);
            }
        }
        assertTrue(buf.release());
    }

    @Test
    void checksumFoldsTheCarriesOfALongRunOfOnes() {
        byte[] ones = new byte[1501];
        Arrays.fill(ones, (byte) 0xFF);
        ByteBuf buf = Unpooled.directBuffer(ones.length).writeBytes(ones);
        assertEquals(referenceChecksum(ones, 0, ones.length), Ipv4.checksum(buf, 0, ones.length));
        assertTrue(buf.release());
    }

    @Test
    void writeHeaderChecksumIsRightForRandomFields() {
        SplittableRandom random = new SplittableRandom(791);
        ByteBuf buf = Unpooled.directBuffer(Ipv4.MIN_HEADER).writeZero(Ipv4.MIN_HEADER);
        byte[] copy = new byte[Ipv4.MIN_HEADER];
        for (int i = 0; i < 10_000; i++) {
            int tos = random.nextInt(256);
            int totalLength = random.nextInt(Ipv4.MIN_HEADER, 0x10000);
            boolean df = random.nextBoolean();
            int ttl = random.nextInt(256);
            int protocol = random.nextInt(256);
            int src = random.nextInt();
            int dst = random.nextInt();

            Ipv4.writeHeader(buf, 0, tos, totalLength, df, ttl, protocol, src, dst);

            buf.getBytes(0, copy);
            assertEquals(0, referenceChecksum(copy, 0, Ipv4.MIN_HEADER), "checksum of " + hex(buf));
            assertEquals(4, Ipv4.version(buf, 0));
            assertEquals(20, Ipv4.headerLength(buf, 0));
            assertEquals(tos, Ipv4.tos(buf, 0));
            assertEquals(totalLength, Ipv4.totalLength(buf, 0));
            assertEquals(0, buf.getUnsignedShort(Ipv4.ID));
            assertEquals(df, Ipv4.dontFragment(buf, 0));
            assertFalse(Ipv4.isFragment(buf, 0));
            assertEquals(ttl, Ipv4.ttl(buf, 0));
            assertEquals(protocol, Ipv4.protocol(buf, 0));
            assertEquals(src, Ipv4.src(buf, 0));
            assertEquals(dst, Ipv4.dst(buf, 0));
        }
        assertTrue(buf.release());
    }

    @ParameterizedTest(name = "total length {0} rejected")
    @ValueSource(ints = {-1, 0, 19, 0x10000})
    void writeHeaderRejectsImpossibleTotalLength(int totalLength) {
        ByteBuf buf = Unpooled.directBuffer(Ipv4.MIN_HEADER).writeZero(Ipv4.MIN_HEADER);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
            () -> Ipv4.writeHeader(buf, 0, 0, totalLength, false, 64, Ipv4.PROTO_UDP, 1, 2));
        assertEquals("IPv4 total length out of range: " + totalLength + " (expected: 20-65535)", e.getMessage());
        assertTrue(buf.release());
    }

    /** RFC 791 §3.1: flags bit 1 DF, bit 2 MF, then the 13-bit fragment offset. */
    @ParameterizedTest(name = "flags/offset {0}: DF {1}, fragment {2}")
    @CsvSource({
        "0x0000, false, false",
        "0x4000, true,  false",
        "0x2000, false, true",
        "0x6000, true,  true",
        "0x0001, false, true",
        "0x1FFF, false, true",
        "0x4001, true,  true",
        "0x8000, false, false",
    })
    void fragmentFlags(String flagsFrag, boolean df, boolean fragment) {
        ByteBuf buf = buffer("4500 0014 0000 0000 4006 0000 0a000001 0a000002");
        buf.setShort(Ipv4.FLAGS_FRAG, Integer.decode(flagsFrag));
        assertEquals(df, Ipv4.dontFragment(buf, 0));
        assertEquals(fragment, Ipv4.isFragment(buf, 0));
        assertTrue(buf.release());
    }

    /** RFC 791 §3.1 field offsets, read from one header where every field differs. */
    @Test
    void readsEveryFieldAtItsRfcOffset() {
        byte[] header = bytes("46 b8 05dc abcd 4000 3f 06 0000 0af40105 0af40207 01020304");
        ByteBuf buf = buffer(3, header);
        int at = 3;
        assertEquals(4, Ipv4.version(buf, at));
        assertEquals(24, Ipv4.headerLength(buf, at));
        assertEquals(0xb8, Ipv4.tos(buf, at));
        assertEquals(1500, Ipv4.totalLength(buf, at));
        assertTrue(Ipv4.dontFragment(buf, at));
        assertEquals(63, Ipv4.ttl(buf, at));
        assertEquals(Ipv4.PROTO_TCP, Ipv4.protocol(buf, at));
        assertEquals(Ipv4Address.parse("10.244.1.5"), Ipv4.src(buf, at));
        assertEquals(Ipv4Address.parse("10.244.2.7"), Ipv4.dst(buf, at));
        assertEquals(0xabcd, buf.getUnsignedShort(at + Ipv4.ID));
        assertEquals(3, buf.readerIndex());
        assertTrue(buf.release());
    }

    @Test
    void constants() {
        assertEquals(1, Ipv4.PROTO_ICMP);
        assertEquals(4, Ipv4.PROTO_IPIP);
        assertEquals(6, Ipv4.PROTO_TCP);
        assertEquals(17, Ipv4.PROTO_UDP);
        assertEquals(0x4000, Ipv4.FLAG_DF);
        assertEquals(20, Ipv4.MIN_HEADER);
        assertEquals(Ipv4.MIN_HEADER, Ipv4.DST + 4);
    }
}
