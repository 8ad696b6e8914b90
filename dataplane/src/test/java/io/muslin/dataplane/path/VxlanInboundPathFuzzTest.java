package io.muslin.dataplane.path;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.muslin.dataplane.FuzzBuffers;
import io.muslin.dataplane.packet.Arp;
import io.muslin.dataplane.packet.Ethernet;
import io.muslin.dataplane.packet.Ipv4;
import io.muslin.dataplane.packet.Ipv4Address;
import io.muslin.dataplane.packet.Ipv4Prefix;
import io.muslin.dataplane.packet.MacAddress;
import io.muslin.dataplane.packet.Packets;
import io.muslin.dataplane.table.Tables;
import io.muslin.dataplane.vxlan.VxlanDecoder;
import io.muslin.dataplane.vxlan.VxlanEncapsulator;
import io.muslin.dataplane.vxlan.VxlanHeader;
import io.netty.buffer.ByteBuf;
import java.nio.ByteBuffer;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Fuzz target: {@link VxlanInboundPath#process}, what a UDP datagram on the VXLAN port goes
 * through before the TUN device (and the ARP reply it may send back).
 *
 * <p>Input: the outer source address (4 bytes), then the UDP payload. What must hold: no
 * exception; a drop counts exactly one reason once (a {@code drop...} counter, or
 * {@code arpIgnored}); a delivered packet is an inner IPv4 or IPv6 packet inside the datagram
 * and counts nothing; a reply is a whole VXLAN frame to the asking VTEP, outer checksum right,
 * holding an ARP reply for our VTEP address with our MAC, which our decoder reads back; both
 * buffers are borrowed and released once.
 */
class VxlanInboundPathFuzzTest {
    private static final int VNI = 1;
    private static final int US = Ipv4Address.parse("192.168.77.2");
    private static final long OUR_MAC = MacAddress.parse("02:bb:00:00:00:02");
    private static final int VTEP_IP = Ipv4Address.parse("10.244.2.0");
    private static final int HEADROOM = 28;
    private static final int REPLY_CAPACITY = 256;
    /** The Linux vxlan driver's broadcast "who has 10.244.2.0? tell 10.244.1.0", UDP payload only. */
    private static final String KERNEL_ARP_REQUEST = """
        08 00 00 00 00 00 01 00
        ff ff ff ff ff ff 02 aa 00 00 00 01 08 06
        00 01 08 00 06 04 00 01 02 aa 00 00 00 01 0a f4 01 00
        00 00 00 00 00 00 0a f4 02 00
        """;

    private static final int PEER = Ipv4Address.parse("192.168.77.1");
    private static final long PEER_MAC = MacAddress.parse("02:aa:00:00:00:01");

    private final Counters counters = new Counters();
    private final CounterChange change = new CounterChange(counters);
    private final Tables tables = new Tables();
    private final VxlanInboundPath path = new VxlanInboundPath(tables, SourceCheck.Mode.STRICT, () -> 1450,
        new VxlanDecoder(VNI, OUR_MAC), new VxlanEncapsulator(US, OUR_MAC, VNI, VxlanHeader.DEFAULT_PORT), VTEP_IP,
        OUR_MAC, counters);

    VxlanInboundPathFuzzTest() {
        // One peer, 10.244.1.0/24 at 192.168.77.1, programmed as PeerProgrammer does.
        int vtep = Ipv4Address.parse("10.244.1.0");
        tables.update(b -> b.putArp(vtep, PEER_MAC).putFdb(PEER_MAC, PEER)
            .putRoute(Ipv4Prefix.parse("10.244.1.0/24"), vtep).putPeer(PEER));
    }

    static Stream<byte[]> seeds() {
        int peer = Ipv4Address.parse("192.168.77.1");
        return Stream.of(
            input(peer, Packets.bytes(KERNEL_ARP_REQUEST)),
            input(0, Packets.bytes(KERNEL_ARP_REQUEST)),
            input(peer, frame(Packets.ipv4Udp(0, 0x0AF40105, 0x0AF40207, 40000, 53, 9))),
            input(peer, frame(Packets.ipv6Udp(0, 1, 2, 40000, 53, 3))));
    }

    private static byte[] input(int source, byte[] payload) {
        return ByteBuffer.allocate(4 + payload.length).putInt(source).put(payload).array();
    }

    /** {@code inner} as the peer's muslin sends it to us: the UDP payload. */
    private static byte[] frame(byte[] inner) {
        ByteBuf buf = FuzzBuffers.direct(VxlanEncapsulator.OVERHEAD, inner, 0);
        try {
            new VxlanEncapsulator(Ipv4Address.parse("192.168.77.1"), MacAddress.parse("02:aa:00:00:00:01"), VNI,
                VxlanHeader.DEFAULT_PORT).encapsulate(buf, US, OUR_MAC);
            buf.skipBytes(Ipv4.MIN_HEADER + 8);
            return FuzzBuffers.readable(buf);
        } finally {
            buf.release();
        }
    }

    @MethodSource("seeds")
    @FuzzTest
    void process(byte[] input) {
        if (input.length < 4) {
            return;
        }
        int source = ByteBuffer.wrap(input).getInt();
        byte[] payload = java.util.Arrays.copyOfRange(input, 4, input.length);
        ByteBuf datagram = FuzzBuffers.direct(HEADROOM, payload, 0);
        ByteBuf reply = FuzzBuffers.ALLOC.directBuffer(REPLY_CAPACITY, REPLY_CAPACITY);
        try {
            change.mark();
            int result = path.process(datagram, source, reply);
            Map<Counter, Long> counted = change.since();
            switch (result) {
                case InboundPath.DROP -> {
                    assertEquals(1, counted.size(), "one drop reason: " + counted);
                    Counter reason = counted.keySet().iterator().next();
                    assertTrue(reason.label().startsWith("drop") || reason == Counter.ARP_IGNORED, "drop reason " + reason);
                    assertEquals(1L, counted.get(reason));
                }
                case InboundPath.DELIVER -> {
                    // A delivery counts nothing here but an unfinished inner checksum it completed.
                    assertTrue(counted.isEmpty() || counted.equals(Map.of(Counter.RX_CHECKSUMS_COMPLETED, 1L)),
                        "a delivery counts at most a completed checksum: " + counted);
                    assertTrue(datagram.readerIndex() >= HEADROOM + VxlanDecoder.MIN_LENGTH);
                    assertTrue(datagram.writerIndex() <= HEADROOM + payload.length);
                    int version = Ipv4.version(datagram, datagram.readerIndex());
                    assertTrue(version == 4 || version == 6, "delivered IP version " + version);
                    assertEquals(0, reply.readableBytes(), "no reply written for a delivery");
                }
                case InboundPath.REPLY -> checkReply(payload, source, reply, counted);
                default -> throw new AssertionError("process returned " + result);
            }
        } finally {
            assertTrue(datagram.release(), "the path borrows the datagram");
            assertTrue(reply.release(), "the path borrows the reply buffer");
        }
        FuzzBuffers.assertAllReleased();
    }

    private static void checkReply(byte[] payload, int source, ByteBuf reply, Map<Counter, Long> counted) {
        assertEquals(Map.of(Counter.ARP_REPLIES, 1L), counted);
        assertTrue(source != 0, "a reply needs somewhere to go");
        int outer = reply.readerIndex();
        assertEquals(VxlanEncapsulator.OVERHEAD + Arp.LENGTH, reply.readableBytes());
        byte[] frame = FuzzBuffers.readable(reply);
        assertEquals(0, Packets.referenceChecksum(frame, 0, Ipv4.MIN_HEADER), "outer IPv4 checksum");
        assertEquals(source, Ipv4.dst(reply, outer));
        assertEquals(US, Ipv4.src(reply, outer));
        assertEquals(Ipv4.PROTO_UDP, Ipv4.protocol(reply, outer));
        assertEquals(VxlanHeader.DEFAULT_PORT, reply.getUnsignedShort(outer + Ipv4.MIN_HEADER + 2));
        assertEquals(frame.length - Ipv4.MIN_HEADER, reply.getUnsignedShort(outer + Ipv4.MIN_HEADER + 4), "UDP length");
        ByteBuf request = io.netty.buffer.Unpooled.wrappedBuffer(payload);
        int arpRequest = VxlanDecoder.MIN_LENGTH;
        long asker = Arp.senderMac(request, arpRequest);
        int ethernet = outer + Ipv4.MIN_HEADER + 8 + VxlanHeader.LENGTH;
        assertEquals(asker, Ethernet.dst(reply, ethernet), "the reply goes to the asking VTEP's MAC");
        assertEquals(OUR_MAC, Ethernet.src(reply, ethernet));
        assertEquals(Ethernet.TYPE_ARP, Ethernet.etherType(reply, ethernet));
        int arp = ethernet + Ethernet.HEADER_LENGTH;
        assertEquals(Arp.OP_REPLY, Arp.operation(reply, arp));
        assertEquals(OUR_MAC, Arp.senderMac(reply, arp));
        assertEquals(VTEP_IP, Arp.senderIp(reply, arp));
        assertEquals(asker, Arp.targetMac(reply, arp));
        assertEquals(Arp.senderIp(request, arpRequest), Arp.targetIp(reply, arp));
        if (!MacAddress.isMulticast(asker)) {
            // The asking VTEP's own decoder takes our reply.
            ByteBuf udpPayload = reply.duplicate().skipBytes(Ipv4.MIN_HEADER + 8);
            assertEquals(VxlanDecoder.ARP, new VxlanDecoder(VNI, asker).decode(udpPayload));
            byte[] arpBytes = FuzzBuffers.readable(udpPayload);
            byte[] expected = new byte[Arp.LENGTH];
            reply.getBytes(arp, expected);
            assertArrayEquals(expected, arpBytes);
        }
    }
}
