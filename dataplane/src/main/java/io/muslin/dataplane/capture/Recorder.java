package io.muslin.dataplane.capture;

import io.muslin.dataplane.path.Counter;
import io.netty.buffer.ByteBuf;

/**
 * What the packet path calls at the capture points while a capture runs (see {@link PacketTap}).
 * Called on one dataplane thread; every method borrows the buffers and memory it is given and
 * returns without waiting: it filters the packet, and copies it into the capture's ring if it
 * matches and there is room (otherwise it counts it as missed). Direct buffers only.
 */
public interface Recorder {
    /**
     * {@code tun-in}: the readable bytes of {@code packet}, an inner packet as read from the TUN
     * device; a TCP super-packet when {@code gsoSize > 0} (its segments' payload size).
     */
    void tunIn(ByteBuf packet, int gsoSize);

    /** {@code wire-out}: the readable bytes of {@code frame}, outer IPv4 header first, sent to {@code underlay}. */
    void wireOut(ByteBuf frame, int underlay);

    /**
     * {@code wire-out}: one TSO segment sent to {@code underlay}: {@code headerLength} bytes of
     * headers (outer IPv4 first) at native address {@code header}, then {@code payloadLength}
     * bytes at {@code payload}.
     */
    void wireOutSegment(long header, int headerLength, long payload, int payloadLength, int underlay);

    /**
     * {@code wire-in}: bytes {@code from..to} of {@code message} as the underlay socket
     * returned them (VXLAN: the UDP payload; IP-in-IP: the outer IPv4 packet), from
     * {@code source}:{@code sourcePort}; a UDP GRO message of datagrams of {@code segmentSize}
     * bytes when {@code 0 < segmentSize < to - from}.
     */
    void wireIn(ByteBuf message, int from, int to, int source, int sourcePort, int segmentSize);

    /** {@code tun-out}: the readable bytes of {@code packet}, an inner packet written to the TUN device, from peer {@code source}. */
    void tunOut(ByteBuf packet, int source);

    /** {@code drop} on the way out: the readable bytes of {@code packet}, an inner packet dropped for {@code reason}. */
    void dropSent(ByteBuf packet, Counter reason);

    /**
     * {@code drop} on the way in: bytes {@code from..to} of {@code message} (as for
     * {@link #wireIn}) from {@code source}:{@code sourcePort}, dropped for {@code reason}.
     */
    void dropReceived(ByteBuf message, int from, int to, int source, int sourcePort, Counter reason);
}
