package io.muslin.dataplane.capture;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A bounded single-producer, single-consumer ring of variable-length records, in one Java
 * array (so a record written late by the producer can never touch freed memory). The producer
 * (a dataplane thread) never waits: {@link #claim} fails when the record does not fit, and the
 * caller counts it as missed. The consumer (the capture's writer thread) reads records in order.
 *
 * <pre>
 *  record (8-byte aligned):
 *   0  int   record length (header + data, rounded up to 8), or PAD's: skip to the end of the array
 *   4  byte  point (CapturePoint ordinal; PAD = 0xFF)    5 byte flags    6 short reason (Counter ordinal + 1, 0 = none)
 *   8  long  timestamp (ns since the epoch)
 *  16  int   peer (IPv4)                                20 int  original length
 *  24  int   captured length (data bytes)               28 short aux (GSO segment size)   30 short port
 *  32  data
 * </pre>
 *
 * Positions are monotonic longs; the producer publishes a record with a release store of the
 * tail, the consumer frees it with a release store of the head. The producer reads the head
 * only when its cached copy says the ring is full.
 */
final class CaptureRing {
    static final int HEADER = 32;
    static final int LENGTH = 0;
    static final int POINT = 4;
    static final int FLAGS = 5;
    static final int REASON = 6;
    static final int TIMESTAMP = 8;
    static final int PEER = 16;
    static final int ORIGINAL = 20;
    static final int CAPTURED = 24;
    static final int AUX = 28;
    static final int PORT = 30;
    static final byte PAD = (byte) 0xFF;
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED;
    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED;
    private static final ValueLayout.OfShort SHORT = ValueLayout.JAVA_SHORT_UNALIGNED;

    private final byte[] bytes;
    private final MemorySegment memory;
    private final int capacity;
    private final AtomicLong head = new AtomicLong();
    private final AtomicLong tail = new AtomicLong();
    // Producer's own.
    private long producerTail;
    private long cachedHead;
    private long claimedEnd;

    /** @param capacity bytes, a multiple of 8, at least 64 */
    CaptureRing(int capacity) {
        if (capacity < 64 || (capacity & 7) != 0) {
            throw new IllegalArgumentException("capture ring of " + capacity + " bytes (accepted: a multiple of 8, 64+)");
        }
        this.capacity = capacity;
        this.bytes = new byte[capacity];
        this.memory = MemorySegment.ofArray(bytes);
    }

    int capacity() {
        return capacity;
    }

    /** The whole ring as memory, for reading and writing records by offset. */
    MemorySegment memory() {
        return memory;
    }

    // ---------------------------------------------------------------- producer

    /**
     * Reserves a record of {@code dataLength} data bytes. Returns its offset (write the header
     * fields and the data there, then {@link #publish}), or -1 when it does not fit now.
     */
    int claim(int dataLength) {
        int need = align(HEADER + dataLength);
        if (need > capacity / 2) {
            return -1;
        }
        long t = producerTail;
        int offset = (int) (t % capacity);
        int pad = capacity - offset < need ? capacity - offset : 0;
        long end = t + pad + need;
        if (end - cachedHead > capacity) {
            cachedHead = head.getAcquire();
            if (end - cachedHead > capacity) {
                return -1;
            }
        }
        if (pad > 0) {
            memory.set(INT, offset + LENGTH, pad);
            memory.set(ValueLayout.JAVA_BYTE, offset + POINT, PAD);
            offset = 0;
        }
        memory.set(INT, offset + LENGTH, need);
        memory.set(ValueLayout.JAVA_BYTE, offset + POINT, (byte) 0); // never a stale PAD mark
        claimedEnd = end;
        return offset;
    }

    /** Makes the record from the last {@link #claim} visible to the consumer. */
    void publish() {
        producerTail = claimedEnd;
        tail.setRelease(claimedEnd);
    }

    void putByte(int at, int v) {
        memory.set(ValueLayout.JAVA_BYTE, at, (byte) v);
    }

    void putShort(int at, int v) {
        memory.set(SHORT, at, (short) v);
    }

    void putInt(int at, int v) {
        memory.set(INT, at, v);
    }

    void putLong(int at, long v) {
        memory.set(LONG, at, v);
    }

    /** Copies {@code length} bytes of native memory at {@code address} into the ring at {@code at}. */
    void copyFrom(long address, int at, int length) {
        MemorySegment.copy(Native.ALL, address, memory, at, length);
    }

    // ---------------------------------------------------------------- consumer

    /** The offset of the oldest unread record, or -1 when there is none. */
    int peek() {
        while (true) {
            long h = head.getPlain();
            if (h == tail.getAcquire()) {
                return -1;
            }
            int offset = (int) (h % capacity);
            if (memory.get(ValueLayout.JAVA_BYTE, offset + POINT) == PAD) {
                head.setRelease(h + memory.get(INT, offset + LENGTH));
                continue;
            }
            return offset;
        }
    }

    /** Frees the record {@link #peek} returned. */
    void release(int offset) {
        head.setRelease(head.getPlain() + memory.get(INT, offset + LENGTH));
    }

    int getByte(int at) {
        return memory.get(ValueLayout.JAVA_BYTE, at) & 0xFF;
    }

    int getShort(int at) {
        return memory.get(SHORT, at) & 0xFFFF;
    }

    int getInt(int at) {
        return memory.get(INT, at);
    }

    long getLong(int at) {
        return memory.get(LONG, at);
    }

    /** The backing array (the consumer copies data out of it). */
    byte[] array() {
        return bytes;
    }

    static int align(int n) {
        return (n + 7) & ~7;
    }

    /** All of native memory, addressed absolutely. */
    static final class Native {
        static final MemorySegment ALL = MemorySegment.NULL.reinterpret(Long.MAX_VALUE);

        private Native() {
        }
    }
}
