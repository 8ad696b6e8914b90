package io.muslin.tun.linux;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.Test;

/**
 * The IPv6 underlay's sockets over {@code ::1}: the VXLAN receive socket on {@code [::]:port},
 * the UDP GSO sender, {@code sockaddr_in6} destinations and sources, the traffic-class control
 * message. No root needed.
 */
class Ipv6SocketTest {
    private static final long LOOPBACK_HI = 0;
    private static final long LOOPBACK_LO = 1;

    @Test
    void gsoMessageOverIpv6ArrivesAsDatagramsWithTheSendersAddress() throws Exception {
        int port = 20000 + ThreadLocalRandom.current().nextInt(20000);
        try (Arena arena = Arena.ofConfined();
             NativeSocket rx = NativeSocket.udp6(port, 1 << 20, false);
             NativeSocket tx = NativeSocket.udp6Sender(LOOPBACK_HI, LOOPBACK_LO, 0, 1 << 20, false);
             MessageBatch out = new MessageBatch(2, 2, true);
             MessageBatch in = new MessageBatch(8)) {
            MemorySegment errno = Libc.newErrnoSegment(arena);
            MemorySegment data = arena.allocate(4096, 64);
            for (int b = 0; b < 4096; b++) {
                data.set(ValueLayout.JAVA_BYTE, b, (byte) (b * 7));
            }
            // One message of three 1000-byte datagrams (the last 500), cut by the kernel (UDP_SEGMENT).
            out.setBuffers(0, data.address(), 1500, data.address() + 1500, 1000);
            out.setControl(0, 1000, 0x2E, true);
            out.setDestination6(0, LOOPBACK_HI, LOOPBACK_LO, port);
            // And a plain datagram, traffic class only.
            out.setBuffer(1, data.address() + 3000, 77);
            out.setControl(1, 0, 0x10, true);
            out.setDestination6(1, LOOPBACK_HI, LOOPBACK_LO, port);
            assertEquals(2, tx.send(out, 0, 2, errno));

            MemorySegment recv = arena.allocate(8 * 2048L, 64);
            for (int i = 0; i < 8; i++) {
                in.prepareReceive(i, recv.address() + i * 2048L, 2048);
            }
            // Loopback delivers within the send: one recvmmsg finds all four.
            int got = 0;
            for (int spins = 0; got == 0 && spins < 1000; spins++) {
                got = rx.receive(in, 8, errno);
                if (got == 0) {
                    Thread.sleep(1);
                }
            }
            assertEquals(4, got, "three segments and one datagram");
            int[] lengths = {1000, 1000, 500, 77};
            long[] offsets = {0, 1000, 2000, 3000};
            int source = tx.localPort();
            for (int i = 0; i < 4; i++) {
                assertEquals(lengths[i], in.length(i), "datagram " + i);
                assertEquals(LOOPBACK_HI, in.sourceHi(i));
                assertEquals(LOOPBACK_LO, in.sourceLo(i));
                assertEquals(0, in.sourceIpv4(i), "not an IPv4 source");
                assertEquals(source, in.sourcePort(i));
                assertArrayEquals(data.asSlice(offsets[i], lengths[i]).toArray(ValueLayout.JAVA_BYTE),
                    recv.asSlice(i * 2048L, lengths[i]).toArray(ValueLayout.JAVA_BYTE));
            }
        }
    }

    @Test
    void ipv4SourceInTheTwoWordLayout() throws Exception {
        int[] rxPort = new int[1];
        int[] txPort = new int[1];
        try (Arena arena = Arena.ofConfined();
             NativeSocket rx = LoopbackUdp.bind(rxPort);
             NativeSocket tx = LoopbackUdp.bind(txPort);
             MessageBatch out = new MessageBatch(1);
             MessageBatch in = new MessageBatch(1)) {
            MemorySegment errno = Libc.newErrnoSegment(arena);
            MemorySegment data = arena.allocate(64);
            out.setBuffer(0, data.address(), 64);
            out.setDestination(0, LoopbackUdp.LOOPBACK, rxPort[0]);
            assertEquals(1, tx.send(out, 0, 1, errno));
            in.prepareReceive(0, data.address(), 64);
            int got = 0;
            for (int spins = 0; got == 0 && spins < 1000; spins++) {
                got = rx.receive(in, 1, errno);
                if (got == 0) {
                    Thread.sleep(1);
                }
            }
            assertEquals(1, got);
            assertEquals(0x7F000001_00000000L, in.sourceHi(0));
            assertEquals(0, in.sourceLo(0));
        }
    }
}
