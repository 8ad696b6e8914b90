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

    /** Parses {@code aa:bb:cc:dd:ee:ff} (or with '-'); throws IllegalArgumentException naming the text. */
    public static long parse(String text) {
        if (text == null) {
            throw new IllegalArgumentException("MAC address is missing (expected: aa:bb:cc:dd:ee:ff)");
        }
        String[] parts = text.trim().split("[:-]");
        if (parts.length != 6) {
            throw new IllegalArgumentException("not a MAC address: \"" + text + "\" (expected: aa:bb:cc:dd:ee:ff)");
        }
        long mac = 0;
        for (String p : parts) {
            if (p.length() != 2 || Character.digit(p.charAt(0), 16) < 0 || Character.digit(p.charAt(1), 16) < 0) {
                throw new IllegalArgumentException("not a MAC address: \"" + text + "\" (expected: aa:bb:cc:dd:ee:ff)");
            }
            try {
                mac = (mac << 8) | Integer.parseInt(p, 16);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("not a MAC address: \"" + text + "\" (expected: aa:bb:cc:dd:ee:ff)");
            }
        }
        return mac;
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
