package io.muslin.dataplane.path;

import io.netty.buffer.ByteBuf;

/**
 * Wire → TUN: checks and strips what arrived on the underlay socket, leaving the inner packet
 * for the TUN device. One implementation per encapsulation: {@link VxlanInboundPath} (UDP
 * datagrams on the VXLAN port) and {@link IpipInboundPath} (IP protocol 4 packets, outer IPv4
 * header included). Runs on the event loop: no allocation, no lock, no logging.
 */
public interface InboundPath {
    /** The packet was dropped and counted. */
    int DROP = 0;
    /** The buffer's readable bytes are an inner IP packet for the TUN device. */
    int DELIVER = 1;
    /** A reply frame was written into the reply buffer; send it to the packet's source. */
    int REPLY = 2;

    /**
     * Validates and strips one received packet (its readable bytes). Borrows both buffers.
     *
     * @param sourceIp the outer source address, where a reply goes
     * @param reply    a cleared buffer with room for a whole reply frame; written only for {@link #REPLY}
     * @return {@link #DELIVER}, {@link #REPLY} or {@link #DROP}
     */
    int process(ByteBuf packet, int sourceIp, ByteBuf reply);
}
