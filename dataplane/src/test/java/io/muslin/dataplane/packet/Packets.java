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

    public static void putShort(byte[] b, int index, int value) {
        b[index] = (byte) (value >>> 8);
        b[index + 1] = (byte) value;
    }

    public static void putInt(byte[] b, int index, int value) {
        putShort(b, index, value >>> 16);
        putShort(b, index + 2, value);
    }
}
