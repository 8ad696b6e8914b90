package io.muslin.dataplane.path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.muslin.dataplane.packet.Ethernet;
import io.muslin.dataplane.packet.Ipv4Address;
import io.muslin.dataplane.packet.Ipv4Prefix;
import io.muslin.dataplane.packet.MacAddress;
import io.muslin.dataplane.packet.Packets;
import io.muslin.dataplane.table.Family;
import io.muslin.dataplane.packet.Ipv6Text;
import io.muslin.dataplane.table.Route;
import io.muslin.dataplane.table.Route6;
import io.muslin.dataplane.table.Tables;
import io.muslin.dataplane.vxlan.VxlanDecoder;
import io.muslin.dataplane.vxlan.VxlanEncapsulator;
import io.muslin.dataplane.vxlan.VxlanHeader;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.Test;

/**
 * The VXLAN inbound path's sender and checksum stages: a peer may send only for its own
 * subnets (strict), a stranger not at all, and an unfinished inner checksum is completed.
 */
class VxlanInboundPathTest {
    private static final int US = Ipv4Address.parse("192.168.50.1");
    private static final int PEER2 = Ipv4Address.parse("192.168.50.2");
    private static final int PEER3 = Ipv4Address.parse("192.168.60.3");
    private static final int STRANGER = Ipv4Address.parse("192.168.50.99");
    private static final long OUR_MAC = MacAddress.parse("6e:75:73:00:00:01");
    private static final long MAC2 = MacAddress.parse("6e:75:73:00:00:02");
    private static final long MAC3 = MacAddress.parse("6e:75:73:00:00:03");
    private static final int POD1 = Ipv4Address.parse("10.246.1.2");
    private static final int POD2 = Ipv4Address.parse("10.246.2.2");
    private static final int POD3 = Ipv4Address.parse("10.246.3.2");

    private final Tables tables = new Tables();
    private final Counters counters = new Counters();

    VxlanInboundPathTest() {
        // As PeerProgrammer programs a VXLAN peer 2 and a directly routed peer 3.
        tables.update(b -> b.putArp(Ipv4Address.parse("10.246.2.0"), MAC2).putFdb(MAC2, PEER2)
            .putRoute(Ipv4Prefix.parse("10.246.2.0/24"), Ipv4Address.parse("10.246.2.0"))
            .putRoute(Ipv4Prefix.parse("10.246.3.0/24"), PEER3, Route.DIRECT)
            .putPeer(PEER2).putPeer(PEER3));
    }

    private VxlanInboundPath path(SourceCheck.Mode mode) {
        return new VxlanInboundPath(tables, mode, () -> 1450, new VxlanDecoder(1, OUR_MAC), new VxlanEncapsulator(US, OUR_MAC, 1,
            VxlanHeader.DEFAULT_PORT), Ipv4Address.parse("10.246.1.0"), OUR_MAC, counters);
    }

    /** A VXLAN datagram (VNI 1, to our MAC) carrying {@code inner}. */
    private static ByteBuf datagram(long fromMac, byte[] inner) {
        ByteBuf buf = Unpooled.directBuffer(256);
        buf.writerIndex(VxlanHeader.LENGTH + Ethernet.HEADER_LENGTH);
        VxlanHeader.write(buf, 0, 1);
        Ethernet.write(buf, VxlanHeader.LENGTH, OUR_MAC, fromMac, Ethernet.TYPE_IPV4);
        buf.writeBytes(inner);
        return buf;
    }

    private int process(VxlanInboundPath path, ByteBuf buf, int from) {
        try {
            return path.process(buf, from, Unpooled.EMPTY_BUFFER);
        } finally {
            assertTrue(buf.release());
        }
    }

