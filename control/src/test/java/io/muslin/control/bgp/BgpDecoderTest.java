package io.muslin.control.bgp;

import static io.muslin.control.bgp.Hex.buffer;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.muslin.dataplane.packet.MacAddress;
import io.netty.buffer.ByteBuf;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The NOTIFICATION each fault gets (RFC 4271 §6, as RFC 7606 revises it for UPDATE), and what is tolerated. */
class BgpDecoderTest {
    /** ORIGIN IGP, empty AS_PATH, NEXT_HOP 192.168.50.1: 14 octets of well-formed attributes. */
    static final String GOOD_ATTRS = "40010100 400200 400304c0a83201";

    @ParameterizedTest(name = "{0}: {2}/{3}")
    @CsvSource(delimiter = '|', textBlock = """
        # RFC 4271 §6.1 Message Header Error: marker not all ones -> Connection Not Synchronized
        marker octet 3 is 0        | ffffff00ffffffffffffffffffffffff 0013 04                  | 1 | 1 |
        short marker (12 octets)   | ffffffffffffffffffffffff 0013 04 00000000                 | 1 | 1 |
        # Bad Message Length: data is the erroneous Length field
        length 18                  | M 0012 04                                                 | 1 | 2 | 0012
        length 4097                | M 1001 02                                                 | 1 | 2 | 1001
        KEEPALIVE of 20 octets     | M 0014 04 00                                              | 1 | 2 | 0014
        OPEN of 28 octets          | M 001c 01 04fc00005ac0a832                                | 1 | 2 | 001c
        UPDATE of 22 octets        | M 0016 02 000000                                          | 1 | 2 | 0016
        NOTIFICATION of 20 octets  | M 0014 03 06                                              | 1 | 2 | 0014
        ROUTE-REFRESH of 24 octets | M 0018 05 0001000100                                      | 1 | 2 | 0018
        # Bad Message Type: data is the type
        type 6                     | M 0013 06                                                 | 1 | 3 | 06
        type 0                     | M 0013 00                                                 | 1 | 3 | 00
        # RFC 4271 §6.2 OPEN Message Error
        version 3                  | M 001d 01 03 fc00 005a c0a83201 00                        | 2 | 1 | 0004
        hold time 2                | M 001d 01 04 fc00 0002 c0a83201 00                        | 2 | 6 |
        BGP identifier 0           | M 001d 01 04 fc00 005a 00000000 00                        | 2 | 3 |
        parameter type 1           | M 001f 01 04 fc00 005a c0a83201 02 0100                   | 2 | 4 |
        opt length overruns        | M 001f 01 04 fc00 005a c0a83201 05 0200                   | 2 | 0 |
        capability overruns        | M 0021 01 04 fc00 005a c0a83201 04 0202 0104              | 2 | 0 |
        MP capability of 3 octets  | M 0024 01 04 fc00 005a c0a83201 07 0205 0103000101        | 2 | 0 |
        4-octet AS 0               | M 0025 01 04 fc00 005a c0a83201 08 0206 410400000000      | 2 | 2 |
        graceful restart of 3      | M 0022 01 04 fc00 005a c0a83201 05 0203 400100            | 2 | 0 |
        # RFC 4271 §6.3 UPDATE Message Error
        withdrawn length overruns  | M 0017 02 0001 0000                                       | 3 | 1 |
        attribute length overruns  | M 0017 02 0000 0001                                       | 3 | 1 |
        unknown well-known attr 99 | M 001b 02 0000 0004 40630100                              | 3 | 2 | 40630100
        unknown well-known, E flag | M 001c 02 0000 0005 5063000100                            | 3 | 2 | 5063000100
        NLRI truncated (/24 in 2)  | M 0028 02 0000 000e GOOD 18 0af4                          | 3 | 10 |
        NLRI length 33             | M 002a 02 0000 000e GOOD 21 0af40101                      | 3 | 10 |
        withdrawn truncated        | M 0019 02 0002 1801 0000                                  | 3 | 10 |
        MP_REACH_NLRI twice        | M 0027 02 0000 0010 800e05001946 0000 800e05001946 0000 | 3 | 1 |
        MP_REACH next hop of 5     | M 0027 02 0000 0010 800e0d 0001 01 05 c0a8320101 00 180af4 | 3 | 9 |
        MP_REACH NLRI truncated    | M 0025 02 0000 000e 800e0b 0001 01 04 c0a83201 00 180a    | 3 | 9 |
        MP_UNREACH of 2 octets     | M 001c 02 0000 0005 800f020001                            | 3 | 9 |
        MP_REACH flagged transitive| M 0022 02 0000 000b c00e0800010104c0a83201                | 3 | 4 | c00e0800010104c0a83201
        """)
    void sessionResetErrorsCarryTheirNotification(String name, String hex, int code, int subcode, String data) {
        ByteBuf buf = buffer(hex.replace("GOOD", GOOD_ATTRS));
        BgpDecoderException e = assertThrows(BgpDecoderException.class, () -> BgpDecoder.decode(buf, true), name);
        assertEquals(code + "/" + subcode, e.notification().codes(), () -> name + ": " + e.getMessage());
        assertEquals(data == null ? "" : data, Hex.hex(e.notification().data()), name);
        assertTrue(buf.release());
    }

