package io.muslin.dataplane.capture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class CaptureRingTest {
    @Test
    void recordsComeOutInOrderAcrossTheWrap() {
        CaptureRing ring = new CaptureRing(256);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment src = arena.allocate(64);
            for (int round = 0; round < 50; round++) {
                int length = 1 + round % 40;
                src.fill((byte) round);
                int at = ring.claim(length);
                assertTrue(at >= 0, "room for record " + round);
                ring.putInt(at + CaptureRing.CAPTURED, length);
                ring.copyFrom(src.address(), at + CaptureRing.HEADER, length);
                ring.publish();
                int read = ring.peek();
                assertEquals(at, read);
                assertEquals(length, ring.getInt(read + CaptureRing.CAPTURED));
                for (int i = 0; i < length; i++) {
                    assertEquals(round, ring.array()[read + CaptureRing.HEADER + i]);
                }
                ring.release(read);
                assertEquals(-1, ring.peek());
            }
        }
    }

    @Test
    void aFullRingRefusesAndAcceptsAgainOnceRead() {
        CaptureRing ring = new CaptureRing(128);
        int a = ring.claim(24); // 56 bytes
        ring.publish();
        int b = ring.claim(24);
        ring.publish();
        assertEquals(-1, ring.claim(24), "a third record does not fit in 128 bytes");
        assertEquals(a, ring.peek());
        ring.release(a);
        assertTrue(ring.claim(8) >= 0, "room again once the consumer freed a record");
        ring.publish();
        assertEquals(b, ring.peek());
        assertEquals(-1, ring.claim(1000), "a record larger than half the ring never fits");
    }

    @Test
    void rejectsBadSizes() {
        assertThrows(IllegalArgumentException.class, () -> new CaptureRing(60));
        assertThrows(IllegalArgumentException.class, () -> new CaptureRing(100));
    }

    /** One producer and one consumer thread: every record arrives whole and in order, or was refused and counted. */
    @Test
    void producerAndConsumerThreadsAgree() throws Exception {
        CaptureRing ring = new CaptureRing(4096);
        int records = 200_000;
        AtomicLong refused = new AtomicLong();
        Thread producer = new Thread(() -> {
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment src = arena.allocate(100);
                for (int i = 0; i < records; i++) {
                    int length = 1 + i % 97;
                    for (int k = 0; k < length; k++) {
                        src.set(ValueLayout.JAVA_BYTE, k, (byte) (i + k));
                    }
                    int at = ring.claim(length);
                    if (at < 0) {
                        refused.incrementAndGet();
                        continue;
                    }
                    ring.putInt(at + CaptureRing.CAPTURED, length);
                    ring.putInt(at + CaptureRing.PEER, i);
                    ring.copyFrom(src.address(), at + CaptureRing.HEADER, length);
                    ring.publish();
                }
            }
        });
        producer.start();
        long seen = 0;
        int last = -1;
        while (producer.isAlive() || ring.peek() >= 0) {
            int at = ring.peek();
            if (at < 0) {
                Thread.onSpinWait();
                continue;
            }
            int i = ring.getInt(at + CaptureRing.PEER);
            int length = ring.getInt(at + CaptureRing.CAPTURED);
            assertTrue(i > last, "in order: " + i + " after " + last);
            assertEquals(1 + i % 97, length);
            for (int k = 0; k < length; k++) {
                assertEquals((byte) (i + k), ring.array()[at + CaptureRing.HEADER + k], "record " + i + " byte " + k);
            }
            last = i;
            seen++;
            ring.release(at);
        }
        producer.join();
        assertEquals(records, seen + refused.get());
    }
}
