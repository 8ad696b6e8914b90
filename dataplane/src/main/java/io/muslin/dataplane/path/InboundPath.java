package io.muslin.dataplane.path;

import io.muslin.dataplane.table.Family;
import io.netty.buffer.ByteBuf;

/**
 * Wire → TUN: checks and strips what arrived on the underlay socket, leaving the inner packet
 * for the TUN device. One implementation per encapsulation: {@link VxlanInboundPath} (UDP
 * datagrams on the VXLAN port, over an IPv4 or IPv6 underlay: one path per receiving socket's
 * family) and {@link IpipInboundPath} (IP protocol 4 packets, outer IPv4 header included). Runs on the event loop: no allocation, no lock, no logging.
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
     * @param sourceHi the outer source address, where a reply goes, in {@link Family}'s key
     *                 layout of the underlay family the path receives on (IPv4: the top 32 bits)
     * @param sourceLo its low word (0 for IPv4)
     * @param reply    a cleared buffer with room for a whole reply frame; written only for {@link #REPLY}
     * @return {@link #DELIVER}, {@link #REPLY} or {@link #DROP}
     */
    int process(ByteBuf packet, long sourceHi, long sourceLo, ByteBuf reply);

    /** {@link #process(ByteBuf, long, long, ByteBuf)} of a packet from an IPv4 source. */
    default int process(ByteBuf packet, int sourceIp, ByteBuf reply) {
        return process(packet, Family.ipv4Key(sourceIp), 0, reply);
    }
}
