package io.muslin.dataplane.packet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Address text as users write it in configuration: accepted exactly, everything else named. */
class AddressTextTest {

    @ParameterizedTest
    @CsvSource({"0.0.0.0, 0", "10.244.1.0, 0x0af40100", "255.255.255.255, 0xffffffff", "192.168.50.1, 0xc0a83201"})
    void ipv4RoundTrips(String text, String hex) {
        int expected = Integer.parseUnsignedInt(hex.replace("0x", ""), 16);
        assertEquals(expected, Ipv4Address.parse(text));
        assertEquals(text, Ipv4Address.format(expected));
    }

    @ParameterizedTest
    @ValueSource(strings = {"+1.2.3.4", "1.2.3.-4", "1.2.3", "1.2.3.4.5", "1.2.3.256", "1..3.4", "a.b.c.d", "1.2.3.4 5", "0x1.2.3.4"})
    void ipv4RejectsAndNamesTheText(String text) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Ipv4Address.parse(text));
        assertTrue(e.getMessage().contains(text), e.getMessage());
    }

    @ParameterizedTest
    @CsvSource({"6e:75:73:00:00:01, 0x6e7573000001", "ff:ff:ff:ff:ff:ff, 0xffffffffffff", "C6-D2-32-6F-8F-44, 0xc6d2326f8f44"})
    void macParses(String text, String hex) {
        assertEquals(Long.parseLong(hex.replace("0x", ""), 16), MacAddress.parse(text));
    }

    @ParameterizedTest
    @ValueSource(strings = {"+f:00:00:00:00:01", "6e:75:73:00:00", "6e:75:73:00:00:01:02", "zz:75:73:00:00:01", "6e:75:73:0:00:01", "-1:75:73:00:00:01"})
    void macRejectsAndNamesTheText(String text) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> MacAddress.parse(text));
        assertTrue(e.getMessage().contains(text), e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(strings = {"6e:75:73:00:00:01", "02:00:00:00:00:00"})
    void macFormatsLowercaseColonSeparated(String text) {
        assertEquals(text, MacAddress.format(MacAddress.parse(text)));
    }
}
