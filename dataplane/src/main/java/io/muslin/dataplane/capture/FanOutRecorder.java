package io.muslin.dataplane.capture;

import io.muslin.dataplane.path.Counter;
import io.netty.buffer.ByteBuf;

/** Several captures at once: each call goes to every one (in order; each filters for itself). */
final class FanOutRecorder implements Recorder {
    private final Recorder[] recorders;

    FanOutRecorder(Recorder[] recorders) {
        this.recorders = recorders.clone();
    }

    @Override
    public void tunIn(ByteBuf packet, int gsoSize) {
        for (Recorder r : recorders) {
            r.tunIn(packet, gsoSize);
        }
    }

    @Override
    public void wireOut(ByteBuf frame, int underlay) {
        for (Recorder r : recorders) {
            r.wireOut(frame, underlay);
        }
    }

    @Override
    public void wireOutSegment(long header, int headerLength, long payload, int payloadLength, int underlay) {
        for (Recorder r : recorders) {
            r.wireOutSegment(header, headerLength, payload, payloadLength, underlay);
        }
    }

    @Override
    public void wireIn(ByteBuf message, int from, int to, int source, int sourcePort, int segmentSize) {
        for (Recorder r : recorders) {
            r.wireIn(message, from, to, source, sourcePort, segmentSize);
        }
    }

    @Override
    public void tunOut(ByteBuf packet, int source) {
        for (Recorder r : recorders) {
            r.tunOut(packet, source);
        }
    }

    @Override
    public void dropSent(ByteBuf packet, Counter reason) {
        for (Recorder r : recorders) {
            r.dropSent(packet, reason);
        }
    }

    @Override
    public void dropReceived(ByteBuf message, int from, int to, int source, int sourcePort, Counter reason) {
        for (Recorder r : recorders) {
            r.dropReceived(message, from, to, source, sourcePort, reason);
        }
    }
}