    @Test
    void deliversWhatAPeerSendsFromItsOwnSubnetsWhetherTunnelledOrDirect() {
        VxlanInboundPath path = path(SourceCheck.Mode.STRICT);
        assertEquals(InboundPath.DELIVER, process(path, datagram(MAC2, Packets.ipv4Udp(0, POD2, POD1, 1, 2, 40)), PEER2));
        assertEquals(InboundPath.DELIVER, process(path, datagram(MAC3, Packets.ipv4Udp(0, POD3, POD1, 1, 2, 40)), PEER3));
        // The peer's own tunnel address (its subnet's network address, flannel.1's) is in its subnet.
        assertEquals(InboundPath.DELIVER, process(path, datagram(MAC2,
            Packets.ipv4Udp(0, Ipv4Address.parse("10.246.2.0"), POD1, 1, 2, 40)), PEER2));
    }

    @Test
    void dropsSpoofedInnerSourcesFromPeersAndEverythingFromStrangers() {
        VxlanInboundPath path = path(SourceCheck.Mode.STRICT);
        int outside = Ipv4Address.parse("10.246.7.7");
        assertEquals(InboundPath.DROP, process(path, datagram(MAC2, Packets.ipv4Udp(0, outside, POD1, 1, 2, 40)), PEER2));
        assertEquals(InboundPath.DROP, process(path, datagram(MAC2, Packets.ipv4Udp(0, POD3, POD1, 1, 2, 40)), PEER2));
        assertEquals(InboundPath.DROP, process(path, datagram(MAC2, Packets.ipv4Udp(0, POD1, POD1, 1, 2, 40)), PEER2));
        assertEquals(3, counters.get(Counter.DROP_SPOOFED_SOURCE));
        assertEquals(InboundPath.DROP, process(path, datagram(MAC2, Packets.ipv4Udp(0, POD2, POD1, 1, 2, 40)), STRANGER));
        assertEquals(1, counters.get(Counter.DROP_UNKNOWN_SENDER));
        // The same flow again hits the one-entry cache and is still dropped.
        assertEquals(InboundPath.DROP, process(path, datagram(MAC2, Packets.ipv4Udp(0, POD2, POD1, 1, 2, 40)), STRANGER));
        assertEquals(2, counters.get(Counter.DROP_UNKNOWN_SENDER));
    }

    @Test
    void withTheSourceCheckOffPeersMaySendForOtherPrefixes() {
        VxlanInboundPath path = path(SourceCheck.Mode.OFF);
        int outside = Ipv4Address.parse("172.16.9.9");
        assertEquals(InboundPath.DELIVER, process(path, datagram(MAC2, Packets.ipv4Udp(0, outside, POD1, 1, 2, 40)), PEER2));
        assertEquals(InboundPath.DROP, process(path, datagram(MAC2, Packets.ipv4Udp(0, POD2, POD1, 1, 2, 40)), STRANGER));
        assertEquals(1, counters.get(Counter.DROP_UNKNOWN_SENDER));
        assertEquals(0, counters.get(Counter.DROP_SPOOFED_SOURCE));
    }

    @Test
    void aVerdictFollowsTheTables() {
        VxlanInboundPath path = path(SourceCheck.Mode.STRICT);
        assertEquals(InboundPath.DELIVER, process(path, datagram(MAC2, Packets.ipv4Udp(0, POD2, POD1, 1, 2, 40)), PEER2));
        // Subnet 2 moves to the node at PEER3's address: the cached verdict must not outlive the snapshot.
        tables.update(b -> b.putFdb(MAC2, PEER3));
        assertEquals(InboundPath.DROP, process(path, datagram(MAC2, Packets.ipv4Udp(0, POD2, POD1, 1, 2, 40)), PEER2));
        assertEquals(1, counters.get(Counter.DROP_SPOOFED_SOURCE));
    }

    @Test
    void completesAnUnfinishedInnerChecksumAndDropsABadOne() {
        VxlanInboundPath path = path(SourceCheck.Mode.STRICT);
        byte[] partial = Packets.ipv4Udp(0, POD2, POD1, 1, 2, 50);
        long pseudo = (POD2 >>> 16) + (POD2 & 0xFFFF) + (POD1 >>> 16) + (POD1 & 0xFFFF) + 17 + 58;
        pseudo = (pseudo & 0xFFFF) + (pseudo >>> 16);
        Packets.putShort(partial, 26, (int) pseudo);
        ByteBuf buf = datagram(MAC2, partial);
        try {
            assertEquals(InboundPath.DELIVER, path.process(buf, PEER2, Unpooled.EMPTY_BUFFER));
            assertEquals(InnerChecksum.VALID, InnerChecksum.check(buf, buf.readerIndex()));
        } finally {
            assertTrue(buf.release());
        }
        assertEquals(1, counters.get(Counter.RX_CHECKSUMS_COMPLETED));
        Packets.putShort(partial, 26, (int) pseudo + 1);
        assertEquals(InboundPath.DROP, process(path, datagram(MAC2, partial), PEER2));
        assertEquals(1, counters.get(Counter.DROP_BAD_CHECKSUM));
    }

