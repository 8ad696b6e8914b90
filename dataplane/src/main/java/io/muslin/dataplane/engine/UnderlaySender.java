package io.muslin.dataplane.engine;

import io.muslin.dataplane.Encapsulation;
import io.netty.buffer.ByteBuf;

/**
 * The send half of {@link OffloadTunReader}: stages VXLAN frames and TCP segments into
 * messages and sends them on the underlay in batches. Two implementations:
 * {@link RawSegmentSender} (one datagram per message on the raw socket) and
 * {@link GsoSender} (UDP segmentation offload: a run of equal-sized segments in one message,
 * cut into datagrams by the kernel).
 *
 * <p>Everything staged is borrowed (buffers and header slab) until the next {@link #flush}
 * that returns true. Single-threaded: the event loop's.
 */
interface UnderlaySender extends AutoCloseable {
    /** Outer IPv4 and UDP header bytes at the front of every frame and segment header handed in. */
    int OUTER_IP_UDP = Encapsulation.IPV4_HEADER + 8;

    /** True when a new frame or run can be staged. */
    boolean canStart();

    /** True when one more segment of the current run can be staged. */
    boolean canContinue();

    /**
     * Stages one whole frame as {@link io.muslin.dataplane.path.OutboundPath#process} left it:
     * the buffer's readable bytes, outer IPv4 header first. Needs {@link #canStart}.
     */
    void frame(ByteBuf frame, int underlay);

    /**
     * Starts a run: the segments of one super-packet, all to {@code underlay}, with the outer
     * UDP source port and TOS of their outer header. Needs {@link #canStart}.
     */
    void beginRun(int underlay, int sourcePort, int tos);

    /**
     * Stages the next segment of the run: {@code headerLength} bytes of headers (outer IPv4
     * first) at native address {@code header}, then {@code payloadLength} bytes at
     * {@code payload}. Segments of a run are equal in length but for a shorter last one.
     * Needs {@link #canContinue}.
     */
    void segment(long header, int headerLength, long payload, int payloadLength);

    /**
     * Sends everything staged. Returns false when a socket's buffer filled first: the unsent
     * rest stays staged, and {@link #stalledSocket} tells which socket to wait for; call again
     * when it is writable.
     */
    boolean flush();

    /** After a failed {@link #flush}: the index of the socket to wait for. */
    int stalledSocket();

    @Override
    void close();
}
