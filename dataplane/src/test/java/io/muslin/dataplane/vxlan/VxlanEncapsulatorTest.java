package io.muslin.dataplane.vxlan;

import static io.muslin.dataplane.packet.Packets.buffer;
import static io.muslin.dataplane.packet.Packets.bytes;
import static io.muslin.dataplane.packet.Packets.hex;
import static io.muslin.dataplane.packet.Packets.ipv4Udp;
import static io.muslin.dataplane.packet.Packets.ipv6Udp;
import static io.muslin.dataplane.packet.Packets.putShort;
import static io.muslin.dataplane.packet.Packets.referenceChecksum;
import static io.muslin.dataplane.packet.Packets.squash;
import static io.muslin.dataplane.vxlan.KernelFrames.NODE_A_IP;
import static io.muslin.dataplane.vxlan.KernelFrames.NODE_A_MAC;
import static io.muslin.dataplane.vxlan.KernelFrames.NODE_B_IP;
import static io.muslin.dataplane.vxlan.KernelFrames.NODE_B_MAC;
import static io.muslin.dataplane.vxlan.KernelFrames.VNI;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.muslin.dataplane.packet.FlowHash;
import io.muslin.dataplane.packet.Ipv4;
import io.muslin.dataplane.packet.Ipv4Address;
import io.muslin.dataplane.packet.MacAddress;
import io.muslin.dataplane.packet.Packets;
import io.muslin.dataplane.table.Family;
import io.muslin.dataplane.packet.Ipv6Text;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import java.util.Arrays;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

class VxlanEncapsulatorTest {
    private static final int POD_A = Ipv4Address.parse("10.244.1.5");
    private static final int POD_B = Ipv4Address.parse("10.244.2.7");
    private static final int HEADROOM = 64;
    private static final int OUTER = HEADROOM - VxlanEncapsulator.OVERHEAD;

    private final VxlanEncapsulator encapsulator =
        new VxlanEncapsulator(NODE_A_IP, NODE_A_MAC, VNI, VxlanHeader.DEFAULT_PORT);

    static Stream<Arguments> kernelFrames() {
        return Stream.of(
            Arguments.of("ICMP_ECHO", KernelFrames.ICMP_ECHO),
            Arguments.of("UDP_EF", KernelFrames.UDP_EF),
            Arguments.of("UDP6", KernelFrames.UDP6));
    }

    /**
     * The inner packets of frames the Linux vxlan driver sent, encapsulated by us: byte for
     * byte the kernel's frame except where the kernel chose differently. It picks a non-zero
     * IP ID (we send 0, which a raw socket fills in), its own source port from its own hash,
     * a UDP checksum ({@code udpcsum}), outer TOS 0 (we copy the inner TOS) and no DF (we copy
     * the inner DF, and set it for inner IPv6, for path-MTU discovery through the tunnel).
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("kernelFrames")
    void matchesTheKernelFrameApartFromItsChoices(String name, String kernelFrame) {
        byte[] kernel = bytes(kernelFrame);
        byte[] inner = Arrays.copyOfRange(kernel, VxlanEncapsulator.OVERHEAD, kernel.length);
        ByteBuf buf = buffer(HEADROOM, inner);
        int sourcePort = FlowHash.sourcePort(FlowHash.hash(buf, HEADROOM));

        encapsulator.encapsulate(buf, NODE_B_IP, NODE_B_MAC);

        byte[] expected = kernel.clone();
        expected[1] = (byte) innerTos(inner);
        putShort(expected, 4, 0);                                   // IP ID
        putShort(expected, 6, innerDf(inner) ? 0x4000 : 0);        // DF
        putShort(expected, 10, 0);
        putShort(expected, 10, referenceChecksum(expected, 0, 20)); // IP checksum
        putShort(expected, 20, sourcePort);                         // UDP source port
        putShort(expected, 26, 0);                                  // UDP checksum
        assertEquals(ByteBufUtil.hexDump(expected), hex(buf), name);
        assertEquals(OUTER, buf.readerIndex());
        assertEquals(HEADROOM + inner.length, buf.writerIndex());
        assertTrue(buf.release());
    }

    private static boolean innerDf(byte[] inner) {
        return (inner[0] & 0xF0) != 0x40 || (inner[6] & 0x40) != 0;
    }

    private static int innerTos(byte[] inner) {
        return (inner[0] & 0xF0) == 0x40 ? inner[1] & 0xFF : ((inner[0] & 0x0F) << 4) | ((inner[1] & 0xF0) >>> 4);
    }

    /**
     * Every outer field for a 32-byte inner IPv4 packet with DF, in wire order (RFC 791, RFC 768,
     * RFC 7348 §5, Ethernet II). SPORT and CSUM are filled in from the flow hash and an
     * independent checksum.
     */
    @Test
    void writesEveryOuterField() {
        byte[] inner = ipv4Udp(0, POD_A, POD_B, 40000, 53, 4);
        ByteBuf buf = buffer(HEADROOM, inner);
        int sourcePort = FlowHash.sourcePort(FlowHash.hash(buf, HEADROOM));

        encapsulator.encapsulate(buf, NODE_B_IP, NODE_B_MAC);

        String expected = squash("""
            45 00 0052 0000 4000 40 11 CSUM c0a84d01 c0a84d02
            SPORT 2118 003e 0000
            08 000000 000001 00
            02bb00000002 02aa00000001 0800
            """)
            .replace("sport", String.format("%04x", sourcePort))
            .replace("csum", String.format("%04x", headerChecksumOf(buf)))
            + ByteBufUtil.hexDump(inner);
        assertEquals(expected, hex(buf));
        assertTrue(sourcePort >= FlowHash.SOURCE_PORT_MIN && sourcePort <= FlowHash.SOURCE_PORT_MAX);
        assertTrue(buf.release());
    }

