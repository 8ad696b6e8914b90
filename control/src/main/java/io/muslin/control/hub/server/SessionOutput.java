package io.muslin.control.hub.server;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.CompositeByteBuf;
import io.netty.channel.Channel;
import java.util.ArrayDeque;

/**
 * Everything a session sends, in order (replies, changes, snapshot chunks, pings), written
 * while its connection can take it. Event loop only.
 *
 * <pre>
 *   add(frame)  ──▶ queue ──pump()──▶ one write of up to BATCH_BYTES (a CompositeByteBuf) ──▶ flush
 *                        (while the channel is writable)
 * </pre>
 * A burst of changes costs the session one write and one flush, not one per change; a snapshot
 * of a large network waits here as references to the view's shared chunks (no copy) and goes
 * out as the node reads it, so the channel never holds more than its high-water mark. What a
 * session holds of its own (replies, changes: {@link #ownBytes()}) is what the slow-session
 * limit counts; shared chunks are held once for every session that is sent them.
 */
final class SessionOutput {
    /** At most this much goes into one write. */
    static final int BATCH_BYTES = 64 * 1024;
    /** And at most this many frames (components of the composite). */
    static final int BATCH_FRAMES = 256;

    private record Entry(ByteBuf frame, boolean shared) {
    }

    private final Channel channel;
    private final ArrayDeque<Entry> queue = new ArrayDeque<>();
    private long ownBytes;
    private long sharedBytes;

    SessionOutput(Channel channel) {
        this.channel = channel;
    }

    /** Queues {@code frame} (ownership passes); {@code shared}: a snapshot chunk other sessions hold too. */
    void add(ByteBuf frame, boolean shared) {
        queue.addLast(new Entry(frame, shared));
        if (shared) {
            sharedBytes += frame.readableBytes();
        } else {
            ownBytes += frame.readableBytes();
        }
    }

    /** Writes what is queued while the channel is writable, coalesced into writes of up to {@link #BATCH_BYTES}; flushes. */
    void pump() {
        boolean wrote = false;
        while (!queue.isEmpty() && channel.isWritable()) {
            Entry first = queue.pollFirst();
            account(first);
            ByteBuf out = first.frame();
            if (!queue.isEmpty() && out.readableBytes() < BATCH_BYTES) {
                CompositeByteBuf batch = channel.alloc().compositeBuffer(BATCH_FRAMES);
                batch.addComponent(true, out);
                while (!queue.isEmpty() && batch.numComponents() < BATCH_FRAMES
                    && batch.readableBytes() + queue.peekFirst().frame().readableBytes() <= BATCH_BYTES) {
                    Entry next = queue.pollFirst();
                    account(next);
                    batch.addComponent(true, next.frame());
                }
                out = batch;
            }
            channel.write(out, channel.voidPromise());
            wrote = true;
        }
        if (wrote) {
            channel.flush();
        }
    }

    private void account(Entry e) {
        if (e.shared()) {
            sharedBytes -= e.frame().readableBytes();
        } else {
            ownBytes -= e.frame().readableBytes();
        }
    }

    /** Nothing waits to be written here (the channel may still hold some). */
    boolean isEmpty() {
        return queue.isEmpty();
    }

    /** Bytes queued here that are this session's alone: replies and changes. */
    long ownBytes() {
        return ownBytes;
    }

    /** Bytes queued here of shared snapshot chunks. */
    long sharedBytes() {
        return sharedBytes;
    }

    /** Releases everything queued (the session ends). */
    void drop() {
        Entry e;
        while ((e = queue.pollFirst()) != null) {
            e.frame().release();
        }
        ownBytes = 0;
        sharedBytes = 0;
    }
}
