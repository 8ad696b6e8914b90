package io.muslin.dataplane.packet;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;

/**
 * Test packets built independently of the codecs under test: plain byte arrays, a
 * straightforward RFC 1071 checksum, and direct buffers made from hex.
 * Every buffer returned is the caller's to release.
 */
public final class Packets {
    private Packets() {
    }

    /** The bytes of a hex string; whitespace is ignored. */
    public static byte[] bytes(String hex) {
        return ByteBufUtil.decodeHexDump(hex.replaceAll("\\s", ""));
    }

    /** A direct buffer holding {@code hex}, reader index 0. */
    public static ByteBuf buffer(String hex) {
        return buffer(0, bytes(hex));
    }

    /** A direct buffer with {@code headroom} zero bytes and then {@code data}; reader index at the data. */
    public static ByteBuf buffer(int headroom, byte[] data) {
        ByteBuf buf = Unpooled.directBuffer(headroom + data.length);
        buf.writeZero(headroom).writeBytes(data).readerIndex(headroom);
        return buf;
    }

    /** The readable bytes as lower-case hex. */
    public static String hex(ByteBuf buf) {
        return ByteBufUtil.hexDump(buf);
    }

    public static String hex(ByteBuf buf, int index, int length) {
        return ByteBufUtil.hexDump(buf, index, length);
    }

    /** Hex with whitespace removed, for comparing against readable tables. */
    public static String squash(String hex) {
        return hex.replaceAll("\\s", "").toLowerCase();
    }

    /** RFC 1071 checksum, the textbook way: 16-bit big-endian words, odd byte padded, fold, invert. */
    public static int referenceChecksum(byte[] data, int offset, int length) {
        long sum = 0;
        for (int i = 0; i < length; i += 2) {
            int hi = data[offset + i] & 0xFF;
            int lo = i + 1 < length ? data[offset + i + 1] & 0xFF : 0;
            sum += (hi << 8) | lo;
        }
        while (sum > 0xFFFF) {
            sum = (sum >>> 16) + (sum & 0xFFFF);
        }
        return (int) (~sum & 0xFFFF);
    }

    /** An IPv4/UDP packet (no options, checksum right, UDP checksum 0) with a payload of 0, 1, 2, ... */
    public static byte[] ipv4Udp(int tos, int src, int dst, int sourcePort, int dstPort, int payloadLength) {
        int total = 20 + 8 + payloadLength;
        byte[] p = new byte[total];
        p[0] = 0x45;
        p[1] = (byte) tos;
        putShort(p, 2, total);
        putShort(p, 4, 0x1234);
        putShort(p, 6, 0x4000);
        p[8] = 64;
        p[9] = 17;
        putInt(p, 12, src);
        putInt(p, 16, dst);
        putShort(p, 10, referenceChecksum(p, 0, 20));
        putShort(p, 20, sourcePort);
        putShort(p, 22, dstPort);
        putShort(p, 24, 8 + payloadLength);
        for (int i = 0; i < payloadLength; i++) {
            p[28 + i] = (byte) i;
        }
        return p;
    }

    /** An IPv6/UDP packet with addresses {@code fd00::<src>} and {@code fd00::<dst>}. */
    public static byte[] ipv6Udp(int trafficClass, int src, int dst, int sourcePort, int dstPort, int payloadLength) {
        byte[] p = new byte[40 + 8 + payloadLength];
        putInt(p, 0, (6 << 28) | ((trafficClass & 0xFF) << 20) | 0x12345);
        putShort(p, 4, 8 + payloadLength);
        p[6] = 17;
        p[7] = 64;
        p[8] = (byte) 0xFD;
        putInt(p, 20, src);
        p[24] = (byte) 0xFD;
        putInt(p, 36, dst);
        putShort(p, 40, sourcePort);
        putShort(p, 42, dstPort);
        putShort(p, 44, 8 + payloadLength);
        for (int i = 0; i < payloadLength; i++) {
            p[48 + i] = (byte) i;
        }
        return p;
    }

