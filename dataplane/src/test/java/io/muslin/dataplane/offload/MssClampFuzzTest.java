package io.muslin.dataplane.offload;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.muslin.dataplane.FuzzBuffers;
import io.muslin.dataplane.packet.Ipv4;
import io.muslin.dataplane.packet.Ipv6;
import io.netty.buffer.ByteBuf;
import java.util.Arrays;
import java.util.stream.Stream;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Fuzz target: {@link MssClamp#clamp} on any packet (a pod's, or one from a peer). Input: the
 * MSS limit (2 bytes), then the packet.
 *
 * <p>What must hold (IPv4 and IPv6 SYNs alike): no exception; a packet it leaves alone is unchanged; one it rewrites
 * changed only in the MSS option's two bytes and the TCP checksum, holds the limit as MSS
 * (which was higher), and a TCP checksum that verified before verifies after (the incremental
 * update, RFC 1624); clamping again changes nothing.
 */
class MssClampFuzzTest {
    static Stream<byte[]> seeds() {
        return Stream.of(
            withLimit(1360, MssClampTestSupport.syn(1460)),
            withLimit(1360, MssClampTest.segment(Tcp.SYN | Tcp.FLAG_ACK, "0204 05b4 0402 080a 0001 e240 0000 3039 0103 0307")),
            withLimit(536, MssClampTest.segment(Tcp.SYN, "01 0204 05b4 000000")));
    }

    private static byte[] withLimit(int mss, byte[] packet) {
        byte[] out = new byte[2 + packet.length];
        out[0] = (byte) (mss >>> 8);
        out[1] = (byte) mss;
        System.arraycopy(packet, 0, out, 2, packet.length);
        return out;
    }

    @MethodSource("seeds")
    @FuzzTest
    void clamp(byte[] input) {
        if (input.length < 2) {
            return;
        }
        int limit = ((input[0] & 0xFF) << 8) | (input[1] & 0xFF);
        byte[] packet = Arrays.copyOfRange(input, 2, input.length);
        ByteBuf buf = FuzzBuffers.direct(3, packet, 4);
        try {
            boolean verified = tcpVerifies(packet);
            boolean clamped = MssClamp.clamp(buf, 3, packet.length, limit);
            byte[] after = new byte[packet.length];
            buf.getBytes(3, after);
            if (!clamped) {
                assertArrayEquals(packet, after, "left alone means unchanged");
                return;
            }
            boolean ipv6 = (packet[0] & 0xF0) == 0x60;
            int tcp = ipv6 ? Ipv6.HEADER_LENGTH : (packet[0] & 0x0F) * 4;
            int changed = 0;
            int mssAt = -1;
            for (int i = 0; i < packet.length; i++) {
                if (packet[i] != after[i] && i != tcp + Tcp.CHECKSUM && i != tcp + Tcp.CHECKSUM + 1) {
                    mssAt = mssAt < 0 ? i : mssAt;
                    changed++;
                }
            }
            assertTrue(changed <= 2 && mssAt >= tcp + Tcp.MIN_HEADER, "only the MSS value changed");
            assertEquals(Ipv4.PROTO_TCP, ipv6 ? Ipv6.nextHeader(buf, 3) : Ipv4.protocol(buf, 3));
            assertTrue((Tcp.flags(buf, 3 + tcp) & Tcp.SYN) != 0, "only SYNs are clamped");
            if (verified) {
                assertTrue(tcpVerifies(after), "the TCP checksum still verifies after the update");
            }
            assertFalse(MssClamp.clamp(buf, 3, packet.length, limit), "clamping twice");
        } finally {
            assertTrue(buf.release());
        }
        FuzzBuffers.assertAllReleased();
    }

    /** The textbook check, on IPv4 TCP whose lengths hold. */
    private static boolean tcpVerifies(byte[] packet) {
        if (packet.length < 40 || (packet[0] & 0xF0) != 0x40 || (packet[0] & 0x0F) < 5
            || (packet[0] & 0x0F) * 4 + 20 > packet.length) {
            return false;
        }
        return TcpPackets.tcpChecksumValid(packet);
    }
}
