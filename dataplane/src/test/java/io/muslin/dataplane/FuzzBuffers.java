package io.muslin.dataplane;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.UnpooledByteBufAllocator;

/**
 * Buffers for the fuzz targets: direct (as on the packet path, so code that reads by memory
 * address is exercised) and drawn from one allocator that counts the bytes it has out, so a
 * target can check after each input that every buffer it or the code under test allocated was
 * released: {@link #assertAllReleased}. That check is exact and immediate, unlike the leak
 * detector, which reports only after a garbage collection (the fuzz profile turns it off; the
 * regression runs keep it at paranoid).
 */
public final class FuzzBuffers {
    /** Direct buffers; not pooled, so a released buffer's bytes leave the count at once. */
    public static final UnpooledByteBufAllocator ALLOC = new UnpooledByteBufAllocator(true);

    private FuzzBuffers() {
    }

    /**
     * A direct buffer of {@code headroom} zero bytes, {@code data}, then {@code tailroom} zero
     * bytes of capacity; reader index at the data, writer index after it. The caller releases it.
     */
    public static ByteBuf direct(int headroom, byte[] data, int tailroom) {
        ByteBuf buf = ALLOC.directBuffer(headroom + data.length + tailroom);
        buf.writeZero(headroom).writeBytes(data).readerIndex(headroom);
        return buf;
    }

    /** A direct buffer holding exactly {@code data}. */
    public static ByteBuf direct(byte[] data) {
        return direct(0, data, 0);
    }

    /** Fails when any buffer from {@link #ALLOC} is still allocated (not released to refCnt 0). */
    public static void assertAllReleased() {
        assertEquals(0, ALLOC.metric().usedDirectMemory(), "direct bytes still allocated: a buffer was not released");
        assertEquals(0, ALLOC.metric().usedHeapMemory(), "heap bytes still allocated: a buffer was not released");
    }

    /** {@code buf}'s readable bytes. */
    public static byte[] readable(ByteBuf buf) {
        byte[] out = new byte[buf.readableBytes()];
        buf.getBytes(buf.readerIndex(), out);
        return out;
    }
}
