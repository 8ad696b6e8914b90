package io.muslin.dataplane.engine;

import io.muslin.dataplane.offload.TcpCoalescer;
import io.muslin.dataplane.offload.VirtioNetHeader;
import io.muslin.dataplane.path.Counter;
import io.muslin.dataplane.path.Counters;
import io.muslin.tun.TunDevice;
import io.muslin.tun.linux.IoVector;
import io.netty.buffer.ByteBuf;
import java.lang.foreign.MemorySegment;

/**
 * The inbound path's last stage for a TUN device in offload mode: collects the inner packets
 * of one receive batch, coalesces TCP segments ({@link TcpCoalescer}) and writes each group
 * as one TUN write.
 *
 * <ul>
 *   <li>a group of one: an all-zero virtio_net_hdr written in place in front of the packet
 *       (over the decapsulated VXLAN header), one write;</li>
 *   <li>a group of several: the super-packet's virtio_net_hdr in front of the first segment,
 *       whose header is rewritten in place, then the other segments' payloads where they
 *       were received, gathered by one writev. Nothing is copied.</li>
 * </ul>
 *
 * <p>Borrows the receive buffers from {@link #add} until {@link #flush}, which must run before
 * they are reused. Single-threaded: runs on the event loop.
 */
final class GroTunWriter implements AutoCloseable {
    private static final int VNET = VirtioNetHeader.LENGTH;

    private final TunDevice tun;
    private final Counters counters;
    private final TcpCoalescer coalescer;
    private final IoVector iov;

    /** @param capacity packets held before {@link #isFull} */
    GroTunWriter(TunDevice tun, Counters counters, int capacity) {
        if (!tun.offload()) {
            throw new IllegalArgumentException("TUN device " + tun.name() + " is not in offload mode");
        }
        this.tun = tun;
        this.counters = counters;
        this.coalescer = new TcpCoalescer(capacity);
        this.iov = new IoVector(1 + TcpCoalescer.MAX_SEGMENTS);
    }

    /** True when {@link #add} needs a {@link #flush} first. */
    boolean isFull() {
        return coalescer.isFull();
    }

    /**
     * Queues an inner packet (the buffer's readable bytes, with at least
     * {@value VirtioNetHeader#LENGTH} bytes before them that may be overwritten) whose TCP
     * checksum, if it is TCP, the inbound path has verified. Borrows it.
     */
    void add(ByteBuf packet) {
        coalescer.add(packet, packet.readerIndex(), packet.readableBytes(), true);
    }

    /** Writes every queued packet, coalesced, and forgets them. */
    void flush(MemorySegment errno) {
        int groups = coalescer.groupCount();
        long packets = 0;
        long bytes = 0;
        for (int g = 0; g < groups; g++) {
            int first = coalescer.first(g);
            ByteBuf buf = coalescer.buffer(first);
            int vnet = coalescer.ipIndex(first) - VNET;
            int size = coalescer.groupSize(g);
            int written;
            if (size == 1) {
                VirtioNetHeader.writeNone(buf, vnet);
                written = tun.write(errno, buf.memoryAddress() + vnet, VNET + coalescer.length(first));
            } else {
                coalescer.finish(g, buf, vnet);
                iov.set(0, buf.memoryAddress() + vnet, VNET + coalescer.length(first));
                int pieces = 1;
                for (int p = coalescer.next(first); p >= 0; p = coalescer.next(p)) {
                    int headers = coalescer.headerLength(p);
                    iov.set(pieces++, coalescer.buffer(p).memoryAddress() + coalescer.ipIndex(p) + headers,
                        coalescer.length(p) - headers);
                }
                written = tun.writev(errno, iov, pieces);
                if (written > 0) {
                    counters.inc(Counter.TUN_TX_COALESCED);
                    counters.add(Counter.GRO_SEGMENTS, size);
                }
            }
            if (written > 0) {
                packets++;
                bytes += written - VNET;
            } else {
                counters.add(Counter.DROP_TUN_WRITE, size);
            }
        }
        counters.add(Counter.TUN_TX_PACKETS, packets);
        counters.add(Counter.TUN_TX_BYTES, bytes);
        coalescer.reset();
    }

    @Override
    public void close() {
        coalescer.reset();
        iov.close();
    }
}