    /** The 16 bytes of an IPv6 literal. */
    public static byte[] ipv6Address(String text) {
        try {
            byte[] a = java.net.InetAddress.getByName(text).getAddress();
            if (a.length != 16) {
                throw new IllegalArgumentException("not IPv6: " + text);
            }
            return a;
        } catch (java.net.UnknownHostException e) {
            throw new IllegalArgumentException(e);
        }
    }

    /**
     * An IPv6 packet from {@code src} to {@code dst} carrying {@code upper} (a transport header
     * and data) with next header {@code nextHeader}; a TCP, UDP or ICMPv6 checksum at its place
     * in {@code upper} is filled in the slow way (RFC 8200 §8.1 pseudo-header).
     */
    public static byte[] ipv6(int trafficClass, String src, String dst, int nextHeader, byte[] upper) {
        byte[] p = new byte[40 + upper.length];
        putInt(p, 0, (6 << 28) | ((trafficClass & 0xFF) << 20));
        putShort(p, 4, upper.length);
        p[6] = (byte) nextHeader;
        p[7] = 64;
        System.arraycopy(ipv6Address(src), 0, p, 8, 16);
        System.arraycopy(ipv6Address(dst), 0, p, 24, 16);
        System.arraycopy(upper, 0, p, 40, upper.length);
        int field = nextHeader == 6 ? 16 : nextHeader == 17 ? 6 : nextHeader == 58 ? 2 : -1;
        if (field >= 0) {
            putShort(p, 40 + field, 0);
            int csum = ipv6UpperChecksum(p, 0);
            putShort(p, 40 + field, csum == 0 && nextHeader == 17 ? 0xFFFF : csum);
        }
        return p;
    }

    /**
     * The Internet checksum over the IPv6 pseudo-header of the packet at {@code ip} in {@code p}
     * and its upper-layer bytes, computed the slow way: 0 when the checksum in them is right.
     */
    public static int ipv6UpperChecksum(byte[] p, int ip) {
        int length = ((p[ip + 4] & 0xFF) << 8) | (p[ip + 5] & 0xFF);
        byte[] pseudo = new byte[40 + length];
        System.arraycopy(p, ip + 8, pseudo, 0, 32);
        putInt(pseudo, 32, length);
        pseudo[39] = p[ip + 6];
        System.arraycopy(p, ip + 40, pseudo, 40, length);
        return referenceChecksum(pseudo, 0, pseudo.length);
    }

    /** An IPv6/UDP packet from {@code src} to {@code dst}, {@code payloadLength} counting bytes of payload, checksum right. */
    public static byte[] ipv6Udp(String src, String dst, int sourcePort, int dstPort, int payloadLength) {
        byte[] udp = new byte[8 + payloadLength];
        putShort(udp, 0, sourcePort);
        putShort(udp, 2, dstPort);
        putShort(udp, 4, udp.length);
        for (int i = 0; i < payloadLength; i++) {
            udp[8 + i] = (byte) i;
        }
        return ipv6(0, src, dst, 17, udp);
    }

    /** An IPv6 TCP SYN from {@code src} to {@code dst} whose only option is MSS {@code mss} (at byte 62), checksum right. */
    public static byte[] ipv6Syn(String src, String dst, int mss) {
        byte[] tcp = new byte[24];
        putShort(tcp, 0, 40000);
        putShort(tcp, 2, 5201);
        putInt(tcp, 4, 0x01020304);
        tcp[12] = (byte) (6 << 4);
        tcp[13] = 0x02; // SYN
        putShort(tcp, 14, 64800);
        tcp[20] = 2;
        tcp[21] = 4;
        putShort(tcp, 22, mss);
        return ipv6(0, src, dst, 6, tcp);
    }

    public static void putShort(byte[] b, int index, int value) {
        b[index] = (byte) (value >>> 8);
        b[index + 1] = (byte) value;
    }

    public static void putInt(byte[] b, int index, int value) {
        putShort(b, index, value >>> 16);
        putShort(b, index + 2, value);
    }
}
