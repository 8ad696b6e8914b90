package io.muslin.dataplane.engine;

import io.muslin.dataplane.table.Underlay;
import io.netty.buffer.ByteBuf;
import java.util.ArrayList;
import java.util.List;

/**
 * An {@link UnderlaySender} that records what it is given: {@code capacity} messages per flush,
 * and {@link #stallNext} makes the next flush fail on socket {@link #stalledSocket}.
 */
final class FakeUnderlaySender implements UnderlaySender {
    final List<String> staged = new ArrayList<>();
    final List<String> sent = new ArrayList<>();
    private final int capacity;
    private final int sockets;
    boolean stallNext;
    int stallOn;
    boolean closed;

    FakeUnderlaySender(int capacity, int sockets) {
        this.capacity = capacity;
        this.sockets = sockets;
    }

    @Override
    public boolean canStart() {
        return staged.size() < capacity;
    }

    @Override
    public boolean canContinue() {
        return staged.size() < capacity;
    }

    @Override
    public void frame(ByteBuf frame, Underlay underlay) {
        staged.add("frame " + frame.readableBytes() + " to " + Underlay.format(underlay));
    }

    @Override
    public void beginRun(Underlay underlay, ByteBuf outerHeader, int at) {
        staged.add("run to " + Underlay.format(underlay));
    }

    @Override
    public void segment(long header, int headerLength, long payload, int payloadLength) {
        staged.add("segment " + headerLength + "+" + payloadLength);
    }

    @Override
    public boolean flush() {
        if (stallNext) {
            stallNext = false;
            return false;
        }
        sent.addAll(staged);
        staged.clear();
        return true;
    }

    @Override
    public int stalledSocket() {
        return stallOn;
    }

    @Override
    public int sockets() {
        return sockets;
    }

    @Override
    public void close() {
        closed = true;
    }
}
