package io.muslin.dataplane.engine;

import io.muslin.tun.epoll.FdHandle;
import io.muslin.tun.linux.Libc;
import io.muslin.tun.linux.MessageBatch;
import io.muslin.tun.linux.NativeSocket;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * Reads a raw ICMP or ICMPv6 socket in batches into buffers of its own, allocated once, and
 * hands each message to {@link #message}: what {@link IcmpListener} and {@link Icmp6Listener}
 * share (they differ only in what a message means). Single-threaded: the event loop's.
 */
abstract class RawIcmpReader implements FdHandle.Listener, AutoCloseable {
    static final int BATCH = 16;

    private final NativeSocket socket;
    private final int capacity;
    private final ByteBuf[] buffers = new ByteBuf[BATCH];
    private final MessageBatch batch = new MessageBatch(BATCH);
    private final Arena arena = Arena.ofShared();
    private final MemorySegment errno = Libc.newErrnoSegment(arena);

    RawIcmpReader(NativeSocket socket, int capacity, ByteBufAllocator alloc) {
        this.socket = socket;
        this.capacity = capacity;
        for (int i = 0; i < BATCH; i++) {
            buffers[i] = alloc.directBuffer(capacity, capacity);
        }
    }

    /** One message read, readable in {@code buf} from index 0; {@code buf} is reused after the call. */
    abstract void message(ByteBuf buf, long nowNanos);

    @Override
    public final void readable() {
        for (int i = 0; i < BATCH; i++) {
            batch.prepareReceive(i, buffers[i].memoryAddress(), capacity);
        }
        int n = socket.receive(batch, BATCH, errno);
        long now = System.nanoTime();
        for (int i = 0; i < n; i++) {
            ByteBuf buf = buffers[i];
            buf.setIndex(0, batch.length(i));
            message(buf, now);
        }
    }

    @Override
    public final void close() {
        for (int i = 0; i < BATCH; i++) {
            if (buffers[i] != null) {
                buffers[i].release();
                buffers[i] = null;
            }
        }
        batch.close();
        arena.close();
    }
}
