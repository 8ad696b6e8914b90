package io.muslin.dataplane.packet;

import static io.muslin.dataplane.packet.Packets.buffer;
import static io.muslin.dataplane.packet.Packets.bytes;
import static io.muslin.dataplane.packet.Packets.hex;
import static io.muslin.dataplane.packet.Packets.squash;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ArpTest {
    /** "Who has 10.244.2.0? Tell 10.244.1.0 (02:aa:00:00:00:01)", as the Linux kernel sent it. */
    private static final String KERNEL_REQUEST =
        "0001 0800 06 04 0001 02aa00000001 0af40100 000000000000 0af40200";
    /** The Linux kernel's reply from 02:bb:00:00:00:02. */
    private static final String KERNEL_REPLY =
        "0001 0800 06 04 0002 02bb00000002 0af40200 02aa00000001 0af40100";

    private static final int REQUESTER_IP = Ipv4Address.parse("10.244.1.0");
    private static final long REQUESTER_MAC = MacAddress.parse("02:aa:00:00:00:01");
    private static final int OUR_IP = Ipv4Address.parse("10.244.2.0");
    private static final long OUR_MAC = MacAddress.parse("02:bb:00:00:00:02");

    @Test
    void recognisesTheKernelsRequest() {
        ByteBuf buf = buffer(KERNEL_REQUEST);
        assertTrue(Arp.isRequestFor(buf, 0, OUR_IP));
        assertFalse(Arp.isRequestFor(buf, 0, OUR_IP + 1));
        assertFalse(Arp.isRequestFor(buf, 0, REQUESTER_IP));
        assertEquals(Arp.OP_REQUEST, Arp.operation(buf, 0));
        assertEquals(REQUESTER_IP, Arp.senderIp(buf, 0));
        assertEquals(REQUESTER_MAC, Arp.senderMac(buf, 0));
        assertEquals(0, Arp.targetMac(buf, 0));
        assertEquals(OUR_IP, Arp.targetIp(buf, 0));
        assertTrue(buf.release());
    }

    /** RFC 826 "Packet Reception": swap sender and target, put in our addresses, opcode reply. */
    @ParameterizedTest(name = "reply from {0} {1}")
    @CsvSource({
        "02:bb:00:00:00:02, 10.244.2.0, " + KERNEL_REQUEST + ", " + KERNEL_REPLY,
        "c6:d2:32:6f:8f:44, 10.0.0.1, "
            + "0001 0800 06 04 0001 0a0b0c0d0e0f c0a80101 ffffffffffff 0a000001, "
            + "0001 0800 06 04 0002 c6d2326f8f44 0a000001 0a0b0c0d0e0f c0a80101",
    })
    void writesTheRfc826Reply(String ourMac, String ourIp, String request, String expectedReply) {
        ByteBuf in = buffer(request);
        ByteBuf out = Unpooled.directBuffer(2 + Arp.LENGTH).writeZero(2 + Arp.LENGTH);

        Arp.writeReply(out, 2, MacAddress.parse(ourMac), Ipv4Address.parse(ourIp), in, 0);

        assertEquals("0000" + squash(expectedReply), hex(out));
        assertEquals(squash(request), hex(in), "the request is only read");
        assertTrue(in.release());
        assertTrue(out.release());
    }

    @Test
    void repliesInPlace() {
        ByteBuf buf = buffer(KERNEL_REQUEST);
        Arp.writeReply(buf, 0, OUR_MAC, OUR_IP, buf, 0);
        assertEquals(squash(KERNEL_REPLY), hex(buf));
        assertTrue(buf.release());
    }

    /** Each fixed field of an Ethernet/IPv4 request, changed: not a request we answer. */
    @ParameterizedTest(name = "{0}")
    @CsvSource({
        "IEEE 802 hardware type 6,  0006 0800 06 04 0001",
        "IPv6 protocol type,        0001 86dd 06 04 0001",
        "hardware length 8,         0001 0800 08 04 0001",
        "protocol length 16,        0001 0800 06 10 0001",
        "opcode reply,              0001 0800 06 04 0002",
        "opcode RARP request 3,     0001 0800 06 04 0003",
        "opcode 0,                  0001 0800 06 04 0000",
    })
    void rejectsOtherHardwareProtocolsAndOpcodes(String name, String fixedPart) {
        ByteBuf buf = buffer(KERNEL_REQUEST);
        buf.setBytes(0, bytes(fixedPart));
        assertFalse(Arp.isRequestFor(buf, 0, OUR_IP), name);
        assertTrue(buf.release());
    }

    @Test
    void truncatedRequestsAreNotRequests() {
        byte[] request = bytes(KERNEL_REQUEST);
        for (int length = 0; length < Arp.LENGTH; length++) {
            ByteBuf buf = Unpooled.directBuffer(Arp.LENGTH);
            buf.writeBytes(request, 0, length);
            assertFalse(Arp.isRequestFor(buf, 0, OUR_IP), "length " + length);
            assertTrue(buf.release());
        }
        ByteBuf buf = buffer(KERNEL_REQUEST);
        assertFalse(Arp.isRequestFor(buf, 1, OUR_IP), "index past the start");
        assertFalse(Arp.isRequestFor(buf, -1, OUR_IP), "negative index");
        assertTrue(buf.release());
    }

    @Test
    void rfc826Offsets() {
        assertEquals(0, Arp.HTYPE_OFFSET);
        assertEquals(2, Arp.PTYPE_OFFSET);
        assertEquals(4, Arp.HLEN_OFFSET);
        assertEquals(5, Arp.PLEN_OFFSET);
        assertEquals(6, Arp.OP_OFFSET);
        assertEquals(8, Arp.SHA_OFFSET);
        assertEquals(Arp.SHA_OFFSET + Arp.HLEN_ETHERNET, Arp.SPA_OFFSET);
        assertEquals(Arp.SPA_OFFSET + Arp.PLEN_IPV4, Arp.THA_OFFSET);
        assertEquals(Arp.THA_OFFSET + Arp.HLEN_ETHERNET, Arp.TPA_OFFSET);
        assertEquals(Arp.TPA_OFFSET + Arp.PLEN_IPV4, Arp.LENGTH);
        assertEquals(1, Arp.OP_REQUEST);
        assertEquals(2, Arp.OP_REPLY);
    }
}