    private static int headerChecksumOf(ByteBuf buf) {
        byte[] header = new byte[Ipv4.MIN_HEADER];
        buf.getBytes(buf.readerIndex(), header);
        putShort(header, Ipv4.CHECKSUM, 0);
        return referenceChecksum(header, 0, header.length);
    }

    /** The outer TOS is the inner IPv4 TOS or IPv6 traffic class; the EtherType follows the family. */
    @ParameterizedTest(name = "IPv{0} TOS {1} -> EtherType {2}")
    @CsvSource({
        "4, 0x00, 0x0800",
        "4, 0xb8, 0x0800",
        "4, 0x03, 0x0800",
        "6, 0x00, 0x86dd",
        "6, 0xb8, 0x86dd",
        "6, 0x01, 0x86dd",
    })
    void copiesTosAndChoosesEtherType(int family, String tos, String etherType) {
        int tosByte = Integer.decode(tos);
        byte[] inner = family == 4 ? ipv4Udp(tosByte, POD_A, POD_B, 40000, 53, 8) : ipv6Udp(tosByte, 1, 2, 40000, 53, 8);
        ByteBuf buf = buffer(HEADROOM, inner);

        encapsulator.encapsulate(buf, NODE_B_IP, NODE_B_MAC);

        assertEquals(tosByte, Ipv4.tos(buf, OUTER));
        assertEquals((int) Integer.decode(etherType), buf.getUnsignedShort(OUTER + 48));
        assertEquals(0, Ipv4.checksum(buf, OUTER, Ipv4.MIN_HEADER));
        assertTrue(buf.release());
    }

    /** Lengths at the edges: the smallest IPv4 packet up to the largest that fits in 65535. */
    @ParameterizedTest(name = "inner {0} bytes -> IPv4 total {1}, UDP length {2}")
    @CsvSource({
        "20,    70,    50",
        "28,    78,    58",
        "1400,  1450,  1430",
        "1450,  1500,  1480",
        "65485, 65535, 65515",
    })
    void lengths(int innerLength, int totalLength, int udpLength) {
        byte[] inner = ipv4Udp(0, POD_A, POD_B, 40000, 53, Math.max(0, innerLength - 28));
        inner = Arrays.copyOf(inner, innerLength);
        ByteBuf buf = buffer(HEADROOM, inner);

        encapsulator.encapsulate(buf, NODE_B_IP, NODE_B_MAC);

        assertEquals(totalLength, buf.readableBytes());
        assertEquals(totalLength, Ipv4.totalLength(buf, OUTER));
        assertEquals(udpLength, buf.getUnsignedShort(OUTER + 24));
        assertEquals(0, Ipv4.checksum(buf, OUTER, Ipv4.MIN_HEADER));
        assertTrue(buf.release());
    }