    @Test
    void aWrongMarkerOctetIsNoticedBeforeTheWholeHeaderArrives() {
        ByteBuf buf = buffer("ffff7f");
        BgpDecoderException e = assertThrows(BgpDecoderException.class, () -> BgpDecoder.decode(buf, true));
        assertEquals("marker octet 2 is 0x7f (expected: 16 octets of 0xff)", e.getMessage());
        assertTrue(buf.release());
    }

    @Test
    void messagesThatHaveNotAllArrivedAreLeftInTheBuffer() {
        for (String partial : new String[] {"", "ffff", "M 00", "M 0017 02", "M 0017 02 000000"}) {
            ByteBuf buf = buffer(partial);
            assertNull(BgpDecoder.decode(buf, true), partial);
            assertEquals(Hex.bytes(partial).length, buf.readableBytes());
            assertTrue(buf.release());
        }
    }

    /** RFC 7606: the UPDATE is delivered with the reason, its NLRI to be treated as withdrawn; the session stays. */
    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
        ORIGIN 3 (§7.1)                   | 40010103 400200 400304c0a83201                    | ORIGIN 3 (expected: 0-2)
        ORIGIN of 2 octets (§7.1)         | 4001020000 400200 400304c0a83201                  | attribute 1 length 2 (expected: 1)
        ORIGIN flagged optional (§3 c)    | c0010100 400200 400304c0a83201                    | attribute 1 has flags 0xc0 (expected: optional/transitive 0x40)
        AS_PATH segment overruns (§7.2)   | 40010100 4002020203 400304c0a83201                | malformed AS_PATH of 2 octets
        AS_PATH segment type 5 (§7.2)     | 40010100 40020605010000fc00 400304c0a83201        | malformed AS_PATH of 6 octets
        NEXT_HOP of 3 octets (§7.3)       | 40010100 400200 400303c0a832                      | attribute 3 length 3 (expected: 4)
        MED of 2 octets (§7.4)            | 40010100 400200 400304c0a83201 80040200ff         | attribute 4 length 2 (expected: 4)
        LOCAL_PREF of 5 octets (§7.5)     | 40010100 400200 400304c0a83201 4005050000000064   | attribute 5 length 5 (expected: 4)
        COMMUNITIES of 3 octets (§7.8)    | 40010100 400200 400304c0a83201 c00803000001       | attribute 8 length 3 (expected: a positive multiple of 4)
        CLUSTER_LIST empty (§7.10)        | 40010100 400200 400304c0a83201 800a00             | attribute 10 length 0 (expected: a positive multiple of 4)
        EXT COMMUNITIES of 7 (§7.14)      | 40010100 400200 400304c0a83201 c010070603000000000000 | attribute 16 length 7 (expected: a positive multiple of 8)
        missing NEXT_HOP (§3 d)           | 40010100 400200                                   | missing well-known attribute NEXT_HOP
        missing ORIGIN (§3 d)             | 400200 400304c0a83201                             | missing well-known attribute ORIGIN
        attribute overruns the list (§4)  | 40010100 400200 400304c0a83201 c0080800000001     | attribute 8 length 8 exceeds the 4 octets left (RFC 7606 §4)
        attribute header truncated (§4)   | 40010100 400200 400304c0a83201 c008               | attribute header truncated: 2 octets left (RFC 7606 §4)
        """)
    void malformedAttributesAreTreatedAsWithdraw(String name, String attrs, String reason) {
        byte[] a = Hex.bytes(attrs);
        String hex = "M " + String.format("%04x", 19 + 4 + a.length + 4) + " 02 0000 " + String.format("%04x", a.length)
            + " " + attrs + " 18 0af401";
        ByteBuf buf = buffer(hex);
        BgpUpdate u = (BgpUpdate) BgpDecoder.decode(buf, true);
        assertEquals(reason, u.malformed(), name);
        assertEquals(List.of(BgpPrefix.ipv4("10.244.1.0/24")), u.nlri(), "the NLRI is still found, to be withdrawn");
        assertEquals(0, buf.readableBytes());
        assertTrue(buf.release());
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
        ATOMIC_AGGREGATE of 1 octet (§7.6) | 40060100
        AGGREGATOR of 5 octets (§7.7)      | c0070500000000aa
        AS4_PATH malformed (RFC 6793 §6)   | c011030201ff
        ORIGIN repeated (§3 g)             | 40010102
        """)
    void discardedAttributesDoNotTouchTheRoute(String name, String extra) {
        byte[] a = Hex.bytes(GOOD_ATTRS + extra);
        String hex = "M " + String.format("%04x", 19 + 4 + a.length + 4) + " 02 0000 " + String.format("%04x", a.length)
            + " " + GOOD_ATTRS + extra + " 18 0af401";
        ByteBuf buf = buffer(hex);
        BgpUpdate u = (BgpUpdate) BgpDecoder.decode(buf, true);
        assertNull(u.malformed(), name);
        assertEquals(1, u.discarded(), name);
        assertEquals(Bgp.ORIGIN_IGP, u.attributes().origin(), "the first ORIGIN counts");
        assertTrue(buf.release());
    }

    @Test
    void unrecognizedOptionalAttributesAreKeptWhenTransitiveAndDroppedWhenNot() {
        // optional transitive 200 (value ab), optional non-transitive 201 (value cd)
        String attrs = GOOD_ATTRS + " c0c801ab 80c901cd";
        byte[] a = Hex.bytes(attrs);
        ByteBuf buf = buffer("M " + String.format("%04x", 19 + 4 + a.length) + " 02 0000 " + String.format("%04x", a.length)
            + " " + attrs);
        BgpUpdate u = (BgpUpdate) BgpDecoder.decode(buf, true);
        assertNull(u.malformed());
        assertEquals(List.of(new BgpPathAttributes.Raw(0xC0, 200, new byte[] {(byte) 0xab})), u.attributes().others());
        assertTrue(buf.release());
    }

    @Test
    void asPathNumbersAreTwoOrFourOctetsAsTheSessionSays() {
        String attrs = "40010100 400206 0201 0000fc00 400304c0a83201";
        ByteBuf four = buffer("M 002f 02 0000 0014 " + attrs + " 18 0af401");
        assertEquals(List.of(BgpPathAttributes.AsPathSegment.sequence(64512)),
            ((BgpUpdate) BgpDecoder.decode(four, true)).attributes().asPath());
        ByteBuf two = buffer("M 002f 02 0000 0014 " + attrs + " 18 0af401");
        // read as 2-octet numbers the 6-octet segment says one AS but holds two: malformed (RFC 7606 §7.2)
        assertNotNull(((BgpUpdate) BgpDecoder.decode(two, false)).malformed());
        assertTrue(four.release());
        assertTrue(two.release());
    }

    @Test
    void readsTheRoutersMacAndIgnoresOtherExtendedCommunities() {
        BgpPathAttributes a = BgpPathAttributes.builder().extendedCommunity(0x0002fc0000000001L) // route target
            .extendedCommunity(BgpPathAttributes.routersMacCommunity(MacAddress.parse("6e:75:73:00:00:02"))).build();
        assertEquals(MacAddress.parse("6e:75:73:00:00:02"), a.routersMac());
        assertEquals(MacAddress.NONE, BgpPathAttributes.NONE.routersMac());
    }

    @Test
    void endOfRibMarkersAreRecognised() {
        assertEquals(List.of(1, 1), List.of(BgpUpdate.END_OF_RIB_IPV4.endOfRib()[0], BgpUpdate.END_OF_RIB_IPV4.endOfRib()[1]));
        int[] v6 = BgpUpdate.endOfRib(2, 1).endOfRib();
        assertEquals(2, v6[0]);
        assertNull(BgpEncoderTest.announce().endOfRib());
    }

    @Test
    void trailingBitsOfAPrefixAreIgnored() {
        // RFC 4271 §4.3: "the value of trailing bits is irrelevant": 10.244.1.0/23 is 10.244.0.0/23
        ByteBuf buf = buffer("M 001b 02 0004 170af401 0000");
        BgpUpdate u = (BgpUpdate) BgpDecoder.decode(buf, true);
        assertEquals("10.244.0.0/23", u.withdrawn().getFirst().toString());
        assertTrue(buf.release());
    }
}
