package io.muslin.dataplane.packet;

import java.util.concurrent.ThreadLocalRandom;

/**
 * A 48-bit MAC address held in the low bits of a {@code long} (network byte order: the first
 * octet is bits 47..40), so tables key on a primitive. {@link #NONE} (-1) means "no address".
 */
public final class MacAddress {
    public static final long NONE = -1L;
    public static final long BROADCAST = 0xFFFF_FFFF_FFFFL;
    private static final long MASK = 0xFFFF_FFFF_FFFFL;

    private MacAddress() {
    }

    /**
     * Parses {@code aa:bb:cc:dd:ee:ff} (or with '-'): six pairs of ASCII hex digits and five
     * separators, blanks around the whole text ignored; throws IllegalArgumentException naming
     * the text.
     */
    public static long parse(String text) {
        if (text == null) {
            throw new IllegalArgumentException("MAC address is missing (expected: aa:bb:cc:dd:ee:ff)");
        }
        String t = text.trim();
        if (t.length() != 17) {
            throw new IllegalArgumentException("not a MAC address: \"" + text + "\" (expected: aa:bb:cc:dd:ee:ff)");
        }
        long mac = 0;
        for (int i = 0; i < 6; i++) {
            int hi = hexDigit(t.charAt(3 * i));
            int lo = hexDigit(t.charAt(3 * i + 1));
            char separator = i < 5 ? t.charAt(3 * i + 2) : ':';
            if (hi < 0 || lo < 0 || separator != ':' && separator != '-') {
                throw new IllegalArgumentException("not a MAC address: \"" + text + "\" (expected: aa:bb:cc:dd:ee:ff)");
            }
            mac = (mac << 8) | (hi << 4) | lo;
        }
        return mac;
    }

    private static int hexDigit(char c) {
        if (c >= '0' && c <= '9') {
            return c - '0';
        }
        if (c >= 'a' && c <= 'f') {
            return c - 'a' + 10;
        }
        if (c >= 'A' && c <= 'F') {
            return c - 'A' + 10;
        }
        return -1;
    }

    public static String format(long mac) {
        StringBuilder sb = new StringBuilder(17);
        for (int shift = 40; shift >= 0; shift -= 8) {
            int b = (int) (mac >>> shift) & 0xFF;
            sb.append(Character.forDigit(b >>> 4, 16)).append(Character.forDigit(b & 0xF, 16));
            if (shift > 0) {
                sb.append(':');
            }
        }
        return sb.toString();
    }

    /** A random unicast, locally administered address (as the kernel makes for a VXLAN device). */
    public static long randomLocal() {
        long mac = ThreadLocalRandom.current().nextLong() & MASK;
        mac &= ~(0x01L << 40); // unicast
        mac |= 0x02L << 40;    // locally administered
        return mac;
    }

    public static boolean isMulticast(long mac) {
        return ((mac >>> 40) & 0x01) != 0;
    }

    public static byte[] toBytes(long mac) {
        byte[] b = new byte[6];
        for (int i = 0; i < 6; i++) {
            b[i] = (byte) (mac >>> (40 - 8 * i));
        }
        return b;
    }
}