    @Test
    void touchesOnlyTheFiftyBytesBeforeThePacket() {
        byte[] inner = ipv4Udp(0, POD_A, POD_B, 40000, 53, 8);
        ByteBuf buf = Unpooled.directBuffer(HEADROOM + inner.length);
        for (int i = 0; i < HEADROOM; i++) {
            buf.writeByte(0xEE);
        }
        buf.writeBytes(inner).readerIndex(HEADROOM);

        encapsulator.encapsulate(buf, NODE_B_IP, NODE_B_MAC);

        assertEquals("ee".repeat(OUTER), hex(buf, 0, OUTER));
        assertEquals(ByteBufUtil.hexDump(inner), hex(buf, HEADROOM, inner.length));
        assertTrue(buf.release());
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "headroom 49         | 49 | 45 | 28    | VXLAN headroom too short: 49 bytes (expected: 50+)",
        "headroom 0          | 0  | 45 | 28    | VXLAN headroom too short: 0 bytes (expected: 50+)",
        "empty packet        | 50 | 45 | 0     | inner packet length out of range: 0 (expected: 1-65485)",
        "65486 bytes         | 50 | 45 | 65486 | inner packet length out of range: 65486 (expected: 1-65485)",
        "version 5           | 50 | 55 | 28    | inner packet is neither IPv4 nor IPv6: version 5",
        "version 0           | 50 | 00 | 28    | inner packet is neither IPv4 nor IPv6: version 0",
    })
    void rejectsWhatItCannotEncapsulate(String name, int headroom, String firstByte, int length, String message) {
        byte[] inner = new byte[length];
        if (length > 0) {
            inner[0] = (byte) Integer.parseInt(firstByte, 16);
        }
        ByteBuf buf = buffer(headroom, inner);

        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
            () -> encapsulator.encapsulate(buf, NODE_B_IP, NODE_B_MAC));

        assertEquals(message, e.getMessage());
        assertEquals(headroom, buf.readerIndex(), "indices unchanged");
        assertEquals(headroom + length, buf.writerIndex());
        assertTrue(buf.release());
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "VNI -1          | 02:aa:00:00:00:01 | -1       | 8472  | VNI out of range: -1 (expected: 0-16777215)",
        "VNI 2^24        | 02:aa:00:00:00:01 | 16777216 | 8472  | VNI out of range: 16777216 (expected: 0-16777215)",
        "port 0          | 02:aa:00:00:00:01 | 1        | 0     | VXLAN UDP port out of range: 0 (expected: 1-65535)",
        "port 65536      | 02:aa:00:00:00:01 | 1        | 65536 | VXLAN UDP port out of range: 65536 (expected: 1-65535)",
        "multicast MAC   | 01:00:5e:00:00:01 | 1        | 8472  | VTEP MAC must be a 48-bit unicast address, not 0x1005e000001",
        "broadcast MAC   | ff:ff:ff:ff:ff:ff | 1        | 8472  | VTEP MAC must be a 48-bit unicast address, not 0xffffffffffff",
    })
    void rejectsBadSettings(String name, String mac, int vni, int port, String message) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
            () -> new VxlanEncapsulator(NODE_A_IP, MacAddress.parse(mac), vni, port));
        assertEquals(message, e.getMessage());
    }

    @Test
    void rejectsAMacWiderThan48Bits() {
        assertThrows(IllegalArgumentException.class, () -> new VxlanEncapsulator(NODE_A_IP, MacAddress.NONE, 1, 8472));
        assertThrows(IllegalArgumentException.class, () -> new VxlanEncapsulator(NODE_A_IP, 1L << 48, 1, 8472));
    }

    @Test
    void overheadIsFiftyBytes() {
        assertEquals(50, VxlanEncapsulator.OVERHEAD);
        assertEquals(VNI, encapsulator.vni());
        assertEquals(8472, encapsulator.dstPort());
    }

    // --- over an IPv6 underlay (flannel-v6.1) ---

    private static final String LOCAL6 = "fd00:50::1";
    private static final String REMOTE6 = "fd00:50::2";
    private static final int HEADROOM6 = 80;

    private final VxlanEncapsulator encapsulator6 = new VxlanEncapsulator(Family.IPV6, Ipv6Text.hi(LOCAL6),
        Ipv6Text.lo(LOCAL6), NODE_A_MAC, VNI, VxlanHeader.DEFAULT_PORT);

    /**
     * The outer IPv6 header and UDP header byte for byte (RFC 8200 §3, RFC 768), and the UDP
     * checksum checked by a slow reference sum over the pseudo-header: IPv6 forbids a zero one.
     */
    @ParameterizedTest(name = "inner IPv{0}")
    @CsvSource({"4", "6"})
    void writesOuterIpv6WithAComputedUdpChecksum(int innerVersion) {
        byte[] inner = innerVersion == 4 ? ipv4Udp(0xB8, POD_A, POD_B, 40000, 5201, 333)
            : Packets.ipv6Udp("fd00:10:244:1::5", "fd00:10:244:2::7", 40000, 5201, 333);
        ByteBuf buf = buffer(HEADROOM6, inner);
        int hash = FlowHash.hash(buf, HEADROOM6);

        encapsulator6.encapsulate(buf, Ipv6Text.hi(REMOTE6), Ipv6Text.lo(REMOTE6), NODE_B_MAC);

        assertEquals(70, encapsulator6.overhead(), "Encapsulation.VXLAN.bytes(6)");
        assertEquals(HEADROOM6 - 70, buf.readerIndex());
        byte[] frame = ByteBufUtil.getBytes(buf);
        int tos = innerVersion == 4 ? 0xB8 : 0;
        String expected = squash(String.format("%08x", (6 << 28) | (tos << 20) | (hash & 0xFFFFF))
            + String.format("%04x", 8 + 8 + 14 + inner.length) + "11" + "40"     // payload length, UDP, hop limit 64
            + "fd000050000000000000000000000001" + "fd000050000000000000000000000002"
            + String.format("%04x", FlowHash.sourcePort(hash)) + "2118"           // ports: flow hash, 8472
            + String.format("%04x", 8 + 8 + 14 + inner.length));                   // UDP length
        assertEquals(expected, ByteBufUtil.hexDump(frame, 0, 46));
        assertEquals(0, Packets.ipv6UpperChecksum(frame, 0), "UDP checksum over pseudo-header, header and frame");
        assertTrue(((frame[46] & 0xFF) << 8 | (frame[47] & 0xFF)) != 0, "never zero over IPv6");
        assertEquals("0800000000000100", ByteBufUtil.hexDump(frame, 48, 8), "VXLAN: I flag, VNI 1");
        assertEquals(MacAddress.format(NODE_B_MAC).replace(":", "") + MacAddress.format(NODE_A_MAC).replace(":", "")
            + (innerVersion == 4 ? "0800" : "86dd"), ByteBufUtil.hexDump(frame, 56, 14));
        assertEquals(ByteBufUtil.hexDump(inner), ByteBufUtil.hexDump(frame, 70, inner.length), "inner unchanged");
        assertTrue(buf.release());
    }

    @Test
    void everyPayloadLengthGetsAChecksumThatVerifies() {
        for (int n = 0; n < 64; n++) {
            byte[] inner = Packets.ipv6Udp("fd00:10:244:1::5", "fd00:10:244:2::7", 40000 + n, 5201, n);
            ByteBuf buf = buffer(HEADROOM6, inner);
            encapsulator6.encapsulate(buf, Ipv6Text.hi(REMOTE6), Ipv6Text.lo(REMOTE6), NODE_B_MAC);
            assertEquals(0, Packets.ipv6UpperChecksum(ByteBufUtil.getBytes(buf), 0), "payload " + n);
            assertTrue(buf.release());
        }
    }

    @Test
    void framesForUdpSocketsLeaveTheChecksumToTheKernelAndAreOtherwiseTheSame() {
        VxlanEncapsulator forSockets = new VxlanEncapsulator(Family.IPV6, Ipv6Text.hi(LOCAL6), Ipv6Text.lo(LOCAL6),
            NODE_A_MAC, VNI, VxlanHeader.DEFAULT_PORT, false);
        byte[] inner = Packets.ipv6Udp("fd00:10:244:1::5", "fd00:10:244:2::7", 40000, 5201, 333);
        ByteBuf a = buffer(HEADROOM6, inner);
        ByteBuf b = buffer(HEADROOM6, inner);
        encapsulator6.encapsulate(a, Ipv6Text.hi(REMOTE6), Ipv6Text.lo(REMOTE6), NODE_B_MAC);
        forSockets.encapsulate(b, Ipv6Text.hi(REMOTE6), Ipv6Text.lo(REMOTE6), NODE_B_MAC);
        assertEquals(0, b.getUnsignedShort(b.readerIndex() + 46), "checksum left to the sending socket");
        a.setShort(a.readerIndex() + 46, 0);
        assertEquals(ByteBufUtil.hexDump(a), ByteBufUtil.hexDump(b), "every other byte the same");
        assertTrue(a.release());
        assertTrue(b.release());
    }

    @Test
    void ipv6UnderlayNeedsSeventyBytesOfHeadroom() {
        ByteBuf buf = buffer(69, ipv4Udp(0, POD_A, POD_B, 1, 2, 10));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
            () -> encapsulator6.encapsulate(buf, Ipv6Text.hi(REMOTE6), Ipv6Text.lo(REMOTE6), NODE_B_MAC));
        assertEquals("VXLAN headroom too short: 69 bytes (expected: 70+)", e.getMessage());
        assertEquals(69, buf.readerIndex(), "nothing moved");
        assertTrue(buf.release());
    }

    @Test
    void theLengthLimitIsTheOuterLengthFields() {
        assertEquals(0xFFFF - 50, encapsulator.maxInnerLength(), "IPv4 total length counts the outer header");
        assertEquals(0xFFFF - 30, encapsulator6.maxInnerLength(), "IPv6 payload length does not");
    }
}
