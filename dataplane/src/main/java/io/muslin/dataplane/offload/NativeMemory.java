package io.muslin.dataplane.offload;

import io.netty.buffer.ByteBuf;
import java.lang.foreign.MemorySegment;

/**
 * Reads and copies direct buffers by address through the FFM API, without allocating.
 *
 * <p>Why: on JDK 24+ Netty runs without {@code sun.misc.Unsafe}, and then
 * {@code ByteBuf.setBytes(int, ByteBuf, int, int)} between two direct buffers copies through a
 * fresh {@code ByteBuffer} view: 64 bytes of garbage per call, per segment on the packet path.
 * Every access here is checked against the buffers' capacities first.
 */
public final class NativeMemory {
    /** All of native memory, addressed absolutely. */
    static final MemorySegment ALL = MemorySegment.NULL.reinterpret(Long.MAX_VALUE);

    private NativeMemory() {
    }

    /**
     * Copies {@code length} bytes from {@code src} at {@code srcIndex} to {@code dst} at
     * {@code dstIndex} (absolute indices; no index moves). Direct buffers are copied by address,
     * others through {@link ByteBuf#setBytes(int, ByteBuf, int, int)}.
     */
    public static void copy(ByteBuf src, int srcIndex, ByteBuf dst, int dstIndex, int length) {
        if (!src.hasMemoryAddress() || !dst.hasMemoryAddress()) {
            dst.setBytes(dstIndex, src, srcIndex, length);
            return;
        }
        check(src, srcIndex, length);
        check(dst, dstIndex, length);
        MemorySegment.copy(ALL, src.memoryAddress() + srcIndex, ALL, dst.memoryAddress() + dstIndex, length);
    }

    static void check(ByteBuf buf, int index, int length) {
        if (index < 0 || length < 0 || index > buf.capacity() - length) {
            throw new IndexOutOfBoundsException("range " + index + "+" + length + " outside capacity " + buf.capacity());
        }
    }
}
