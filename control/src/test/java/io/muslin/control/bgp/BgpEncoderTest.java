package io.muslin.control.bgp;

import static io.muslin.control.bgp.Hex.squash;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.muslin.control.bgp.BgpPathAttributes.AsPathSegment;
import io.muslin.dataplane.packet.Ipv4Address;
import io.muslin.dataplane.packet.MacAddress;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.EncoderException;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Each message as RFC 4271 §4 lays it out, octet by octet (M is the 16-octet marker), written
 * by {@link BgpEncoder} and read back by {@link BgpDecoder} to the same value.
 */
class BgpEncoderTest {
    static final int NODE1 = Ipv4Address.parse("192.168.50.1");
    static final long MAC1 = MacAddress.parse("6e:75:73:00:00:01");

    static BgpUpdate announce() {
        return new BgpUpdate(List.of(), BgpPathAttributes.builder().origin(Bgp.ORIGIN_IGP).asPath(List.of())
            .nextHop(NODE1).localPref(100).extendedCommunity(BgpPathAttributes.routersMacCommunity(MAC1)).build(),
            List.of(BgpPrefix.ipv4("10.244.1.0/24")));
    }

    static Stream<Arguments> layouts() {
        return Stream.of(
            // RFC 4271 §4.4: the header alone
            Arguments.of("KEEPALIVE", BgpKeepalive.INSTANCE, "M 0013 04"),
            // §4.5: code, subcode, data (Cease / Administrative Shutdown, RFC 4486)
            Arguments.of("NOTIFICATION 6/2", new BgpNotification(6, 2), "M 0015 03 06 02"),
            Arguments.of("NOTIFICATION 1/2 with data", new BgpNotification(1, 2, new byte[] {0, 0x12}),
                "M 0017 03 01 02 0012"),
            // RFC 2918 §3: AFI, reserved, SAFI
            Arguments.of("ROUTE-REFRESH IPv4 unicast", new BgpRouteRefresh(1, 1), "M 0017 05 0001 00 01"),
            // RFC 4271 §4.2 + RFC 5492 §4 (one parameter of type 2) + RFC 4760 §8 + RFC 2918 §2
            // + RFC 6793 §3 + RFC 4724 §3
            Arguments.of("OPEN AS 64512 hold 90", BgpOpen.of(64512, 90, NODE1, List.of(
                    BgpCapability.Multiprotocol.IPV4_UNICAST, BgpCapability.RouteRefresh.INSTANCE,
                    new BgpCapability.FourOctetAs(64512), new BgpCapability.GracefulRestart(0, 120, List.of()))),
                "M 0031 01 04 fc00 005a c0a83201 14 02 12 0104000100 01 0200 4104 0000fc00 4002 0078"),
            // RFC 6793 §4.1: a 4-octet AS sends AS_TRANS in My AS
            Arguments.of("OPEN AS 4200000000", BgpOpen.of(4_200_000_000L, 0, NODE1,
                    List.of(new BgpCapability.FourOctetAs(4_200_000_000L))),
                "M 0025 01 04 5ba0 0000 c0a83201 08 02 06 4104 fa56ea00"),
            // RFC 4724 §3: R bit, restart time 300 (0x12c), IPv4 unicast with F set
            Arguments.of("OPEN graceful restart R, 300 s, IPv4 F", BgpOpen.of(64512, 90, NODE1, List.of(
                    new BgpCapability.GracefulRestart(Bgp.GR_RESTART_STATE, 300,
                        List.of(new BgpCapability.GracefulRestart.Family(1, 1, 0x80))))),
                "M 0027 01 04 fc00 005a c0a83201 0a 02 08 4006 812c 0001 01 80"),
            // §4.3: withdrawn length, attributes (§5, flags per attribute), NLRI; RFC 9135 §8.1 Router's MAC
            Arguments.of("UPDATE announcing 10.244.1.0/24", announce(),
                "M 003b 02 0000 0020 40010100 400200 400304c0a83201 40050400000064 c01008 0603 6e7573000001"
                    + " 18 0af401"),
            Arguments.of("UPDATE withdrawing 10.244.1.0/24 and 10.0.0.0/8",
                new BgpUpdate(List.of(BgpPrefix.ipv4("10.244.1.0/24"), BgpPrefix.ipv4("10.0.0.0/8")),
                    BgpPathAttributes.NONE, List.of()),
                "M 001d 02 0006 18 0af401 08 0a 0000"),
            // RFC 4724 §2: End-of-RIB of IPv4 unicast is an empty UPDATE
            Arguments.of("End-of-RIB IPv4", BgpUpdate.END_OF_RIB_IPV4, "M 0017 02 0000 0000"),
            // ... and of another family an empty MP_UNREACH_NLRI (RFC 4760 §4: AFI, SAFI)
            Arguments.of("End-of-RIB IPv6", BgpUpdate.endOfRib(2, 1), "M 001d 02 0000 0006 800f03 0002 01"),
            // RFC 4271 §4.3: AS_SEQUENCE of 2-octet numbers, /0 and /32 prefixes, MED, atomic aggregate, communities
            Arguments.of("UPDATE with MED, communities and a path", new BgpUpdate(List.of(),
                    BgpPathAttributes.builder().origin(Bgp.ORIGIN_INCOMPLETE)
                        .asPath(List.of(AsPathSegment.sequence(65001, 65002))).nextHop(NODE1).med(5)
                        .atomicAggregate().community(0xFFFF0001).build(),
                    List.of(BgpPrefix.ipv4("0.0.0.0/0"), BgpPrefix.ipv4("10.244.1.7/32"))),
                "M 0046 02 0000 0029 40010102 40020a02 02 0000fde9 0000fdea 400304c0a83201 80040400000005 400600"
                    + " c00804ffff0001 00 200af40107"),
            // RFC 4760 §3 + RFC 2545 §3: IPv6 unicast, global and link-local next hops
            Arguments.of("UPDATE IPv6 MP_REACH_NLRI", new BgpUpdate(List.of(),
                    BgpPathAttributes.builder().origin(0).asPath(List.of()).mpReach(new BgpPathAttributes.MpReach(2, 1,
                        List.of(BgpAddress.ipv6("fd00::1"), BgpAddress.ipv6("fe80::1")),
                        List.of(BgpPrefix.ipv6("fd00:10:244:1::/64")))).build(), List.of()),
                "M 004f 02 0000 0038 40010100 400200 800e2e 0002 01 20 fd000000000000000000000000000001"
                    + " fe800000000000000000000000000001 00 40 fd00001002440001"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("layouts")
    void writesTheRfcLayoutAndReadsItBack(String name, BgpMessage message, String expected) {
        ByteBuf buf = Unpooled.buffer();
        BgpEncoder.write(message, buf, true);
        assertEquals(squash(expected), Hex.hex(buf), name);
        assertEquals(message, BgpDecoder.decode(buf, true));
        assertEquals(0, buf.readableBytes());
        assertTrue(buf.release());
    }

    @Test
    void aTwoOctetSessionWritesAsTransAndTheTruePathInAs4Path() {
        // RFC 6793 §4.2.2: AS_PATH with AS_TRANS (0x5ba0), AS4_PATH (17, optional transitive) with 4 octets
        BgpUpdate u = new BgpUpdate(List.of(), BgpPathAttributes.builder().origin(0)
            .asPath(List.of(AsPathSegment.sequence(4_200_000_000L, 64512))).nextHop(NODE1).build(),
            List.of(BgpPrefix.ipv4("10.244.1.0/24")));
        ByteBuf buf = Unpooled.buffer();
        BgpEncoder.write(u, buf, false);
        assertEquals(squash("M 003c 02 0000 0021 40010100 400206 0202 5ba0 fc00 400304c0a83201"
            + " c0110a 0202 fa56ea00 0000fc00 18 0af401"), Hex.hex(buf));
        BgpUpdate back = (BgpUpdate) BgpDecoder.decode(buf, false);
        assertEquals(List.of(AsPathSegment.sequence(Bgp.AS_TRANS, 64512)), back.attributes().asPath());
        assertEquals(17, back.attributes().others().getFirst().type(), "AS4_PATH kept as it came");
        assertTrue(buf.release());
    }

    @Test
    void anAttributeLongerThan255OctetsGetsTheExtendedLengthFlag() {
        BgpPathAttributes.Builder b = BgpPathAttributes.builder().origin(0).asPath(List.of()).nextHop(NODE1);
        for (int i = 0; i < 70; i++) {
            b.community(i);
        }
        ByteBuf buf = Unpooled.buffer();
        BgpEncoder.write(new BgpUpdate(List.of(), b.build(), List.of(BgpPrefix.ipv4("10.244.1.0/24"))), buf, true);
        // after the header (19), withdrawn length (2), attribute length (2), ORIGIN (4), AS_PATH (3), NEXT_HOP (7)
        int communities = 19 + 2 + 2 + 4 + 3 + 7;
        assertEquals(0xD0, buf.getUnsignedByte(communities), "optional, transitive, extended length");
        assertEquals(280, buf.getUnsignedShort(communities + 2));
        BgpUpdate back = (BgpUpdate) BgpDecoder.decode(buf, true);
        assertEquals(70, back.attributes().communities().size());
        assertTrue(buf.release());
    }

    @Test
    void aMessageOver4096OctetsIsRefusedAndLeavesTheBufferAsItWas() {
        List<BgpPrefix> many = new ArrayList<>();
        for (int i = 0; i < 1100; i++) {
            many.add(BgpPrefix.of(new io.muslin.dataplane.packet.Ipv4Prefix(0x0A000000 | i << 8, 24)));
        }
        ByteBuf buf = Unpooled.buffer();
        buf.writeByte(7);
        EncoderException e = assertThrows(EncoderException.class,
            () -> BgpEncoder.write(new BgpUpdate(many, BgpPathAttributes.NONE, List.of()), buf, true));
        assertEquals("UPDATE of 4423 octets (accepted: up to 4096)", e.getMessage());
        assertEquals(1, buf.readableBytes());
        assertTrue(buf.release());
    }
}
