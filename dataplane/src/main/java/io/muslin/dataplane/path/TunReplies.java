package io.muslin.dataplane.path;

import io.netty.buffer.ByteBuf;

/**
 * Packets the dataplane makes itself for the local kernel (ICMP errors to a local sender),
 * written into the TUN device by the event loop. One packet at a time: write it into
 * {@link #buffer} at {@link #offset}, then {@link #send} it.
 */
public interface TunReplies {
    /** A buffer with room for a packet of up to 1280 bytes (an ICMPv6 error at its largest, RFC 4443 §2.4 c) at {@link #offset}; valid until {@link #send}. */
    ByteBuf buffer();

    /** Where the packet starts in {@link #buffer} (room before it is the device's, e.g. a virtio_net_hdr). */
    int offset();

    /** Writes {@code length} bytes at {@link #offset} as one packet; false when the device refused it. */
    boolean send(int length);
}
