package io.muslin.dataplane.packet;

import static io.muslin.dataplane.packet.Packets.buffer;
import static io.muslin.dataplane.packet.Packets.ipv4Udp;
import static io.muslin.dataplane.packet.Packets.ipv6Udp;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.function.IntFunction;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class FlowHashTest {
    private static final int POD_A = Ipv4Address.parse("10.244.1.5");
    private static final int POD_B = Ipv4Address.parse("10.244.2.7");
    private static final int PORTS = FlowHash.SOURCE_PORT_MAX - FlowHash.SOURCE_PORT_MIN + 1;

    @Test
    void sameFlowSamePortWhateverThePayloadAndPlace() {
        byte[] first = ipv4Udp(0, POD_A, POD_B, 40000, 53, 10);
        byte[] second = ipv4Udp(0xb8, POD_A, POD_B, 40000, 53, 1000);
        second[4] = 0x55; // another IP ID
        ByteBuf a = buffer(0, first);
        ByteBuf b = buffer(77, second);
        int hash = FlowHash.hash(a, 0);
        assertEquals(hash, FlowHash.hash(b, 77));
        assertEquals(FlowHash.sourcePort(hash), FlowHash.sourcePort(FlowHash.hash(b, 77)));
        assertTrue(a.release());
        assertTrue(b.release());
    }

    @Test
    void sameIpv6FlowSameHash() {
        ByteBuf a = buffer(0, ipv6Udp(0, 1, 2, 40000, 53, 10));
        ByteBuf b = buffer(3, ipv6Udp(0x28, 1, 2, 40000, 53, 500));
        assertEquals(FlowHash.hash(a, 0), FlowHash.hash(b, 3));
        assertTrue(a.release());
        assertTrue(b.release());
    }

    /** sourcePort maps the whole int range onto Linux's 32768..60999 by multiply-shift. */
    @ParameterizedTest(name = "hash {0} -> port {1}")
    @CsvSource({
        "0,           32768",
        "-1,          60999",
        "0x80000000,  46884",
        "0x7FFFFFFF,  46883",
        "1,           32768",
    })
    void sourcePortEdges(String hash, int port) {
        assertEquals(port, FlowHash.sourcePort((int) Long.decode(hash).longValue()));
    }

    @Test
    void portsStayInTheEphemeralRange() {
        SplittableRandom random = new SplittableRandom(8472);
        for (int i = 0; i < 1_000_000; i++) {
            int port = FlowHash.sourcePort(random.nextInt());
            assertTrue(port >= 32768 && port <= 60999, "port " + port);
        }
    }

    @Test
    void flowsDifferingInOneFieldSpreadOverManyPorts() {
        assertSpread("source port", i -> ipv4Udp(0, POD_A, POD_B, 1024 + i, 53, 0));
        assertSpread("destination port", i -> ipv4Udp(0, POD_A, POD_B, 40000, i, 0));
        assertSpread("source address", i -> ipv4Udp(0, POD_A + i, POD_B, 40000, 53, 0));
        assertSpread("destination address", i -> ipv4Udp(0, POD_A, POD_B + i, 40000, 53, 0));
        assertSpread("IPv6 source port", i -> ipv6Udp(0, 1, 2, 1024 + i, 53, 0));
        assertSpread("IPv6 destination address", i -> ipv6Udp(0, 1, i, 40000, 53, 0));
    }

    /** 10,000 flows into 28,232 ports: a uniform hash leaves about 8,400 distinct ports. */
    private static void assertSpread(String field, IntFunction<byte[]> flow) {
        int flows = 10_000;
        Set<Integer> ports = new HashSet<>();
        int[] buckets = new int[16];
        ByteBuf buf = Unpooled.directBuffer(64);
        for (int i = 0; i < flows; i++) {
            buf.clear().writeBytes(flow.apply(i));
            int port = FlowHash.sourcePort(FlowHash.hash(buf, 0));
            ports.add(port);
            buckets[(port - FlowHash.SOURCE_PORT_MIN) * 16 / PORTS]++;
        }
        assertTrue(buf.release());
        assertTrue(ports.size() > 8_000, field + ": only " + ports.size() + " distinct ports");
        for (int count : buckets) {
            assertTrue(count > 500 && count < 750, field + ": uneven sixteenths " + Arrays.toString(buckets));
        }
    }

    @Test
    void protocolIsPartOfTheFlow() {
        byte[] udp = ipv4Udp(0, POD_A, POD_B, 40000, 53, 0);
        byte[] tcp = udp.clone();
        tcp[9] = (byte) Ipv4.PROTO_TCP;
        ByteBuf a = buffer(0, udp);
        ByteBuf b = buffer(0, tcp);
        assertNotEquals(FlowHash.hash(a, 0), FlowHash.hash(b, 0));
        assertTrue(a.release());
        assertTrue(b.release());
    }

    /** Ports are not read from fragments (a later fragment has none) nor from other protocols. */
    @ParameterizedTest(name = "{0}")
    @CsvSource({
        "first fragment (MF),   17, 0x2000",
        "later fragment,        17, 0x00b9",
        "ICMP,                  1,  0x0000",
        "GRE,                   47, 0x0000",
    })
    void portsIgnoredWhereTheyAreNotPorts(String name, int protocol, String flagsFrag) {
        byte[] one = ipv4Udp(0, POD_A, POD_B, 40000, 53, 0);
        one[9] = (byte) protocol;
        Packets.putShort(one, 6, Integer.decode(flagsFrag));
        byte[] other = one.clone();
        Packets.putShort(other, 20, 40001);
        ByteBuf a = buffer(0, one);
        ByteBuf b = buffer(0, other);
        assertEquals(FlowHash.hash(a, 0), FlowHash.hash(b, 0), name);
        assertTrue(a.release());
        assertTrue(b.release());
    }

    @Test
    void portsOfATruncatedPacketAreLeftOut() {
        byte[] whole = ipv4Udp(0, POD_A, POD_B, 40000, 53, 0);
        ByteBuf truncated = Unpooled.directBuffer(whole.length).writeBytes(whole, 0, 23);
        ByteBuf fragment = buffer(0, whole.clone());
        fragment.setShort(Ipv4.FLAGS_FRAG, Ipv4.FLAG_MF); // same flow, ports not used
        assertEquals(FlowHash.hash(fragment, 0), FlowHash.hash(truncated, 0), "3 of the 4 port bytes present");
        assertTrue(truncated.release());
        assertTrue(fragment.release());
    }

    @Test
    void neverThrowsOnGarbage() {
        SplittableRandom random = new SplittableRandom(1071);
        ByteBuf buf = Unpooled.directBuffer(128);
        byte[] data = new byte[100];
        for (int i = 0; i < 200_000; i++) {
            random.nextBytes(data);
            if (random.nextBoolean()) {
                data[0] = (byte) (random.nextBoolean() ? 0x40 | (data[0] & 0x0F) : 0x60 | (data[0] & 0x0F));
            }
            int length = random.nextInt(data.length + 1);
            buf.clear().writeBytes(data, 0, length);
            int index = random.nextInt(-2, length + 3);
            int hash = FlowHash.hash(buf, index);
            int port = FlowHash.sourcePort(hash);
            assertTrue(port >= 32768 && port <= 60999);
        }
        buf.clear();
        assertEquals(0, FlowHash.hash(buf, 0), "empty");
        assertTrue(buf.release());
    }
}
