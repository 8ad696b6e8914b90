package io.muslin.dataplane.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.muslin.dataplane.packet.Ipv4Address;
import io.muslin.dataplane.packet.Ipv6Address;
import io.muslin.dataplane.table.FdbEntry;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A dual-stack node's sends: each frame and run to its underlay family's sender. */
class FamilySendersTest {
    private static final FdbEntry PEER4 = new FdbEntry(0x6e7573000002L, Ipv4Address.parse("192.168.50.2"));
    private static final Ipv6Address P6 = Ipv6Address.parse("fd00:50::2");
    private static final FdbEntry PEER6 = FdbEntry.ipv6(0x6e7576000002L, P6.hi(), P6.lo());

    private final FakeUnderlaySender ipv4 = new FakeUnderlaySender(4, 17);
    private final FakeUnderlaySender ipv6 = new FakeUnderlaySender(4, 17);
    private final FamilySenders senders = new FamilySenders(ipv4, ipv6);

    @Test
    void framesAndRunsGoToTheSenderOfTheirUnderlaysFamily() {
        ByteBuf frame = Unpooled.buffer(100).writerIndex(100);
        ByteBuf template = Unpooled.buffer(128);
        try {
            senders.frame(frame, PEER4);
            senders.beginRun(PEER6, template, 0);
            senders.segment(0, 70, 0, 1400);
            senders.frame(frame, PEER6);
            assertTrue(senders.flush());
            assertEquals(List.of("frame 100 to 192.168.50.2"), ipv4.sent);
            assertEquals(List.of("run to fd00:50::2", "segment 70+1400", "frame 100 to fd00:50::2"), ipv6.sent);
            assertEquals(34, senders.sockets());
        } finally {
            assertTrue(frame.release());
            assertTrue(template.release());
        }
    }

    @Test
    void aStalledIpv6SocketIsNumberedAfterTheIpv4Sockets() {
        ipv6.stallNext = true;
        ipv6.stallOn = 3;
        assertFalse(senders.flush());
        assertEquals(17 + 3, senders.stalledSocket());
        assertTrue(senders.flush(), "the retry goes through");
    }

    @Test
    void aNewPacketNeedsRoomInBothFamilies() {
        ByteBuf frame = Unpooled.buffer(10).writerIndex(10);
        try {
            for (int i = 0; i < 4; i++) {
                assertTrue(senders.canStart());
                senders.frame(frame, PEER6);
            }
            assertFalse(senders.canStart(), "the IPv6 sender is full: the next read might be IPv6");
        } finally {
            assertTrue(frame.release());
        }
        senders.close();
        assertTrue(ipv4.closed && ipv6.closed);
    }
}
