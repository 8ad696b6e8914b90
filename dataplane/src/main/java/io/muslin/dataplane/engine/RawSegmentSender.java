package io.muslin.dataplane.engine;

import io.muslin.dataplane.path.Counter;
import io.muslin.dataplane.path.Counters;
import io.muslin.dataplane.table.Underlay;
import io.muslin.tun.linux.Libc;
import io.muslin.tun.linux.MessageBatch;
import io.muslin.tun.linux.NativeSocket;
import io.netty.buffer.ByteBuf;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * Sends every frame and segment as its own datagram on a raw socket (IPv4, or IPv6 for the
 * frames of an IPv6 underlay), up to {@code capacity} per sendmmsg: a segment is two iovecs, its
 * headers in the slab and its payload where it was read. The outer headers are ours, so the UDP
 * source port follows the inner flow (RFC 7348 §5); over IPv4 the outer checksum is zero, as in
 * the plain path. Over IPv6 only whole frames come here (their UDP checksum computed by the
 * encapsulator): segments of an IPv6 underlay need a checksum each and go to a {@link GsoSender}.
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
    private Underlay runUnderlay;

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
    public void frame(ByteBuf frame, Underlay underlay) {
        batch.setBuffer(staged, frame.memoryAddress() + frame.readerIndex(), frame.readableBytes());
        Destinations.set(batch, staged, underlay, 0);
        staged++;
    }

    @Override
    public void beginRun(Underlay underlay, ByteBuf outerHeader, int at) {
        runUnderlay = underlay;
    }

    @Override
    public void segment(long header, int headerLength, long payload, int payloadLength) {
        batch.setBuffers(staged, header, headerLength, payload, payloadLength);
        Destinations.set(batch, staged, runUnderlay, 0);
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
    public int sockets() {
        return 1;
    }

    @Override
    public void close() {
        batch.close();
        arena.close();
    }
}
