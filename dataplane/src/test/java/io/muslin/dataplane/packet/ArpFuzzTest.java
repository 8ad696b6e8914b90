package io.muslin.dataplane.packet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.muslin.dataplane.FuzzBuffers;
import io.netty.buffer.ByteBuf;
import java.util.Arrays;
import java.util.stream.Stream;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Fuzz target: ARP as the VXLAN inbound path reads it. Input: one control byte (where the ARP
 * packet starts, -8..55: before, inside or past the bytes), then the bytes.
 *
 * <p>What must hold: {@link Arp#isRequestFor} never reads outside the buffer's readable bytes
 * (no exception at any index) and is true exactly for a whole Ethernet/IPv4 request for that
 * address; the reply {@link Arp#writeReply} writes in place over such a request is a reply from
 * us to the asker, which is not itself a request.
 */
class ArpFuzzTest {
    private static final long OUR_MAC = MacAddress.parse("02:bb:00:00:00:02");
    private static final int OUR_IP = Ipv4Address.parse("10.244.2.0");

    static Stream<byte[]> seeds() {
        byte[] request = Packets.bytes("08 00 01 08 00 06 04 00 01 02 aa 00 00 00 01 0a f4 01 00 00 00 00 00 00 00 0a f4 02 00");
        byte[] reply = Packets.bytes("08 00 01 08 00 06 04 00 02 02 bb 00 00 00 02 0a f4 02 00 02 aa 00 00 00 01 0a f4 01 00");
        return Stream.of(request, reply);
    }

    @MethodSource("seeds")
    @FuzzTest
    void arp(byte[] input) {
        if (input.length < 1) {
            return;
        }
        int index = (input[0] & 0x3F) - 8;
        byte[] data = Arrays.copyOfRange(input, 1, input.length);
        ByteBuf buf = FuzzBuffers.direct(data);
        try {
            boolean whole = index >= 0 && index + Arp.LENGTH <= data.length;
            int target = whole ? Arp.targetIp(buf, index) : OUR_IP;
            boolean request = Arp.isRequestFor(buf, index, OUR_IP);
            boolean expected = whole && Arp.targetIp(buf, index) == OUR_IP && buf.getUnsignedShort(index) == Arp.HTYPE_ETHERNET
                && buf.getUnsignedShort(index + Arp.PTYPE_OFFSET) == Arp.PTYPE_IPV4
                && buf.getUnsignedByte(index + Arp.HLEN_OFFSET) == Arp.HLEN_ETHERNET
                && buf.getUnsignedByte(index + Arp.PLEN_OFFSET) == Arp.PLEN_IPV4
                && Arp.operation(buf, index) == Arp.OP_REQUEST;
            assertEquals(expected, request, "isRequestFor at " + index);
            if (whole) {
                assertEquals(Arp.isRequestFor(buf, index, target) && target == OUR_IP, request);
            }
            if (!request) {
                return;
            }
            long askerMac = Arp.senderMac(buf, index);
            int askerIp = Arp.senderIp(buf, index);
            Arp.writeReply(buf, index, OUR_MAC, OUR_IP, buf, index);
            assertEquals(Arp.OP_REPLY, Arp.operation(buf, index));
            assertEquals(OUR_MAC, Arp.senderMac(buf, index));
            assertEquals(OUR_IP, Arp.senderIp(buf, index));
            assertEquals(askerMac, Arp.targetMac(buf, index));
            assertEquals(askerIp, Arp.targetIp(buf, index));
            assertFalse(Arp.isRequestFor(buf, index, Arp.targetIp(buf, index)), "a reply is no request");
        } finally {
            assertTrue(buf.release());
        }
        FuzzBuffers.assertAllReleased();
    }
}
