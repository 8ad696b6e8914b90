package io.muslin.dataplane.engine;

import io.muslin.dataplane.table.Underlay;
import io.netty.buffer.ByteBuf;

/**
 * The send half of {@link TunReader} and {@link OffloadTunReader}: stages frames and TCP
 * segments into messages and sends them on the underlay in batches. Each implementation sends
 * over one underlay family: {@link RawSegmentSender} (one datagram per message on a raw IPv4 or
 * IPv6 socket) and {@link GsoSender} (UDP segmentation offload on IPv4 or IPv6 UDP sockets: a
 * run of equal-sized segments in one message, cut into datagrams by the kernel);
 * {@link FamilySenders} puts one of each family in front of the drivers, so a dual-stack node's
 * IPv4 frames leave on the IPv4 underlay and its IPv6 frames on the IPv6 underlay.
 *
 * <p>Everything staged is borrowed (buffers and header slab) until the next {@link #flush}
 * that returns true. Single-threaded: the event loop's.
 */
interface UnderlaySender extends AutoCloseable {
    /** True when a new frame or run can be staged. */
    boolean canStart();

    /** True when one more segment of the current run can be staged. */
    boolean canContinue();

    /**
     * Stages one whole frame as {@link io.muslin.dataplane.path.OutboundPath#process} left it:
     * the buffer's readable bytes, outer IP header (of {@code underlay}'s family) first. Needs
     * {@link #canStart}.
     */
    void frame(ByteBuf frame, Underlay underlay);

    /**
     * Starts a run: the segments of one super-packet, all to {@code underlay}, whose outer
     * headers are like the template at {@code outerHeader[at..]} (outer IP of {@code underlay}'s
     * family first: a sender reads the UDP source port and TOS it needs from it). Needs
     * {@link #canStart}.
     */
    void beginRun(Underlay underlay, ByteBuf outerHeader, int at);

    /**
     * Stages the next segment of the run: {@code headerLength} bytes of headers (outer IP
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

    /** After a failed {@link #flush}: the index of the socket to wait for, 0 to {@link #sockets()} - 1. */
    int stalledSocket();

    /** How many sockets this sender sends on (the drivers register each, in this order). */
    int sockets();

    @Override
    void close();
}
