package io.muslin.dataplane.packet;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;

/** IPv6 addresses as two {@code long}s (network order: {@code hi} holds the first 8 bytes), to and from text. */
public final class Ipv6Text {
    private Ipv6Text() {
    }

    /** The high word of an IPv6 literal such as {@code fd00::1}; never resolves names. */
    public static long hi(String text) {
        return word(bytes(text), 0);
    }

    /** The low word of an IPv6 literal. */
    public static long lo(String text) {
        return word(bytes(text), 8);
    }

    /** RFC 5952 text ({@code fd00::1}; an IPv4-mapped address as {@code ::ffff:192.0.2.1}, §5). */
    public static String format(long hi, long lo) {
        if (hi == 0 && (lo >>> 32) == 0xFFFF) {
            return "::ffff:" + Ipv4Address.format((int) lo);
        }
        byte[] b = new byte[16];
        for (int i = 0; i < 8; i++) {
            b[i] = (byte) (hi >>> (56 - 8 * i));
            b[8 + i] = (byte) (lo >>> (56 - 8 * i));
        }
        try {
            return compress(InetAddress.getByAddress(b).getHostAddress());
        } catch (UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    private static byte[] bytes(String text) {
        if (text == null || text.indexOf(':') < 0) {
            throw new IllegalArgumentException("not an IPv6 address: \"" + text + "\" (expected: e.g. fd00::1)");
        }
        try {
            InetAddress a = Inet6Address.ofLiteral(text.trim());
            if (a instanceof Inet4Address v4) {
                // The JDK turns an IPv4-mapped literal (::ffff:a.b.c.d) into an IPv4 address.
                byte[] mapped = new byte[16];
                mapped[10] = (byte) 0xFF;
                mapped[11] = (byte) 0xFF;
                System.arraycopy(v4.getAddress(), 0, mapped, 12, 4);
                return mapped;
            }
            return a.getAddress();
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("not an IPv6 address: \"" + text + "\" (expected: e.g. fd00::1)");
        }
    }

    private static long word(byte[] b, int from) {
        long v = 0;
        for (int i = from; i < from + 8; i++) {
            v = (v << 8) | (b[i] & 0xFF);
        }
        return v;
    }

    /** The JDK prints every group ({@code fd00:0:0:0:0:0:0:1}); RFC 5952 §4.2 folds the longest run of zero groups. */
    private static String compress(String full) {
        String[] g = full.split(":");
        int bestAt = -1;
        int bestLen = 1;
        for (int i = 0; i < g.length; ) {
            if (!g[i].equals("0")) {
                i++;
                continue;
            }
            int j = i;
            while (j < g.length && g[j].equals("0")) {
                j++;
            }
            if (j - i > bestLen) {
                bestAt = i;
                bestLen = j - i;
            }
            i = j;
        }
        if (bestAt < 0) {
            return full;
        }
        String head = String.join(":", java.util.Arrays.copyOfRange(g, 0, bestAt));
        String tail = String.join(":", java.util.Arrays.copyOfRange(g, bestAt + bestLen, g.length));
        return head + "::" + tail;
    }
}
