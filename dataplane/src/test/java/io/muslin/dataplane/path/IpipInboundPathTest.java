package io.muslin.dataplane.path;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.muslin.dataplane.ipip.IpipEncapsulator;
import io.muslin.dataplane.packet.Ipv4Address;
import io.muslin.dataplane.packet.Ipv4Prefix;
import io.muslin.dataplane.packet.Packets;
import io.muslin.dataplane.table.Route;
import io.muslin.dataplane.table.Tables;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/**
 * Only a known peer, sending from its own subnet (or from anywhere with {@code SourceCheck}
 * off), gets a packet into the TUN device.
 */
class IpipInboundPathTest {
    private static final int US = Ipv4Address.parse("192.168.50.1");
    private static final int PEER2 = Ipv4Address.parse("192.168.50.2");
    private static final int PEER3 = Ipv4Address.parse("192.168.60.3");
    private static final int STRANGER = Ipv4Address.parse("192.168.50.99");
    private static final int POD1 = Ipv4Address.parse("10.244.1.2");
    private static final int POD2 = Ipv4Address.parse("10.244.2.2");
    private static final int POD3 = Ipv4Address.parse("10.244.3.2");

    private final Tables tables = new Tables();
    private final Counters counters = new Counters();
    private final IpipInboundPath path = new IpipInboundPath(tables, SourceCheck.Mode.STRICT, () -> 1480, counters);

    IpipInboundPathTest() {
        tables.update(b -> b.putRoute(Ipv4Prefix.parse("10.244.2.0/24"), PEER2, Route.DIRECT)
            .putRoute(Ipv4Prefix.parse("10.244.3.0/24"), PEER3, Route.ENCAP).putPeer(PEER2).putPeer(PEER3));
    }

    /** What a peer at {@code from} sends for {@code innerSrc}, as the raw socket returns it (outer header included). */
    private static ByteBuf received(int from, int innerSrc, Consumer<ByteBuf> mangle) {
        byte[] inner = Packets.ipv4Udp(0, innerSrc, POD1, 1, 2, 50);
        ByteBuf buf = Packets.buffer(IpipEncapsulator.OVERHEAD, inner);
        new IpipEncapsulator(from).encapsulate(buf, US);
        mangle.accept(buf);
        return buf;
    }

    private int process(ByteBuf buf) {
        try {
            return path.process(buf, 0, Unpooled.EMPTY_BUFFER);
        } finally {
            buf.release();
        }
    }

    @Test
    void deliversTheInnerPacketOfAKnownPeer() {
        ByteBuf buf = received(PEER3, POD3, b -> { });
        try {
            assertEquals(InboundPath.DELIVER, path.process(buf, PEER3, Unpooled.EMPTY_BUFFER));
            assertEquals(20, buf.readerIndex());
            assertEquals(78, buf.readableBytes());
            assertEquals(0x45, buf.getUnsignedByte(buf.readerIndex()));
        } finally {
            buf.release();
        }
        // A peer routed directly may still send encapsulated (its own view of the underlay differs).
        assertEquals(InboundPath.DELIVER, process(received(PEER2, POD2, b -> { })));
    }

    @Test
    void dropsUnknownSendersAndSpoofedInnerSources() {
        assertEquals(InboundPath.DROP, process(received(STRANGER, POD3, b -> { })));
        assertEquals(InboundPath.DROP, process(received(STRANGER, Ipv4Address.parse("10.9.9.9"), b -> { })));
        assertEquals(2, counters.get(Counter.DROP_UNKNOWN_SENDER));
        assertEquals(InboundPath.DROP, process(received(PEER2, POD3, b -> { })), "peer 2 sending for subnet 3");
        assertEquals(InboundPath.DROP, process(received(PEER3, Ipv4Address.parse("10.9.9.9"), b -> { })));
        assertEquals(InboundPath.DROP, process(received(PEER3, POD1, b -> { })), "peer 3 sending as one of our pods");
        assertEquals(3, counters.get(Counter.DROP_SPOOFED_SOURCE));
        assertEquals(2, counters.get(Counter.DROP_UNKNOWN_SENDER));
        assertEquals(0, counters.get(Counter.DROP_MALFORMED));
    }

