package io.muslin.tun.linux;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.junit.jupiter.api.Test;

/**
 * UDP segmentation offload ({@code UDP_SEGMENT}) and UDP GRO through FFM over loopback, with
 * gathered iovecs and control messages: no root needed.
 */
class UdpOffloadTest {
    private static final int LOOPBACK = LoopbackUdp.LOOPBACK;
    private static final int SEGMENT = 500;
    /** Three full datagrams and a short one, each gathered from a "header" and a "payload" piece. */
    private static final int[] HEADERS = {60, 60, 60, 60};
    private static final int[] PAYLOADS = {440, 440, 440, 140};


    /** Fills header and payload pieces far apart in {@code memory} and points message 0 at them; returns the bytes as sent. */
    private static byte[] stageGsoMessage(MessageBatch out, MemorySegment memory, int port) {
        byte[] expected = new byte[1700];
        int at = 0;
        for (int k = 0; k < HEADERS.length; k++) {
            long header = k * 64L;
            long payload = 4096 + k * 512L;
            for (int b = 0; b < HEADERS[k]; b++) {
                memory.set(ValueLayout.JAVA_BYTE, header + b, (byte) (0xA0 + k));
                expected[at++] = (byte) (0xA0 + k);
            }
            for (int b = 0; b < PAYLOADS[k]; b++) {
                memory.set(ValueLayout.JAVA_BYTE, payload + b, (byte) (k * 37 + b));
                expected[at++] = (byte) (k * 37 + b);
            }
            out.setIovec(0, 2 * k, memory.address() + header, HEADERS[k]);
            out.setIovec(0, 2 * k + 1, memory.address() + payload, PAYLOADS[k]);
        }
        out.setIovecCount(0, 2 * HEADERS.length);
        out.setControl(0, SEGMENT, 0x10);
        out.setDestination(0, LOOPBACK, port);
        return expected;
    }

    private static int receive(NativeSocket rx, MessageBatch in, int count, MemorySegment errno) throws InterruptedException {
        int got = 0;
        for (int spins = 0; got == 0 && spins < 1000; spins++) {
            got = rx.receive(in, count, errno);
            if (got == 0) {
                Thread.sleep(1);
            }
        }
        return got;
    }

    @Test
    void oneGsoMessageArrivesAsDatagramsOfTheSegmentSize() throws Exception {
        int[] port = new int[1];
        try (Arena arena = Arena.ofConfined();
             NativeSocket rx = LoopbackUdp.bind(port);
             NativeSocket tx = NativeSocket.udpSender(LOOPBACK, 1 << 20, false);
             MessageBatch out = new MessageBatch(1, 8, true);
             MessageBatch in = new MessageBatch(8)) {
            MemorySegment errno = Libc.newErrnoSegment(arena);
            MemorySegment memory = arena.allocate(8192, 64);
            byte[] expected = stageGsoMessage(out, memory, port[0]);
            assertEquals(1, tx.send(out, 0, 1, errno));
            assertEquals(1700, out.length(0), "bytes sent");

            MemorySegment recv = arena.allocate(8 * 2048L, 64);
            for (int i = 0; i < 8; i++) {
                in.prepareReceive(i, recv.address() + i * 2048L, 2048);
            }
            assertEquals(4, receive(rx, in, 8, errno), "cut into four datagrams");
            int at = 0;
            for (int i = 0; i < 4; i++) {
                int len = HEADERS[i] + PAYLOADS[i];
                assertEquals(len, in.length(i));
                assertEquals(tx.localPort(), in.sourcePort(i));
                assertEquals(0, in.segmentSize(i), "a batch without control areas reports none");
                byte[] want = java.util.Arrays.copyOfRange(expected, at, at + len);
                assertArrayEquals(want, recv.asSlice(i * 2048L, len).toArray(ValueLayout.JAVA_BYTE));
                at += len;
            }
        }
    }

    @Test
    void groReceivesTheDatagramsAsOneMessageWithTheirSize() throws Exception {
        int[] port = new int[1];
        try (Arena arena = Arena.ofConfined();
             NativeSocket rx = LoopbackUdp.bind(port);
             NativeSocket tx = NativeSocket.udpSender(LOOPBACK, 1 << 20, false);
             MessageBatch out = new MessageBatch(2, 8, true);
             MessageBatch in = new MessageBatch(4, 1, true)) {
            rx.enableGro();
            MemorySegment errno = Libc.newErrnoSegment(arena);
            MemorySegment memory = arena.allocate(8192, 64);
            byte[] expected = stageGsoMessage(out, memory, port[0]);
            // and a plain datagram after it: no UDP_SEGMENT, only IP_TOS
            memory.asSlice(6000, 100).fill((byte) 0x55);
            out.setBuffer(1, memory.address() + 6000, 100);
            out.setControl(1, 0, 0);
            out.setDestination(1, LOOPBACK, port[0]);
            assertEquals(2, tx.send(out, 0, 2, errno));

            MemorySegment recv = arena.allocate(4 * 65536L, 64);
            for (int i = 0; i < 4; i++) {
                in.prepareReceive(i, recv.address() + i * 65536L, 65536);
            }
            assertTrue(receive(rx, in, 4, errno) >= 1);
            assertEquals(1700, in.length(0), "the GSO message whole");
            assertEquals(SEGMENT, in.segmentSize(0));
            assertArrayEquals(expected, recv.asSlice(0, 1700).toArray(ValueLayout.JAVA_BYTE));
        }
    }

    @Test
    void controlAndIovecsAreChecked() {
        try (MessageBatch plain = new MessageBatch(2, 2);
             MessageBatch gso = new MessageBatch(2, 4, true)) {
            assertThrows(IllegalStateException.class, () -> plain.setControl(0, 500, 0));
            assertThrows(IndexOutOfBoundsException.class, () -> gso.setIovec(0, 4, 0L, 1));
            assertEquals(0, gso.segmentSize(0), "nothing received yet");
        }
        assertThrows(IllegalArgumentException.class, () -> new MessageBatch(1, 0));
        assertThrows(IllegalArgumentException.class, () -> new MessageBatch(1, 1025));
    }
}
