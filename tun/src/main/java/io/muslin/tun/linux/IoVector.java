package io.muslin.tun.linux;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * A reusable native {@code struct iovec[]} for writev(2): one gathered write from several
 * pieces of native memory (a header here, payloads there) without copying them together.
 * Filling it allocates nothing; the memory it points at belongs to the caller.
 *
 * <pre>
 *  struct iovec (16 bytes, x86_64 / aarch64)
 *   0  iov_base  8
 *   8  iov_len   8
 * </pre>
 *
 * Used by the one thread that owns it.
 */
public final class IoVector implements AutoCloseable {
    /** The kernel's limit on iovecs per call ({@code UIO_MAXIOV}). */
    public static final int MAX_IOVECS = 1024;
    static final int IOVEC = 16;

    private final Arena arena = Arena.ofShared();
    private final int capacity;
    private final MemorySegment iovs;

    public IoVector(int capacity) {
        if (capacity <= 0 || capacity > MAX_IOVECS) {
            throw new IllegalArgumentException("iovec capacity must be 1-" + MAX_IOVECS + ", not " + capacity);
        }
        this.capacity = capacity;
        this.iovs = arena.allocate((long) IOVEC * capacity, 16);
    }

    public int capacity() {
        return capacity;
    }

    /** Points piece {@code i} at {@code length} bytes of native memory at {@code address}. */
    public void set(int i, long address, int length) {
        long v = (long) i * IOVEC;
        iovs.set(ValueLayout.JAVA_LONG, v, address);
        iovs.set(ValueLayout.JAVA_LONG, v + 8, length);
    }

    /** Native address of the first {@code struct iovec}. */
    public long address() {
        return iovs.address();
    }

    @Override
    public void close() {
        arena.close();
    }
}
