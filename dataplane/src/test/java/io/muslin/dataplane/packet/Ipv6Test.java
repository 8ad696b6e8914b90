package io.muslin.dataplane.packet;

import static io.muslin.dataplane.packet.Packets.buffer;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class Ipv6Test {

    /** RFC 8200 §3: version (4 bits), traffic class (8), flow label (20), then payload length. */
    @ParameterizedTest(name = "{0}: traffic class {1}, payload {2}, next header {3}")
    @CsvSource({
        "60000000 0000 3a 40, 0x00, 0,     58",
        "6ab12345 0010 11 40, 0xab, 16,    17",
        "6ff00000 ffff 06 01, 0xff, 65535, 6",
        "600987cb 000f 11 40, 0x00, 15,    17",
    })
    void readsTheFixedHeader(String start, String trafficClass, int payloadLength, int nextHeader) {
        ByteBuf buf = buffer(start + " fd000001000000000000000000000001 fd000001000000000000000000000002");
        assertEquals(6, Ipv6.version(buf, 0));
        assertEquals((int) Integer.decode(trafficClass), Ipv6.trafficClass(buf, 0));
        assertEquals(payloadLength, Ipv6.payloadLength(buf, 0));
        assertEquals(nextHeader, Ipv6.nextHeader(buf, 0));
        assertEquals(0xfd000001, buf.getInt(Ipv6.SRC));
        assertEquals(2, buf.getInt(Ipv6.DST + 12));
        assertTrue(buf.release());
    }

    @Test
    void layoutConstants() {
        assertEquals(40, Ipv6.HEADER_LENGTH);
        assertEquals(4, Ipv6.PAYLOAD_LENGTH_OFFSET);
        assertEquals(6, Ipv6.NEXT_HEADER);
        assertEquals(8, Ipv6.SRC);
        assertEquals(Ipv6.SRC + 16, Ipv6.DST);
        assertEquals(Ipv6.DST + 16, Ipv6.HEADER_LENGTH);
    }
}
