package io.muslin.dataplane.packet;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;

/** IPv4 addresses as {@code int} (network order: the first octet is the high byte). */
public final class Ipv4Address {
    private Ipv4Address() {
    }

    /** Parses a dotted quad, never resolving names; throws IllegalArgumentException naming the text. */
    public static int parse(String text) {
        if (text == null) {
            throw new IllegalArgumentException("IPv4 address is missing (expected: a.b.c.d)");
        }
        String[] parts = text.trim().split("\\.", -1);
        if (parts.length != 4) {
            throw new IllegalArgumentException("not an IPv4 address: \"" + text + "\" (expected: a.b.c.d)");
        }
        int v = 0;
        for (String p : parts) {
            int octet;
            try {
                if (p.isEmpty() || p.length() > 3 || !p.chars().allMatch(c -> c >= '0' && c <= '9')) {
                    throw new NumberFormatException();
                }
                octet = Integer.parseInt(p);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("not an IPv4 address: \"" + text + "\" (expected: a.b.c.d)");
            }
            if (octet < 0 || octet > 255) {
                throw new IllegalArgumentException("not an IPv4 address: \"" + text + "\" (octets are 0-255)");
            }
            v = (v << 8) | octet;
        }
        return v;
    }

    public static String format(int addr) {
        return ((addr >>> 24) & 0xFF) + "." + ((addr >>> 16) & 0xFF) + "." + ((addr >>> 8) & 0xFF) + "." + (addr & 0xFF);
    }

    /** The netmask of a prefix length 0..32 as an int (0 for /0). */
    public static int mask(int prefixLen) {
        if (prefixLen < 0 || prefixLen > 32) {
            throw new IllegalArgumentException("IPv4 prefix length must be 0-32, not " + prefixLen);
        }
        return prefixLen == 0 ? 0 : -1 << (32 - prefixLen);
    }

    public static InetAddress toInet(int addr) {
        try {
            return InetAddress.getByAddress(new byte[] {
                (byte) (addr >>> 24), (byte) (addr >>> 16), (byte) (addr >>> 8), (byte) addr});
        } catch (UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    public static int fromInet(InetAddress address) {
        if (!(address instanceof Inet4Address)) {
            throw new IllegalArgumentException("not an IPv4 address: " + address);
        }
        byte[] b = address.getAddress();
        return ((b[0] & 0xFF) << 24) | ((b[1] & 0xFF) << 16) | ((b[2] & 0xFF) << 8) | (b[3] & 0xFF);
    }
}