    // --- over an IPv6 underlay, inner IPv6 (flannel-v6.1) ---

    private static final String US6 = "fd00:50::1";
    private static final String PEER2_6 = "fd00:50::2";
    private static final long MAC2_6 = MacAddress.parse("6e:75:73:00:06:02");

    private VxlanInboundPath path6() {
        tables.update(b -> b.putNeighbor6(Ipv6Text.hi("fd00:10:246:2::"), 0, MAC2_6)
            .putFdb6(MAC2_6, Ipv6Text.hi(PEER2_6), Ipv6Text.lo(PEER2_6))
            .putRoute6(Route6.parse("fd00:10:246:2::/64", "fd00:10:246:2::", Route.ENCAP))
            .putPeer(Family.IPV6, Ipv6Text.hi(PEER2_6), Ipv6Text.lo(PEER2_6)));
        return new VxlanInboundPath(tables, SourceCheck.Mode.STRICT, () -> 1430, new VxlanDecoder(1, OUR_MAC),
            new VxlanEncapsulator(Family.IPV6, Ipv6Text.hi(US6), Ipv6Text.lo(US6), OUR_MAC, 1, VxlanHeader.DEFAULT_PORT),
            Ipv4Address.parse("10.246.1.0"), OUR_MAC, counters);
    }

    private static ByteBuf datagram6(long fromMac, byte[] inner) {
        ByteBuf buf = datagram(fromMac, inner);
        buf.setShort(VxlanHeader.LENGTH + Ethernet.TYPE_OFFSET, Ethernet.TYPE_IPV6);
        return buf;
    }

    private int process6(VxlanInboundPath path, ByteBuf buf, String from) {
        try {
            return path.process(buf, Ipv6Text.hi(from), Ipv6Text.lo(from), Unpooled.EMPTY_BUFFER);
        } finally {
            assertTrue(buf.release());
        }
    }

    @Test
    void deliversIpv6FromAPeersIpv6SubnetAndDropsSpoofsAndStrangers() {
        VxlanInboundPath path = path6();
        byte[] own = Packets.ipv6Udp("fd00:10:246:2::5", "fd00:10:246:1::2", 1, 2, 40);
        assertEquals(InboundPath.DELIVER, process6(path, datagram6(MAC2_6, own), PEER2_6));
        byte[] spoofed = Packets.ipv6Udp("fd00:10:246:3::5", "fd00:10:246:1::2", 1, 2, 40);
        assertEquals(InboundPath.DROP, process6(path, datagram6(MAC2_6, spoofed), PEER2_6));
        assertEquals(1, counters.get(Counter.DROP_SPOOFED_SOURCE));
        assertEquals(InboundPath.DROP, process6(path, datagram6(MAC2_6, own), "fd00:50::99"));
        assertEquals(1, counters.get(Counter.DROP_UNKNOWN_SENDER));
        assertEquals(0, counters.get(Counter.DROP_UNSUPPORTED_FAMILY));
    }

    @Test
    void anIpv6InnerChecksumIsCheckedToo() {
        VxlanInboundPath path = path6();
        byte[] bad = Packets.ipv6Udp("fd00:10:246:2::5", "fd00:10:246:1::2", 1, 2, 40);
        bad[47] ^= 1;
        assertEquals(InboundPath.DROP, process6(path, datagram6(MAC2_6, bad), PEER2_6));
        assertEquals(1, counters.get(Counter.DROP_BAD_CHECKSUM));
    }
}
