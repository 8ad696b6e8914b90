package io.muslin.dataplane.offload;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.muslin.dataplane.packet.Packets;
import io.netty.buffer.ByteBuf;
import java.util.HexFormat;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The MSS option is lowered and the TCP checksum stays right, wherever the option sits. */
class MssClampTest {
    private static final int SRC = 0x0AF40102;
    private static final int DST = 0x0AF40302;

    /** An IPv4 TCP segment with the given flags and options (hex), checksum computed from scratch. */
    static byte[] segment(int flags, String options) {
        byte[] opts = Packets.bytes(options);
        int tcpLength = 20 + opts.length;
        byte[] p = new byte[20 + tcpLength];
        p[0] = 0x45;
        Packets.putShort(p, 2, p.length);
        Packets.putShort(p, 6, 0x4000);
        p[8] = 64;
        p[9] = 6;
        Packets.putInt(p, 12, SRC);
        Packets.putInt(p, 16, DST);
        Packets.putShort(p, 10, Packets.referenceChecksum(p, 0, 20));
        Packets.putShort(p, 20, 40000);
        Packets.putShort(p, 22, 5201);
        Packets.putInt(p, 24, 0x01020304);
        p[32] = (byte) ((tcpLength / 4) << 4);
        p[33] = (byte) flags;
        Packets.putShort(p, 34, 64240);
        System.arraycopy(opts, 0, p, 40, opts.length);
        Packets.putShort(p, 36, tcpChecksum(p));
        return p;
    }

    /** RFC 793 checksum over pseudo-header and segment, computed the slow way. */
    static int tcpChecksum(byte[] p) {
        int tcpLength = p.length - 20;
        byte[] pseudo = new byte[12 + tcpLength];
        System.arraycopy(p, 12, pseudo, 0, 8);
        pseudo[9] = 6;
        Packets.putShort(pseudo, 10, tcpLength);
        System.arraycopy(p, 20, pseudo, 12, tcpLength);
        Packets.putShort(pseudo, 12 + 16, 0);
        return Packets.referenceChecksum(pseudo, 0, pseudo.length);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', textBlock = """
        # options (MSS 1460 = 05b4)                       | clamp | rewritten | MSS after
        020405b4 0402080a 00000001 00000000 01030307       | 1360  | true      | 1360
        01 020405b4 010101                                 | 1360  | true      | 1360
        01 01 01 020405b4 00                               | 1360  | true      | 1360
        020405b4                                           | 1460  | false     | 1460
        020405b4                                           | 1500  | false     | 1460
        0402 080a0000000100000000 01 020405b4 000000       | 1200  | true      | 1200
        """)
    void lowersTheMssOfASynAndKeepsTheChecksumRight(String options, int clamp, boolean rewritten, int mssAfter) {
        byte[] p = segment(Tcp.SYN, options.replace(" ", ""));
        ByteBuf buf = Packets.buffer(0, p);
        try {
            assertEquals(rewritten, MssClamp.clamp(buf, 0, p.length, clamp));
            byte[] after = new byte[p.length];
            buf.getBytes(0, after);
            int at = indexOfMss(after);
            assertEquals(mssAfter, ((after[at + 2] & 0xFF) << 8) | (after[at + 3] & 0xFF));
            assertEquals(tcpChecksum(after), ((after[36] & 0xFF) << 8) | (after[37] & 0xFF), "TCP checksum");
        } finally {
            buf.release();
        }
    }

    private static int indexOfMss(byte[] p) {
        for (int at = 40; at < p.length; ) {
            int kind = p[at] & 0xFF;
            if (kind == 2) {
                return at;
            }
            at += kind <= 1 ? 1 : p[at + 1] & 0xFF;
        }
        throw new AssertionError("no MSS option");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', textBlock = """
        # what                          | flags | options
        not a SYN                       | 16    | 020405b4
        no MSS option                   | 2     | 01010101
        option runs past the header     | 2     | 010102ff
        end of options before the MSS   | 2     | 00000000 020405b4
        """)
    void leavesEverythingElseAlone(String what, int flags, String options) {
        byte[] p = segment(flags, options.replace(" ", ""));
        ByteBuf buf = Packets.buffer(0, p);
        try {
            assertFalse(MssClamp.clamp(buf, 0, p.length, 1000), what);
            byte[] after = new byte[p.length];
            buf.getBytes(0, after);
            assertEquals(HexFormat.of().formatHex(p), HexFormat.of().formatHex(after), what);
        } finally {
            buf.release();
        }
    }

    @ParameterizedTest
    @CsvSource({"1000", "536"})
    void ignoresFragmentsAndOtherProtocols(int clamp) {
        byte[] p = segment(Tcp.SYN, "020405b4");
        byte[] udp = p.clone();
        udp[9] = 17;
        byte[] fragment = p.clone();
        Packets.putShort(fragment, 6, 0x2000);
        for (byte[] bytes : new byte[][] {udp, fragment}) {
            ByteBuf buf = Packets.buffer(0, bytes);
            try {
                assertFalse(MssClamp.clamp(buf, 0, bytes.length, clamp));
            } finally {
                buf.release();
            }
        }
    }
}
