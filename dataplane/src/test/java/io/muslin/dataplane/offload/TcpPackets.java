package io.muslin.dataplane.offload;

import io.muslin.dataplane.packet.Packets;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * TCP/IP packets as plain byte arrays, built field by field with the textbook checksum
 * ({@link Packets#referenceChecksum}), independent of the classes under test.
 */
final class TcpPackets {
    static final int SRC4 = 0x0AF50102;  // 10.245.1.2
    static final int DST4 = 0x0AF50203;  // 10.245.2.3
    static final byte[] SRC6 = Packets.bytes("fd00 0000 0000 0001 0000 0000 0000 0002");
    static final byte[] DST6 = Packets.bytes("fd00 0000 0000 0002 0000 0000 0000 0003");
    /** NOP, NOP, timestamps (kind 8, length 10). */
    static final byte[] TIMESTAMPS = Packets.bytes("0101 080a 0001 e240 0000 3039");

    private TcpPackets() {
    }

    /** A mutable description of one packet; {@link #build} makes its bytes. */
    static final class Spec {
        boolean ipv6;
        int src = SRC4;
        int dst = DST4;
        int tos;
        int ttl = 64;
        int id = 0x1234;
        boolean df = true;
        byte[] ipOptions = new byte[0];
        int flowLabel = 0x12345;
        int sport = 40000;
        int dport = 5201;
        int seq = 1_000_000;
        int ack = 777;
        int flags = Tcp.FLAG_ACK;
        int window = 502;
        byte[] tcpOptions = TIMESTAMPS;
        byte[] payload = new byte[0];

        Spec copy() {
            Spec s = new Spec();
            s.ipv6 = ipv6;
            s.src = src;
            s.dst = dst;
            s.tos = tos;
            s.ttl = ttl;
            s.id = id;
            s.df = df;
            s.ipOptions = ipOptions.clone();
            s.flowLabel = flowLabel;
            s.sport = sport;
            s.dport = dport;
            s.seq = seq;
            s.ack = ack;
            s.flags = flags;
            s.window = window;
            s.tcpOptions = tcpOptions.clone();
            s.payload = payload.clone();
            return s;
        }

        Spec payload(byte[] p) {
            payload = p;
            return this;
        }

        Spec seq(int s) {
            seq = s;
            return this;
        }

        Spec flags(int f) {
            flags = f;
            return this;
        }

        Spec v6() {
            ipv6 = true;
            return this;
        }

        int ipHeaderLength() {
            return ipv6 ? 40 : 20 + ipOptions.length;
        }

        int tcpHeaderLength() {
            return 20 + tcpOptions.length;
        }

        byte[] build() {
            return TcpPackets.build(this);
        }
    }

    static Spec spec() {
        return new Spec();
    }

    /** Bytes {@code seed, seed+1, ...}: any misplaced slice shows. */
    static byte[] payload(int length, int seed) {
        byte[] b = new byte[length];
        for (int i = 0; i < length; i++) {
            b[i] = (byte) (seed + i * 7 + (i >>> 8));
        }
        return b;
    }

    static byte[] build(Spec s) {
        if (s.tcpOptions.length % 4 != 0 || s.ipOptions.length % 4 != 0) {
            throw new IllegalArgumentException("options must be a multiple of 4 bytes");
        }
        byte[] tcp = tcpHeader(s, 0);
        int tcpLength = tcp.length + s.payload.length;
        byte[] ip = s.ipv6 ? ipv6Header(s, tcpLength) : ipv4Header(s, tcpLength);
        int csum = tcpChecksum(s, tcp, s.payload);
        tcp[16] = (byte) (csum >>> 8);
        tcp[17] = (byte) csum;
        return concat(ip, tcp, s.payload);
    }

    static byte[] tcpHeader(Spec s, int checksum) {
        ByteBuffer b = ByteBuffer.allocate(20 + s.tcpOptions.length);
        b.putShort((short) s.sport).putShort((short) s.dport).putInt(s.seq).putInt(s.ack);
        b.put((byte) ((5 + s.tcpOptions.length / 4) << 4)).put((byte) s.flags).putShort((short) s.window);
        b.putShort((short) checksum).putShort((short) 0).put(s.tcpOptions);
        return b.array();
    }

    static byte[] ipv4Header(Spec s, int payloadLength) {
        int hl = 20 + s.ipOptions.length;
        ByteBuffer b = ByteBuffer.allocate(hl);
        b.put((byte) (0x40 | hl / 4)).put((byte) s.tos).putShort((short) (hl + payloadLength));
        b.putShort((short) s.id).putShort((short) (s.df ? 0x4000 : 0));
        b.put((byte) s.ttl).put((byte) 6).putShort((short) 0).putInt(s.src).putInt(s.dst).put(s.ipOptions);
        byte[] h = b.array();
        int csum = Packets.referenceChecksum(h, 0, hl);
        h[10] = (byte) (csum >>> 8);
        h[11] = (byte) csum;
        return h;
    }

    static byte[] ipv6Header(Spec s, int payloadLength) {
        ByteBuffer b = ByteBuffer.allocate(40);
        b.putInt(0x6000_0000 | (s.tos << 20) | s.flowLabel).putShort((short) payloadLength).put((byte) 6)
            .put((byte) s.ttl).put(SRC6).put(DST6);
        return b.array();
    }

    /** The TCP checksum the textbook way: pseudo-header, header (checksum 0) and payload as one array. */
    static int tcpChecksum(Spec s, byte[] tcpHeader, byte[] payload) {
        byte[] header = tcpHeader.clone();
        header[16] = 0;
        header[17] = 0;
        int tcpLength = header.length + payload.length;
        byte[] pseudo;
        if (s.ipv6) {
            pseudo = ByteBuffer.allocate(40).put(SRC6).put(DST6).putInt(tcpLength).putInt(6).array();
        } else {
            pseudo = ByteBuffer.allocate(12).putInt(s.src).putInt(s.dst).put((byte) 0).put((byte) 6)
                .putShort((short) tcpLength).array();
        }
        byte[] all = concat(pseudo, header, payload);
        return Packets.referenceChecksum(all, 0, all.length);
    }

    /** True when the TCP checksum of an IPv4/IPv6 TCP packet verifies (the textbook way). */
    static boolean tcpChecksumValid(byte[] packet) {
        boolean v6 = (packet[0] & 0xF0) == 0x60;
        int ipHeader = v6 ? 40 : (packet[0] & 0x0F) * 4;
        int tcpLength = packet.length - ipHeader;
        byte[] pseudo;
        if (v6) {
            pseudo = ByteBuffer.allocate(40).put(packet, 8, 32).putInt(tcpLength).putInt(6).array();
        } else {
            pseudo = ByteBuffer.allocate(12).put(packet, 12, 8).put((byte) 0).put((byte) 6)
                .putShort((short) tcpLength).array();
        }
        byte[] all = concat(pseudo, Arrays.copyOfRange(packet, ipHeader, packet.length));
        return Packets.referenceChecksum(all, 0, all.length) == 0;
    }

    static boolean ipv4ChecksumValid(byte[] packet) {
        return Packets.referenceChecksum(packet, 0, (packet[0] & 0x0F) * 4) == 0;
    }

    static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }

    static int u16(byte[] b, int i) {
        return ((b[i] & 0xFF) << 8) | (b[i + 1] & 0xFF);
    }

    static int u32(byte[] b, int i) {
        return (u16(b, i) << 16) | u16(b, i + 2);
    }
}
