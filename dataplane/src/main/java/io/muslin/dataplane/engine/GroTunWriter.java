package io.muslin.dataplane.engine;

import io.muslin.dataplane.offload.Checksum;
import io.muslin.dataplane.offload.Tcp;
import io.muslin.dataplane.offload.TcpCoalescer;
import io.muslin.dataplane.offload.VirtioNetHeader;
import io.muslin.dataplane.packet.Ipv4;
import io.muslin.dataplane.packet.Ipv6;
import io.muslin.dataplane.path.Counter;
import io.muslin.dataplane.path.Counters;
import io.muslin.tun.TunDevice;
import io.muslin.tun.linux.IoVector;
import io.netty.buffer.ByteBuf;
import java.lang.foreign.MemorySegment;
import java.util.function.IntSupplier;

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
 *       were received, gathered by one writev. Nothing is copied;</li>
 *   <li>a TCP packet longer than the tunnel MTU: a super-packet that a kernel peer sent whole.
 *       The kernel's VXLAN hands a TSO frame to a veth (or a virtio NIC) as one GSO packet, and
 *       a UDP socket receives such a tunnel GSO packet as one datagram, so its inner TCP packet
 *       is up to 64 KB with the checksum left for the NIC (CHECKSUM_PARTIAL). What is queued
 *       is written first (order is kept), then the packet alone with a GSO header (segments
 *       of MTU size, NEEDS_CSUM), for the kernel to cut as the NIC would have.</li>
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
    private final IntSupplier mtu;

    /**
     * @param capacity packets held before {@link #isFull}
     * @param mtu      the TUN device's MTU now: larger TCP packets are written as super-packets
     */
    GroTunWriter(TunDevice tun, Counters counters, int capacity, IntSupplier mtu) {
        if (!tun.offload()) {
            throw new IllegalArgumentException("TUN device " + tun.name() + " is not in offload mode");
        }
        this.tun = tun;
        this.counters = counters;
        this.coalescer = new TcpCoalescer(capacity);
        this.iov = new IoVector(1 + TcpCoalescer.MAX_SEGMENTS);
        this.mtu = mtu;
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
    void add(ByteBuf packet, MemorySegment errno) {
        int ip = packet.readerIndex();
        int length = packet.readableBytes();
        int limit = mtu.getAsInt();
        if (length > limit) {
            int located = Tcp.locate(packet, ip, length);
            if (located >= 0) {
                flush(errno);
                writeSuperPacket(packet, ip, length, located, limit, errno);
                return;
            }
        }
        coalescer.add(packet, ip, length, true);
    }

    /** One TCP packet over the MTU, as a GSO write of MTU-sized segments (see the class comment). */
    private void writeSuperPacket(ByteBuf buf, int ip, int length, int located, int limit, MemorySegment errno) {
        boolean ipv6 = Ipv4.version(buf, ip) == Ipv6.VERSION;
        int ipHeader = Tcp.ipHeaderLength(located);
        int headers = ipHeader + Tcp.tcpHeaderLength(located);
        int tcp = ip + ipHeader;
        // NEEDS_CSUM: the field holds the pseudo-header sum, as the kernel's TSO path expects.
        buf.setShort(tcp + Tcp.CHECKSUM, Checksum.fold(Checksum.pseudoHeaderTcp(buf, ip, ipv6, length - ipHeader)));
        int vnet = ip - VNET;
        VirtioNetHeader.write(buf, vnet, VirtioNetHeader.FLAG_NEEDS_CSUM,
            ipv6 ? VirtioNetHeader.GSO_TCPV6 : VirtioNetHeader.GSO_TCPV4, headers, Math.max(1, limit - headers),
            ipHeader, Tcp.CHECKSUM);
        int written = tun.write(errno, buf.memoryAddress() + vnet, VNET + length);
        if (written > 0) {
            counters.inc(Counter.TUN_TX_PACKETS);
            counters.add(Counter.TUN_TX_BYTES, written - VNET);
            counters.inc(Counter.RX_SUPER_PACKETS);
        } else {
            counters.inc(Counter.DROP_TUN_WRITE);
        }
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
