package io.muslin.dataplane.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.muslin.dataplane.FuzzBuffers;
import io.muslin.dataplane.ipip.IpipEncapsulator;
import io.muslin.dataplane.packet.Icmp;
import io.muslin.dataplane.packet.Ipv4;
import io.muslin.dataplane.packet.Ipv4Address;
import io.muslin.dataplane.packet.MacAddress;
import io.muslin.dataplane.packet.Packets;
import io.muslin.dataplane.path.PathMtu;
import io.muslin.dataplane.vxlan.VxlanEncapsulator;
import io.netty.buffer.ByteBuf;
import java.util.stream.Stream;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Fuzz target: what the ICMP listener reads from its raw socket (an IPv4 packet with an ICMP
 * message, from any router or host), {@link IcmpListener#fragNeededPeer} and what it does
 * with the answer.
 *
 * <p>What must hold: no exception; a message is taken only if it is "fragmentation needed"
 * (type 3, code 4) with whole IPv4 headers (IHL 5 or more, outer and quoted) quoting a packet
 * from our address, of our protocol and, for VXLAN, to our port; the peer it names is the
 * quoted destination, and learning its MTU leaves a limit of at least {@link PathMtu#MIN_PMTU}.
 * And the other way round: the message {@link Icmp#writeFragNeeded} writes about any packet
 * of ours names that packet's destination.
 */
class IcmpListenerFuzzTest {
    private static final int US = Ipv4Address.parse("192.168.50.1");
    private static final int PORT = 8472;
    private static final int ROUTER = Ipv4Address.parse("192.168.50.254");

    private final PathMtu pathMtu = new PathMtu(1500, Long.MAX_VALUE);

    static Stream<byte[]> seeds() {
        byte[] inner = Packets.ipv4Udp(0, Ipv4Address.parse("10.244.1.2"), Ipv4Address.parse("10.244.3.2"), 1, 2, 100);
        return Stream.of(about(true, inner), about(false, inner));
    }

    private static byte[] about(boolean vxlan, byte[] inner) {
        ByteBuf outer = FuzzBuffers.direct(VxlanEncapsulator.OVERHEAD, inner, 0);
        ByteBuf icmp = FuzzBuffers.ALLOC.directBuffer(200);
        try {
            int peer = Ipv4Address.parse("192.168.60.3");
            if (vxlan) {
                new VxlanEncapsulator(US, MacAddress.parse("6e:75:73:00:00:01"), 1, PORT)
                    .encapsulate(outer, peer, MacAddress.parse("6e:75:73:00:00:03"));
            } else {
                new IpipEncapsulator(US).encapsulate(outer, peer);
            }
            icmp.writerIndex(Icmp.writeFragNeeded(icmp, 0, ROUTER, 1400, outer, outer.readerIndex(), outer.readableBytes()));
            return FuzzBuffers.readable(icmp);
        } finally {
            outer.release();
            icmp.release();
        }
    }

    @MethodSource("seeds")
    @FuzzTest
    void read(byte[] input) {
        ByteBuf buf = FuzzBuffers.direct(input);
        try {
            for (int protocol : new int[] {Ipv4.PROTO_UDP, Ipv4.PROTO_IPIP}) {
                received(buf, protocol);
            }
        } finally {
            assertTrue(buf.release());
        }
        writtenAbout(input);
        FuzzBuffers.assertAllReleased();
    }

    /** As {@link IcmpListener#readable} takes one message. */
    private void received(ByteBuf buf, int protocol) {
        int peer = IcmpListener.fragNeededPeer(buf, US, protocol, PORT);
        if (peer == 0) {
            return;
        }
        int length = buf.readableBytes();
        int icmp = Ipv4.headerLength(buf, 0);
        assertTrue(icmp >= Ipv4.MIN_HEADER, "outer IHL " + icmp / 4 + " accepted");
        int quoted = icmp + Icmp.HEADER;
        assertTrue(quoted + Ipv4.MIN_HEADER <= length, "the quoted header is whole");
        assertEquals(Icmp.TYPE_DEST_UNREACHABLE, Icmp.type(buf, icmp));
        assertEquals(Icmp.CODE_FRAG_NEEDED, Icmp.code(buf, icmp));
        int quotedHeader = Ipv4.headerLength(buf, quoted);
        assertTrue(quotedHeader >= Ipv4.MIN_HEADER, "quoted IHL " + quotedHeader / 4 + " accepted");
        assertEquals(US, Ipv4.src(buf, quoted));
        assertEquals(protocol, Ipv4.protocol(buf, quoted));
        if (protocol == Ipv4.PROTO_UDP) {
            assertTrue(quoted + quotedHeader + 4 <= length, "the quoted UDP ports are there");
            assertEquals(PORT, buf.getUnsignedShort(quoted + quotedHeader + 2));
        }
        assertEquals(Ipv4.dst(buf, quoted), peer);
        int mtu = Icmp.nextHopMtu(buf, icmp);
        if (mtu != 0) {
            pathMtu.learn(peer, mtu, System.nanoTime());
            int limit = pathMtu.outerLimit(peer);
            assertEquals(Math.min(1500, Math.max(mtu, PathMtu.MIN_PMTU)), limit);
        }
    }

    /** A router's message about the input as a packet of ours names its destination. */
    private static void writtenAbout(byte[] input) {
        if (input.length < Ipv4.MIN_HEADER + 4 || (input[0] & 0xFF) != 0x45) {
            return; // writeFragNeeded quotes a whole header; ours are always 20 bytes
        }
        ByteBuf offending = FuzzBuffers.direct(input);
        ByteBuf icmp = FuzzBuffers.ALLOC.directBuffer(200);
        try {
            offending.setInt(Ipv4.SRC, US);
            int sent = Ipv4.protocol(offending, 0);
            icmp.writerIndex(Icmp.writeFragNeeded(icmp, 0, ROUTER, 1400, offending, 0, input.length));
            for (int protocol : new int[] {Ipv4.PROTO_UDP, Ipv4.PROTO_IPIP}) {
                boolean ours = sent == protocol
                    && (protocol == Ipv4.PROTO_IPIP || offending.getUnsignedShort(Ipv4.MIN_HEADER + 2) == PORT);
                assertEquals(ours ? Ipv4.dst(offending, 0) : 0, IcmpListener.fragNeededPeer(icmp, US, protocol, PORT));
            }
        } finally {
            assertTrue(offending.release());
            assertTrue(icmp.release());
        }
    }
}
