package io.muslin.dataplane.packet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.muslin.dataplane.packet.Ipv6Text;
import java.nio.charset.StandardCharsets;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Fuzz target: the address texts that leases and configuration files carry, read by
 * {@link Ipv4Address#parse}, {@link Ipv4Prefix#parse}, {@link MacAddress#parse} and
 * {@link Ipv6Text}.
 *
 * <p>What must hold for any text: each parser returns or throws IllegalArgumentException (the
 * message quoting the text), nothing else; it accepts only the written form (ASCII digits and
 * hex, the separators in their places, surrounding blanks), so a typo is an error rather than
 * an address; and what it returns formats to text that parses back to the same value.
 */
class AddressTextFuzzTest {
    private static final Pattern IPV4 = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");
    private static final Pattern PREFIX = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}/\\d{1,2}");
    private static final Pattern MAC = Pattern.compile("[0-9a-fA-F]{2}([:-][0-9a-fA-F]{2}){5}");

    static Stream<byte[]> seeds() {
        return Stream.of("10.244.1.0", "10.244.1.0/24", "0.0.0.0/0", "6e:75:73:00:00:02", "C6-D2-32-6F-8F-44",
            "fd00::1", "fd00:1::/64", "::", "64:ff9b::192.0.2.1", " 192.168.50.1 ").map(s -> s.getBytes(StandardCharsets.UTF_8));
    }

    @MethodSource("seeds")
    @FuzzTest
    void parse(byte[] input) {
        String text = new String(input, StandardCharsets.UTF_8);
        String bare = text.strip();
        try {
            int a = Ipv4Address.parse(text);
            assertTrue(IPV4.matcher(text.trim()).matches(), "accepted as an IPv4 address: \"" + text + "\"");
            assertEquals(a, Ipv4Address.parse(Ipv4Address.format(a)));
        } catch (IllegalArgumentException expected) {
            assertTrue(expected.getMessage().contains("IPv4 address"), expected.getMessage());
        }
        try {
            Ipv4Prefix p = Ipv4Prefix.parse(text);
            assertTrue(PREFIX.matcher(text.trim()).matches(), "accepted as an IPv4 prefix: \"" + text + "\"");
            assertEquals(p, Ipv4Prefix.parse(p.toString()));
        } catch (IllegalArgumentException expected) {
            assertTrue(expected.getMessage() != null, "a message");
        }
        try {
            long mac = MacAddress.parse(text);
            assertTrue(MAC.matcher(text.trim()).matches(), "accepted as a MAC address: \"" + text + "\"");
            assertEquals(mac, MacAddress.parse(MacAddress.format(mac)));
            assertEquals(0, mac & ~MacAddress.BROADCAST, "48 bits");
        } catch (IllegalArgumentException expected) {
            assertTrue(expected.getMessage().contains("MAC address"), expected.getMessage());
        }
        try {
            long hi = Ipv6Text.hi(text);
            long lo = Ipv6Text.lo(text);
            String formatted = Ipv6Text.format(hi, lo);
            assertEquals(hi, Ipv6Text.hi(formatted), formatted);
            assertEquals(lo, Ipv6Text.lo(formatted), formatted);
            assertTrue(!bare.isEmpty(), "accepted blank text");
        } catch (IllegalArgumentException expected) {
            assertTrue(expected.getMessage().contains("IPv6 address"), expected.getMessage());
        }
    }
}
