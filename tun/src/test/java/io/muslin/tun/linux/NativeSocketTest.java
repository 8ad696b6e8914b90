package io.muslin.tun.linux;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.junit.jupiter.api.Test;

/** sendmmsg/recvmmsg through FFM over loopback: no root needed. */
class NativeSocketTest {
    private static final int LOOPBACK = LoopbackUdp.LOOPBACK;


    @Test
    void batchOfDatagramsArrivesWholeWithItsSource() throws Exception {
        int[] rxPort = new int[1];
        int[] txPort = new int[1];
        try (Arena arena = Arena.ofConfined();
             NativeSocket rx = LoopbackUdp.bind(rxPort);
             NativeSocket tx = LoopbackUdp.bind(txPort);
             MessageBatch out = new MessageBatch(8);
             MessageBatch in = new MessageBatch(8)) {
            MemorySegment errno = Libc.newErrnoSegment(arena);
            MemorySegment data = arena.allocate(8 * 2048L, 64);
            for (int i = 0; i < 5; i++) {
                int len = 100 + i * 300;
                for (int b = 0; b < len; b++) {
                    data.set(ValueLayout.JAVA_BYTE, i * 2048L + b, (byte) (i * 31 + b));
                }
                out.setBuffer(i, data.address() + i * 2048L, len);
                out.setDestination(i, LOOPBACK, rxPort[0]);
            }
            assertEquals(5, tx.send(out, 0, 5, errno));

            MemorySegment recv = arena.allocate(8 * 2048L, 64);
            for (int i = 0; i < 8; i++) {
                in.prepareReceive(i, recv.address() + i * 2048L, 2048);
            }
            int got = 0;
            for (int spins = 0; got == 0 && spins < 1000; spins++) {
                got = rx.receive(in, 8, errno);
                if (got == 0) {
                    Thread.sleep(1);
                }
            }
            assertEquals(5, got, "all five datagrams in one recvmmsg");
            for (int i = 0; i < 5; i++) {
                int len = 100 + i * 300;
                assertEquals(len, in.length(i));
                assertFalse(in.truncated(i));
                assertEquals(LOOPBACK, in.sourceIpv4(i));
                assertEquals(txPort[0], in.sourcePort(i));
                assertArrayEquals(data.asSlice(i * 2048L, len).toArray(ValueLayout.JAVA_BYTE),
                    recv.asSlice(i * 2048L, len).toArray(ValueLayout.JAVA_BYTE));
            }
            assertEquals(0, rx.receive(in, 8, errno), "nothing more waiting: 0, not an error");
        }
    }

    @Test
    void longerDatagramIsMarkedTruncated() throws Exception {
        int[] rxPort = new int[1];
        int[] txPort = new int[1];
        try (Arena arena = Arena.ofConfined();
             NativeSocket rx = LoopbackUdp.bind(rxPort);
             NativeSocket tx = LoopbackUdp.bind(txPort);
             MessageBatch out = new MessageBatch(1);
             MessageBatch in = new MessageBatch(1)) {
            MemorySegment errno = Libc.newErrnoSegment(arena);
            MemorySegment data = arena.allocate(1000);
            out.setBuffer(0, data.address(), 1000);
            out.setDestination(0, LOOPBACK, rxPort[0]);
            assertEquals(1, tx.send(out, 0, 1, errno));
            MemorySegment small = arena.allocate(100);
            in.prepareReceive(0, small.address(), 100);
            int got = 0;
            for (int spins = 0; got == 0 && spins < 1000; spins++) {
                got = rx.receive(in, 1, errno);
                if (got == 0) {
                    Thread.sleep(1);
                }
            }
            assertEquals(1, got);
            assertTrue(in.truncated(0));
        }
    }

    @Test
    void bindingATakenPortNamesTheCallAndErrno() throws Exception {
        int[] port = new int[1];
        try (NativeSocket first = LoopbackUdp.bind(port)) {
            LinuxException e = assertThrows(LinuxException.class, () -> NativeSocket.udp(LOOPBACK, port[0], 0));
            assertEquals(98, e.errno()); // EADDRINUSE
            assertTrue(e.getMessage().contains("bind(udp 127.0.0.1:" + port[0] + ")"), e.getMessage());
        }
    }

    @Test
    void batchCapacityIsValidated() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new MessageBatch(0));
        assertTrue(e.getMessage().contains("1-1024"), e.getMessage());
    }
}