    @Test
    void withTheSourceCheckOffAPeerMaySendForAnyAddressButAStrangerStillMayNot() {
        IpipInboundPath off = new IpipInboundPath(tables, SourceCheck.Mode.OFF, () -> 1480, counters);
        for (int src : new int[] {POD3, POD2, Ipv4Address.parse("10.9.9.9"), Ipv4Address.parse("172.16.0.5")}) {
            ByteBuf buf = received(PEER3, src, b -> { });
            try {
                assertEquals(InboundPath.DELIVER, off.process(buf, PEER3, Unpooled.EMPTY_BUFFER));
            } finally {
                buf.release();
            }
        }
        ByteBuf stranger = received(STRANGER, POD3, b -> { });
        try {
            assertEquals(InboundPath.DROP, off.process(stranger, STRANGER, Unpooled.EMPTY_BUFFER));
        } finally {
            stranger.release();
        }
        assertEquals(1, counters.get(Counter.DROP_UNKNOWN_SENDER));
        assertEquals(0, counters.get(Counter.DROP_SPOOFED_SOURCE));
    }

    @Test
    void aPeerThatGoesIsAStrangerAgain() {
        assertEquals(InboundPath.DELIVER, process(received(PEER3, POD3, b -> { })));
        tables.update(b -> b.removeRoute(Ipv4Prefix.parse("10.244.3.0/24")).removePeer(PEER3));
        assertEquals(InboundPath.DROP, process(received(PEER3, POD3, b -> { })));
        assertEquals(1, counters.get(Counter.DROP_UNKNOWN_SENDER));
    }

    @Test
    void completesAnUnfinishedInnerChecksumAndDropsABadOne() {
        byte[] good = Packets.ipv4Udp(0, POD3, POD1, 1, 2, 50);
        good[26] = 0x12; // a UDP checksum that is neither right nor the pseudo-header sum
        good[27] = 0x34;
        ByteBuf buf = Packets.buffer(IpipEncapsulator.OVERHEAD, good);
        new IpipEncapsulator(PEER3).encapsulate(buf, US);
        assertEquals(InboundPath.DROP, process(buf));
        assertEquals(1, counters.get(Counter.DROP_BAD_CHECKSUM));

        byte[] partial = Packets.ipv4Udp(0, POD3, POD1, 1, 2, 50);
        long pseudo = (POD3 >>> 16) + (POD3 & 0xFFFF) + (POD1 >>> 16) + (POD1 & 0xFFFF) + 17 + 58;
        pseudo = (pseudo & 0xFFFF) + (pseudo >>> 16);
        Packets.putShort(partial, 26, (int) pseudo);
        ByteBuf p = Packets.buffer(IpipEncapsulator.OVERHEAD, partial);
        new IpipEncapsulator(PEER3).encapsulate(p, US);
        try {
            assertEquals(InboundPath.DELIVER, path.process(p, PEER3, Unpooled.EMPTY_BUFFER));
            assertEquals(InnerChecksum.VALID, InnerChecksum.check(p, p.readerIndex()));
        } finally {
            p.release();
        }
        assertEquals(1, counters.get(Counter.RX_CHECKSUMS_COMPLETED));
    }

    @Test
    void dropsMalformedPacketsByReason() {
        assertEquals(InboundPath.DROP, process(received(PEER3, POD3, b -> b.writerIndex(b.readerIndex() + 19))));
        assertEquals(InboundPath.DROP, process(received(PEER3, POD3, b -> b.setByte(b.readerIndex(), 0x44))));
        assertEquals(InboundPath.DROP, process(received(PEER3, POD3, b -> b.setShort(b.readerIndex() + 2, 30))));
        assertEquals(InboundPath.DROP, process(received(PEER3, POD3, b -> b.setShort(b.readerIndex() + 22, 200))));
        assertEquals(InboundPath.DROP, process(received(PEER3, POD3, b -> b.setByte(b.readerIndex() + 9, 17))));
        assertEquals(InboundPath.DROP, process(received(PEER3, POD3, b -> b.setByte(b.readerIndex() + 20, 0x60))));
        assertEquals(5, counters.get(Counter.DROP_MALFORMED));
        assertEquals(1, counters.get(Counter.DROP_UNSUPPORTED_FAMILY));
        assertEquals(0, counters.get(Counter.DROP_UNKNOWN_SENDER));
    }

    @Test
    void trimsTrailingBytesAfterTheInnerPacket() {
        // Ethernet padding or a sender's slack after the inner packet is not delivered.
        ByteBuf buf = received(PEER3, POD3, b -> { });
        ByteBuf padded = Unpooled.directBuffer(200).writeBytes(buf, buf.readerIndex(), buf.readableBytes());
        buf.release();
        padded.setShort(2, padded.getUnsignedShort(2) + 6);
        padded.writeZero(6);
        try {
            assertEquals(InboundPath.DELIVER, path.process(padded, PEER3, Unpooled.EMPTY_BUFFER));
            assertEquals(78, padded.readableBytes());
        } finally {
            padded.release();
        }
    }
}
