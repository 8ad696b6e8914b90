package io.muslin.dataplane.engine;

import io.muslin.dataplane.path.Counter;
import io.muslin.dataplane.path.Counters;
import io.muslin.tun.linux.Libc;
import io.muslin.tun.linux.MessageBatch;
import io.muslin.tun.linux.NativeSocket;
import io.netty.buffer.ByteBuf;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * Sends every frame and segment as its own datagram on the raw IPv4 socket, up to
 * {@code capacity} per sendmmsg: a segment is two iovecs, its headers in the slab and its
 * payload where it was read. The outer headers are ours, so the UDP source port follows the
 * inner flow (RFC 7348 §5) and the outer checksum is zero, as in the plain path.
 */
final class RawSegmentSender implements UnderlaySender {
    private final NativeSocket socket;
    private final Counters counters;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment errno = Libc.newErrnoSegment(arena);
    private final MessageBatch batch;
    private final int capacity;
    private int staged;
    private int sent;
    private int runUnderlay;

    RawSegmentSender(NativeSocket socket, Counters counters, int capacity) {
        this.socket = socket;
        this.counters = counters;
        this.capacity = capacity;
        this.batch = new MessageBatch(capacity, 2);
    }

    @Override
    public boolean canStart() {
        return staged < capacity;
    }

    @Override
    public boolean canContinue() {
        return staged < capacity;
    }

    @Override
    public void frame(ByteBuf frame, int underlay) {
        batch.setBuffer(staged, frame.memoryAddress() + frame.readerIndex(), frame.readableBytes());
        batch.setDestination(staged, underlay, 0);
        staged++;
    }

    @Override
    public void beginRun(int underlay, int sourcePort, int tos) {
        runUnderlay = underlay;
    }

    @Override
    public void segment(long header, int headerLength, long payload, int payloadLength) {
        batch.setBuffers(staged, header, headerLength, payload, payloadLength);
        batch.setDestination(staged, runUnderlay, 0);
        staged++;
    }

    @Override
    public boolean flush() {
        while (sent < staged) {
            int n = socket.send(batch, sent, staged - sent, errno);
            if (n > 0) {
                long bytes = 0;
                for (int i = sent; i < sent + n; i++) {
                    bytes += batch.length(i);
                }
                counters.add(Counter.TX_BYTES, bytes);
                counters.add(Counter.TX_PACKETS, n);
                sent += n;
            } else if (n == 0) {
                return false;
            } else {
                counters.inc(Counter.DROP_TX_ERROR); // this one frame cannot be sent (e.g. unreachable)
                sent++;
            }
        }
        staged = 0;
        sent = 0;
        return true;
    }

    @Override
    public int stalledSocket() {
        return 0;
    }

    @Override
    public void close() {
        batch.close();
        arena.close();
    }
}
