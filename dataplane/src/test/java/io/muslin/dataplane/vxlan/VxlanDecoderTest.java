package io.muslin.dataplane.vxlan;

import static io.muslin.dataplane.packet.Packets.buffer;
import static io.muslin.dataplane.packet.Packets.bytes;
import static io.muslin.dataplane.packet.Packets.hex;
import static io.muslin.dataplane.packet.Packets.ipv4Udp;
import static io.muslin.dataplane.packet.Packets.ipv6Udp;
import static io.muslin.dataplane.vxlan.KernelFrames.NODE_A_IP;
import static io.muslin.dataplane.vxlan.KernelFrames.NODE_A_MAC;
import static io.muslin.dataplane.vxlan.KernelFrames.NODE_B_IP;
import static io.muslin.dataplane.vxlan.KernelFrames.NODE_B_MAC;
import static io.muslin.dataplane.vxlan.KernelFrames.UDP_PAYLOAD_OFFSET;
import static io.muslin.dataplane.vxlan.KernelFrames.VNI;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.muslin.dataplane.packet.Arp;
import io.muslin.dataplane.packet.Ipv4Address;
import io.muslin.dataplane.packet.MacAddress;
import io.muslin.dataplane.path.Counter;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.PooledByteBufAllocator;
import java.util.Arrays;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class VxlanDecoderTest {
    private static final int POD_A = Ipv4Address.parse("10.244.1.5");
    private static final int POD_B = Ipv4Address.parse("10.244.2.7");
    /** Headers in front of each test frame: VXLAN 8 + Ethernet 14. */
    private static final int INNER = VxlanDecoder.MIN_LENGTH;

    private final VxlanDecoder decoder = new VxlanDecoder(VNI, NODE_B_MAC);

    static Stream<Arguments> kernelFrames() {
        return Stream.of(
            Arguments.of("ICMP_ECHO", VxlanDecoder.IPV4, KernelFrames.ICMP_ECHO),
            Arguments.of("UDP_EF", VxlanDecoder.IPV4, KernelFrames.UDP_EF),
            Arguments.of("UDP6", VxlanDecoder.IPV6, KernelFrames.UDP6),
            Arguments.of("ARP_REQUEST", VxlanDecoder.ARP, KernelFrames.ARP_REQUEST));
    }

    /** Frames the Linux vxlan driver sent to node B decode to exactly their inner packet. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("kernelFrames")
    void decodesKernelFrames(String name, int kind, String frame) {
        byte[] datagram = bytes(frame);
        ByteBuf buf = buffer(0, datagram);
        buf.readerIndex(UDP_PAYLOAD_OFFSET);

        assertEquals(kind, decoder.decode(buf), name);

        int inner = UDP_PAYLOAD_OFFSET + INNER;
        assertEquals(inner, buf.readerIndex());
        assertEquals(datagram.length, buf.writerIndex());
        assertEquals(ByteBufUtil.hexDump(datagram, inner, datagram.length - inner), hex(buf));
        assertEquals(NODE_A_MAC, decoder.innerSourceMac());
        assertTrue(buf.release());
    }

    /** The kernel's broadcast ARP request is a request for node B's address. */
    @Test
    void kernelArpRequestIsForUs() {
        ByteBuf buf = buffer(0, bytes(KernelFrames.ARP_REQUEST));
        buf.readerIndex(UDP_PAYLOAD_OFFSET);
        assertEquals(VxlanDecoder.ARP, decoder.decode(buf));
        assertTrue(Arp.isRequestFor(buf, buf.readerIndex(), Ipv4Address.parse("10.244.2.0")));
        assertTrue(buf.release());
    }

    /** Our encapsulation decoded by our decoder gives back the identical inner packet. */
    @ParameterizedTest(name = "IPv{0}, {1} payload bytes")
    @CsvSource({"4, 0", "4, 1", "4, 18", "4, 1372", "4, 65457", "6, 0", "6, 7", "6, 1352", "6, 65437"})
    void roundTrip(int family, int payloadLength) {
        byte[] inner = family == 4
            ? ipv4Udp(0x28, POD_A, POD_B, 40000, 53, payloadLength)
            : ipv6Udp(0x28, 1, 2, 40000, 53, payloadLength);
        ByteBuf buf = PooledByteBufAllocator.DEFAULT.directBuffer(VxlanEncapsulator.OVERHEAD + inner.length);
        buf.writeZero(VxlanEncapsulator.OVERHEAD).writeBytes(inner).readerIndex(VxlanEncapsulator.OVERHEAD);
        new VxlanEncapsulator(NODE_A_IP, NODE_A_MAC, VNI, VxlanHeader.DEFAULT_PORT).encapsulate(buf, NODE_B_IP, NODE_B_MAC);
        buf.skipBytes(UDP_PAYLOAD_OFFSET);

        int kind = decoder.decode(buf);

        assertEquals(family == 4 ? VxlanDecoder.IPV4 : VxlanDecoder.IPV6, kind);
        assertEquals(VxlanEncapsulator.OVERHEAD, buf.readerIndex());
        assertEquals(inner.length, buf.readableBytes());
        assertTrue(Arrays.equals(inner, ByteBufUtil.getBytes(buf)), "inner packet changed");
        assertEquals(NODE_A_MAC, decoder.innerSourceMac());
        assertTrue(buf.release());
    }

    /** Every prefix of a valid frame is dropped as malformed, without moving an index. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("kernelFrames")
    void truncatedAtEveryLength(String name, int kind, String frame) {
        byte[] datagram = bytes(frame);
        byte[] vxlan = Arrays.copyOfRange(datagram, UDP_PAYLOAD_OFFSET, datagram.length);
        for (int length = 0; length < vxlan.length; length++) {
            ByteBuf buf = buffer(3, Arrays.copyOf(vxlan, length));
            assertDrop(Counter.DROP_MALFORMED, buf, name + " cut to " + length);
            assertTrue(buf.release());
        }
    }

    @ParameterizedTest(name = "VNI {0}")
    @ValueSource(ints = {0, 2, 0x000100, 0x010001, 0xFFFFFF})
    void wrongVni(int vni) {
        ByteBuf buf = ipv4Frame();
        VxlanHeader.write(buf, 0, vni);
        assertDrop(Counter.DROP_WRONG_VNI, buf, "VNI " + vni);
        assertTrue(buf.release());
    }

    /** RFC 7348 §5: "The I flag MUST be set to 1 for a valid VXLAN Network ID (VNI)." */
    @ParameterizedTest(name = "flags {0}")
    @ValueSource(ints = {0x00, 0x80, 0xF7, 0x01})
    void iFlagClear(int flags) {
        ByteBuf buf = ipv4Frame();
        buf.setByte(VxlanHeader.FLAGS_OFFSET, flags);
        assertDrop(Counter.DROP_MALFORMED, buf, "flags " + flags);
        assertTrue(buf.release());
    }

    /** RFC 7348 §5: reserved fields are "ignored on receipt". */
    @Test
    void reservedBitsAreIgnored() {
        ByteBuf buf = ipv4Frame();
        buf.setInt(0, 0xFFFFFFFF);
        buf.setByte(7, 0xFF);
        assertEquals(VxlanDecoder.IPV4, decoder.decode(buf));
        assertTrue(buf.release());
    }

    @ParameterizedTest(name = "inner destination {0}: {1}")
    @CsvSource({
        "02:bb:00:00:00:02, accepted",
        "ff:ff:ff:ff:ff:ff, accepted",
        "02:aa:00:00:00:01, dropNotOurMac",
        "02:bb:00:00:00:03, dropNotOurMac",
        "00:00:00:00:00:00, dropNotOurMac",
        "01:00:5e:00:00:01, dropNotOurMac",
        "33:33:00:00:00:01, dropNotOurMac",
        "ff:ff:ff:ff:ff:fe, dropNotOurMac",
    })
    void innerDestinationMac(String mac, String outcome) {
        ByteBuf buf = ipv4Frame();
        buf.setShort(VxlanHeader.LENGTH, (int) (MacAddress.parse(mac) >>> 32));
        buf.setInt(VxlanHeader.LENGTH + 2, (int) MacAddress.parse(mac));
        if (outcome.equals("accepted")) {
            assertEquals(VxlanDecoder.IPV4, decoder.decode(buf));
        } else {
            assertDrop(Counter.DROP_NOT_OUR_MAC, buf, mac);
        }
        assertTrue(buf.release());
    }

    @ParameterizedTest(name = "EtherType {0}")
    @ValueSource(strings = {"0x0000", "0x0801", "0x0805", "0x8100", "0x88A8", "0x88CC", "0x8035", "0x86DC", "0xFFFF"})
    void unsupportedEtherType(String etherType) {
        ByteBuf buf = ipv4Frame();
        buf.setShort(VxlanHeader.LENGTH + 12, Integer.decode(etherType));
        assertDrop(Counter.DROP_UNSUPPORTED_ETHERTYPE, buf, etherType);
        assertTrue(buf.release());
    }

    /** Inner IPv4 (RFC 791) whose version, IHL or total length cannot be right. */
    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "version 6 under 0x0800      | 0x65 | 32",
        "version 0                   | 0x05 | 32",
        "IHL 4                       | 0x44 | 32",
        "IHL 0                       | 0x40 | 32",
        "IHL 15, total 32            | 0x4F | 32",
        "total length 0              | 0x45 | 0",
        "total length 19             | 0x45 | 19",
        "total length 33 > 32 here   | 0x45 | 33",
        "total length 65535          | 0x45 | 65535",
    })
    void malformedIpv4(String name, String versionIhl, int totalLength) {
        ByteBuf buf = ipv4Frame(); // 32-byte packet
        buf.setByte(INNER, Integer.decode(versionIhl));
        buf.setShort(INNER + 2, totalLength);
        assertDrop(Counter.DROP_MALFORMED, buf, name);
        assertTrue(buf.release());
    }

    @Test
    void malformedIpv6() {
        byte[] packet = ipv6Udp(0, 1, 2, 40000, 53, 4);
        ByteBuf versionFour = frame(ethernetPayload(0x86DD, packet));
        versionFour.setByte(INNER, 0x40);
        assertDrop(Counter.DROP_MALFORMED, versionFour, "version 4 under 0x86DD");
        ByteBuf tooLong = frame(ethernetPayload(0x86DD, packet));
        tooLong.setShort(INNER + 4, 13);
        assertDrop(Counter.DROP_MALFORMED, tooLong, "payload length 13 > 12 present");
        assertTrue(versionFour.release());
        assertTrue(tooLong.release());
    }

    /** An Ethernet frame is at least 60 bytes: short packets arrive padded, and the padding goes. */
    @ParameterizedTest(name = "EtherType {0}: {1} bytes + padding")
    @CsvSource({"0x0800, 28, 0", "0x86DD, 48, 1", "0x0806, 28, 2"})
    void ethernetPaddingIsTrimmed(String etherType, int packetLength, int kind) {
        byte[] packet = switch (kind) {
            case 0 -> ipv4Udp(0, POD_A, POD_B, 40000, 53, 0);
            case 1 -> ipv6Udp(0, 1, 2, 40000, 53, 0);
            default -> bytes("0001 0800 06 04 0001 02aa00000001 0af40100 000000000000 0af40200");
        };
        assertEquals(packetLength, packet.length);
        byte[] padded = Arrays.copyOf(packet, 46 + 5);
        ByteBuf buf = frame(ethernetPayload(Integer.decode(etherType), padded));

        assertEquals(kind, decoder.decode(buf));

        assertEquals(INNER, buf.readerIndex());
        assertEquals(INNER + packetLength, buf.writerIndex());
        assertTrue(Arrays.equals(packet, ByteBufUtil.getBytes(buf)));
        assertTrue(buf.release());
    }

    /** The checks run in the documented order: the first failing one names the drop. */
    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "I flag clear and wrong VNI             | dropMalformed",
        "wrong VNI and foreign MAC              | dropWrongVni",
        "foreign MAC and bad EtherType          | dropNotOurMac",
        "bad EtherType and truncated IPv4       | dropUnsupportedEthertype",
    })
    void checkOrder(String name, String label) {
        ByteBuf buf = ipv4Frame();
        switch (label) {
            case "dropMalformed" -> {
                buf.setByte(0, 0);
                buf.setMedium(VxlanHeader.VNI_OFFSET, 7);
            }
            case "dropWrongVni" -> {
                buf.setMedium(VxlanHeader.VNI_OFFSET, 7);
                buf.setByte(VxlanHeader.LENGTH + 5, 0x99);
            }
            case "dropNotOurMac" -> {
                buf.setByte(VxlanHeader.LENGTH + 5, 0x99);
                buf.setShort(VxlanHeader.LENGTH + 12, 0x8100);
            }
            default -> {
                buf.setShort(VxlanHeader.LENGTH + 12, 0x8100);
                buf.setShort(INNER + 2, 999);
            }
        }
        assertEquals(label, VxlanDecoder.dropReason(decoder.decode(buf)).label(), name);
        assertTrue(buf.release());
    }

    @Test
    void innerSourceMacIsKeptAcrossDrops() {
        assertEquals(MacAddress.NONE, decoder.innerSourceMac());
        ByteBuf good = ipv4Frame();
        assertEquals(VxlanDecoder.IPV4, decoder.decode(good));
        ByteBuf foreign = ipv4Frame();
        foreign.setMedium(VxlanHeader.VNI_OFFSET, 9);
        foreign.setByte(VxlanHeader.LENGTH + 11, 0x77); // another source MAC
        assertTrue(VxlanDecoder.isDrop(decoder.decode(foreign)));
        assertEquals(NODE_A_MAC, decoder.innerSourceMac());
        assertTrue(good.release());
        assertTrue(foreign.release());
    }

    @Test
    void dropCodesMapBackToTheirCounters() {
        for (Counter counter : Counter.values()) {
            int code = -1 - counter.ordinal();
            assertTrue(VxlanDecoder.isDrop(code));
            assertEquals(counter, VxlanDecoder.dropReason(code));
        }
        for (int kind : new int[] {VxlanDecoder.IPV4, VxlanDecoder.IPV6, VxlanDecoder.ARP}) {
            assertFalse(VxlanDecoder.isDrop(kind));
            assertNull(VxlanDecoder.dropReason(kind));
        }
        assertEquals(0, VxlanDecoder.IPV4);
        assertEquals(1, VxlanDecoder.IPV6);
        assertEquals(2, VxlanDecoder.ARP);
    }

    @Test
    void rejectsBadSettings() {
        assertEquals("VNI out of range: 16777216 (expected: 0-16777215)",
            assertThrows(IllegalArgumentException.class, () -> new VxlanDecoder(1 << 24, NODE_B_MAC)).getMessage());
        assertThrows(IllegalArgumentException.class, () -> new VxlanDecoder(-1, NODE_B_MAC));
        assertThrows(IllegalArgumentException.class, () -> new VxlanDecoder(1, MacAddress.BROADCAST));
        assertThrows(IllegalArgumentException.class, () -> new VxlanDecoder(1, MacAddress.NONE));
    }

    private void assertDrop(Counter expected, ByteBuf buf, String what) {
        int reader = buf.readerIndex();
        int writer = buf.writerIndex();
        long sourceMac = decoder.innerSourceMac();
        int result = decoder.decode(buf);
        assertEquals(expected, VxlanDecoder.dropReason(result), what);
        assertEquals(reader, buf.readerIndex(), what + ": reader index moved");
        assertEquals(writer, buf.writerIndex(), what + ": writer index moved");
        assertEquals(sourceMac, decoder.innerSourceMac(), what + ": source MAC changed");
    }

    /** A VXLAN frame for node B on VNI 1 from node A; {@code typeAndPayload} is the EtherType and payload. */
    private static ByteBuf frame(byte[] typeAndPayload) {
        return buffer(0, bytes("08 000000 000001 00 02bb00000002 02aa00000001" + ByteBufUtil.hexDump(typeAndPayload)));
    }

    private static byte[] ethernetPayload(int etherType, byte[] payload) {
        byte[] out = new byte[2 + payload.length];
        out[0] = (byte) (etherType >>> 8);
        out[1] = (byte) etherType;
        System.arraycopy(payload, 0, out, 2, payload.length);
        return out;
    }

    /** A valid frame around a 32-byte IPv4/UDP packet. */
    private static ByteBuf ipv4Frame() {
        return frame(ethernetPayload(0x0800, ipv4Udp(0, POD_A, POD_B, 40000, 53, 4)));
    }
}
