package io.muslin.dataplane.capture;

import io.muslin.dataplane.path.Counter;
import io.netty.buffer.ByteBuf;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * One capture's {@link Recorder} for one dataplane thread: filters each packet offered at a
 * point the capture taps and copies what matches into that thread's {@link CaptureRing}. The
 * thread never waits; a packet the ring cannot hold now is counted in {@link #missed}.
 *
 * <p>The filter sees the inner packet (at {@code wire-*}: past the outer headers) unless the
 * capture asked for {@code outer}; at {@code wire-in} over VXLAN the socket gives the UDP payload
 * only, so for an outer filter the outer IPv4 and UDP headers are rebuilt in a scratch area
 * first ({@link OuterHeader}), exactly as the writer will write them. A GRO message is offered
 * datagram by datagram unless the capture wants super-packets whole; a TSO read is recorded
 * whole and cut into segments by the writer.
 *
 * <p>Single writer: the dataplane thread; {@link #missed} is read by the writer thread.
 */
final class RingRecorder implements Recorder {
    /** The record is a TSO read the writer cuts into segments (aux = segment payload size). */
    static final int SEGMENT = 1;
    /** The record is a VXLAN UDP payload: the writer puts an outer IPv4 + UDP header in front. */
    static final int OUTER_REBUILT = 2;
    /** The record is a UDP GRO message written whole (aux = datagram size). */
    static final int GRO_MESSAGE = 4;

    private static final VarHandle MISSED;

    static {
        try {
            MISSED = MethodHandles.lookup().findVarHandle(RingRecorder.class, "missed", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final CaptureRing ring;
    private final BpfFilter filter;
    private final boolean filtering;
    private final boolean outer;
    private final boolean superPackets;
    private final int snap;
    private final int overhead;
    private final boolean vxlan;
    private final int localIp;
    private final int port;
    private final boolean[] points = new boolean[CapturePoint.values().length];
    private final int[] scratch = BpfFilter.newScratch();
    private final MemorySegment header = Arena.ofAuto().allocate(OuterHeader.LENGTH, 8);
    private final long headerAddress = header.address();
    private final CaptureClock clock;
    private long missed;

    RingRecorder(CaptureRing ring, CaptureSettings settings, CaptureContext context, CaptureClock clock) {
        this.ring = ring;
        this.filter = settings.filter();
        this.filtering = !filter.matchesAll();
        this.outer = settings.outer();
        this.superPackets = settings.superPackets();
        this.snap = settings.snapLength();
        this.overhead = context.overhead();
        this.vxlan = context.vxlan();
        this.localIp = context.localIp();
        this.port = context.port();
        this.clock = clock;
        for (CapturePoint p : settings.points()) {
            points[p.ordinal()] = true;
        }
    }

    /** Packets that matched but did not fit in the ring. */
    long missed() {
        return (long) MISSED.getOpaque(this);
    }

    @Override
    public void tunIn(ByteBuf packet, int gsoSize) {
        if (!points[CapturePoint.TUN_IN.ordinal()]) {
            return;
        }
        long a = packet.memoryAddress() + packet.readerIndex();
        int length = packet.readableBytes();
        if (filtering && !filter.matches(a, length, scratch)) {
            return;
        }
        boolean cut = gsoSize > 0 && !superPackets;
        record(CapturePoint.TUN_IN, cut ? SEGMENT : 0, null, 0, length, a, cut ? length : Math.min(length, snap), 0, 0,
            cut ? gsoSize : 0, 0);
    }

    @Override
    public void wireOut(ByteBuf frame, int underlay) {
        if (!points[CapturePoint.WIRE_OUT.ordinal()]) {
            return;
        }
        long a = frame.memoryAddress() + frame.readerIndex();
        int length = frame.readableBytes();
        if (filtering && !(outer ? filter.matches(a, length, scratch)
            : length > overhead && filter.matches(a + overhead, length - overhead, scratch))) {
            return;
        }
        record(CapturePoint.WIRE_OUT, 0, null, underlay, length, a, Math.min(length, snap), 0, 0, 0, 0);
    }

    @Override
    public void wireOutSegment(long headers, int headerLength, long payload, int payloadLength, int underlay) {
        if (!points[CapturePoint.WIRE_OUT.ordinal()]) {
            return;
        }
        if (filtering && !(outer ? filter.matches(headers, headerLength, payload, payloadLength, scratch)
            : filter.matches(headers + overhead, headerLength - overhead, payload, payloadLength, scratch))) {
            return;
        }
        int first = Math.min(headerLength, snap);
        int second = Math.min(payloadLength, snap - first);
        record(CapturePoint.WIRE_OUT, 0, null, underlay, headerLength + payloadLength, headers, first, payload, second,
            0, 0);
    }

    @Override
    public void wireIn(ByteBuf message, int from, int to, int source, int sourcePort, int segmentSize) {
        if (!points[CapturePoint.WIRE_IN.ordinal()]) {
            return;
        }
        long a = message.memoryAddress();
        int length = to - from;
        if (segmentSize <= 0 || segmentSize >= length) {
            received(CapturePoint.WIRE_IN, null, a + from, length, source, sourcePort, 0);
        } else if (superPackets) {
            received(CapturePoint.WIRE_IN, null, a + from, length, source, sourcePort, segmentSize);
        } else {
            for (int at = from; at < to; at += segmentSize) {
                received(CapturePoint.WIRE_IN, null, a + at, Math.min(segmentSize, to - at), source, sourcePort, 0);
            }
        }
    }

    @Override
    public void tunOut(ByteBuf packet, int source) {
        if (!points[CapturePoint.TUN_OUT.ordinal()]) {
            return;
        }
        long a = packet.memoryAddress() + packet.readerIndex();
        int length = packet.readableBytes();
        if (filtering && !filter.matches(a, length, scratch)) {
            return;
        }
        record(CapturePoint.TUN_OUT, 0, null, source, length, a, Math.min(length, snap), 0, 0, 0, 0);
    }

    @Override
    public void dropSent(ByteBuf packet, Counter reason) {
        if (!points[CapturePoint.DROP.ordinal()]) {
            return;
        }
        long a = packet.memoryAddress() + packet.readerIndex();
        int length = packet.readableBytes();
        if (filtering && !filter.matches(a, length, scratch)) {
            return;
        }
        record(CapturePoint.DROP, 0, reason, 0, length, a, Math.min(length, snap), 0, 0, 0, 0);
    }

    @Override
    public void dropReceived(ByteBuf message, int from, int to, int source, int sourcePort, Counter reason) {
        if (points[CapturePoint.DROP.ordinal()]) {
            received(CapturePoint.DROP, reason, message.memoryAddress() + from, to - from, source, sourcePort, 0);
        }
    }

    /** One datagram (or GRO message, {@code groSize > 0}) as the underlay socket gave it. */
    private void received(CapturePoint point, Counter reason, long a, int length, int source, int sourcePort,
                          int groSize) {
        if (filtering && !receivedMatches(a, length, source, sourcePort)) {
            return;
        }
        int flags = (vxlan ? OUTER_REBUILT : 0) | (groSize > 0 ? GRO_MESSAGE : 0);
        int room = vxlan ? Math.max(0, snap - OuterHeader.LENGTH) : snap;
        record(point, flags, reason, source, length, a, Math.min(length, room), 0, 0, groSize, sourcePort);
    }

    private boolean receivedMatches(long a, int length, int source, int sourcePort) {
        if (outer) {
            if (!vxlan) {
                return filter.matches(a, length, scratch);
            }
            OuterHeader.write(header, 0, source, localIp, sourcePort, port, length);
            return filter.matches(headerAddress, OuterHeader.LENGTH, a, length, scratch);
        }
        int inner = vxlan ? OuterHeader.VXLAN_AND_ETHERNET : length > 0 ? OuterHeader.ipv4HeaderLength(a) : 0;
        return length > inner && filter.matches(a + inner, length - inner, scratch);
    }

    private void record(CapturePoint point, int flags, Counter reason, int peer, int original, long address1,
                        int length1, long address2, int length2, int aux, int sourcePort) {
        int at = ring.claim(length1 + length2);
        if (at < 0) {
            MISSED.setOpaque(this, missed + 1);
            return;
        }
        ring.putByte(at + CaptureRing.POINT, point.ordinal());
        ring.putByte(at + CaptureRing.FLAGS, flags);
        ring.putShort(at + CaptureRing.REASON, reason == null ? 0 : reason.ordinal() + 1);
        ring.putLong(at + CaptureRing.TIMESTAMP, clock.nowNanos());
        ring.putInt(at + CaptureRing.PEER, peer);
        ring.putInt(at + CaptureRing.ORIGINAL, original);
        ring.putInt(at + CaptureRing.CAPTURED, length1 + length2);
        ring.putShort(at + CaptureRing.AUX, aux);
        ring.putShort(at + CaptureRing.PORT, sourcePort);
        ring.copyFrom(address1, at + CaptureRing.HEADER, length1);
        if (length2 > 0) {
            ring.copyFrom(address2, at + CaptureRing.HEADER + length1, length2);
        }
        ring.publish();
    }
}
