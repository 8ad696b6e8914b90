package io.muslin.dataplane.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.muslin.dataplane.ipip.IpipEncapsulator;
import io.muslin.dataplane.packet.Icmp;
import io.muslin.dataplane.packet.Ipv4;
import io.muslin.dataplane.packet.Ipv4Address;
import io.muslin.dataplane.packet.MacAddress;
import io.muslin.dataplane.packet.Packets;
import io.muslin.dataplane.vxlan.VxlanEncapsulator;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/** Only "fragmentation needed" about a packet of ours teaches a path MTU. */
class IcmpListenerTest {
    private static final int US = Ipv4Address.parse("192.168.50.1");
    private static final int PEER = Ipv4Address.parse("192.168.60.3");
    private static final int ROUTER = Ipv4Address.parse("192.168.50.254");

    /** What the router sends back about an outer packet we sent (built by our encapsulators). */
    private static ByteBuf icmpAbout(boolean vxlan, Consumer<ByteBuf> mangleQuoted) {
        byte[] inner = Packets.ipv4Udp(0, Ipv4Address.parse("10.244.1.2"), Ipv4Address.parse("10.244.3.2"), 1, 2, 1400);
        ByteBuf outer = Packets.buffer(VxlanEncapsulator.OVERHEAD, inner);
        ByteBuf icmp = Unpooled.directBuffer(200);
        try {
            if (vxlan) {
                new VxlanEncapsulator(US, MacAddress.parse("6e:75:73:00:00:01"), 1, 8472)
                    .encapsulate(outer, PEER, MacAddress.parse("6e:75:73:00:00:03"));
            } else {
                new IpipEncapsulator(US).encapsulate(outer, PEER);
            }
            mangleQuoted.accept(outer);
            int n = Icmp.writeFragNeeded(icmp, 0, ROUTER, 1400, outer, outer.readerIndex(), outer.readableBytes());
            icmp.writerIndex(n);
            return icmp;
        } finally {
            outer.release();
        }
    }

    private static int peerOf(ByteBuf icmp, int protocol) {
        try {
            return IcmpListener.fragNeededPeer(icmp, US, protocol, 8472);
        } finally {
            icmp.release();
        }
    }

    @Test
    void learnsFromMessagesAboutOurPackets() {
        assertEquals(PEER, peerOf(icmpAbout(true, b -> { }), Ipv4.PROTO_UDP));
        assertEquals(PEER, peerOf(icmpAbout(false, b -> { }), Ipv4.PROTO_IPIP));
        ByteBuf m = icmpAbout(true, b -> { });
        assertEquals(1400, Icmp.nextHopMtu(m, 20));
        m.release();
    }

    @Test
    void ignoresEverythingElse() {
        assertEquals(0, peerOf(icmpAbout(true, b -> { }), Ipv4.PROTO_IPIP), "not our backend's protocol");
        assertEquals(0, peerOf(icmpAbout(true, b -> b.setInt(b.readerIndex() + 12, ROUTER)), Ipv4.PROTO_UDP),
            "quoted source is not us");
        assertEquals(0, peerOf(icmpAbout(true, b -> b.setShort(b.readerIndex() + 22, 4789)), Ipv4.PROTO_UDP),
            "not our VXLAN port");
        assertEquals(0, peerOf(icmpAbout(true, b -> { }).setByte(21, 1), Ipv4.PROTO_UDP), "code 1, host unreachable");
        assertEquals(0, peerOf(icmpAbout(true, b -> { }).setByte(20, 11), Ipv4.PROTO_UDP), "time exceeded");
        assertEquals(0, peerOf(Unpooled.directBuffer(8).writeLong(0), Ipv4.PROTO_UDP), "runt");
    }
}
