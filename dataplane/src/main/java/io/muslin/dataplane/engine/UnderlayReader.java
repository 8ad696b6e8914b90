package io.muslin.dataplane.engine;

import io.muslin.dataplane.offload.Tcp;
import io.muslin.dataplane.offload.TcpSegmenter;
import io.muslin.dataplane.capture.Recorder;
import io.muslin.dataplane.observe.ThreadProbe;
import io.muslin.dataplane.path.Counter;
import io.muslin.dataplane.path.Counters;
import io.muslin.dataplane.path.InboundPath;
import io.muslin.dataplane.path.MtuGuard;
import io.muslin.dataplane.table.Family;
import io.muslin.tun.TunDevice;
import io.muslin.tun.epoll.FdHandle;
import io.muslin.tun.linux.IoVector;
import io.muslin.tun.linux.Libc;
import io.muslin.tun.linux.MessageBatch;
import io.muslin.tun.linux.NativeSocket;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.function.IntSupplier;

/**
 * Drives an {@link InboundPath}: when the underlay socket (VXLAN's UDP socket, or IP-in-IP's
 * raw protocol-4 socket) is readable, receives a batch of messages with one recvmmsg into its
 * own pooled direct buffers, runs each through the path and writes the inner packets to the
 * TUN device; replies (VXLAN's ARP replies) go out through the raw socket. One reader per
 * receiving socket, so per underlay family: a dual-stack node has one on its IPv4 and one on its
 * IPv6 VXLAN socket, each with the inbound path of its family, writing into the same TUN queue.
 * Three ways, chosen at construction:
 * <ul>
 *   <li><b>plain</b> — {@link #BATCH} datagrams per recvmmsg, each inner packet written as it
 *       comes;</li>
 *   <li><b>offload</b> (TUN with {@code IFF_VNET_HDR}) — {@link #OFFLOAD_BATCH} datagrams; the
 *       inner packets go to a {@link GroTunWriter}, which coalesces the batch's TCP segments
 *       and writes at the end of the batch;</li>
 *   <li><b>offload + UDP GRO</b> (the socket has {@code UDP_GRO}) — {@link #GRO_BATCH}
 *       messages of up to 64 KB, each possibly several datagrams of one size
 *       ({@link MessageBatch#segmentSize}) that are cut apart here and decoded one by one.</li>
 * </ul>
 *
 * <p>A received inner TCP packet longer than the tunnel MTU is a super-packet that a kernel
 * peer's VXLAN sent whole (over a veth or a virtio NIC a tunnel GSO packet reaches our socket
 * as one datagram): offloaded, {@link GroTunWriter} writes it as GSO; plain, it is cut into
 * MTU-sized segments here ({@link TcpSegmenter}: a fresh header written in front of each
 * payload slice, gathered by writev).
 *
 * <p>Single-threaded: everything here runs on the event loop.
 */
final class UnderlayReader implements FdHandle.Listener, AutoCloseable {
    static final int BATCH = 64;
    /** Larger in offload mode: more segments of a flow per batch make larger super-packets. */
    static final int OFFLOAD_BATCH = 128;
    /** Messages per recvmmsg with UDP GRO; each buffer holds 64 KB. */
    static final int GRO_BATCH = 64;
    /**
     * Large enough for any UDP payload or IP packet, in every mode: a GRO message, and also a
     * kernel peer's tunnel GSO packet, which a UDP socket receives whole (up to 64 KB) whether
     * or not it asked for GRO.
     */
    static final int CAPACITY = 0xFFFF;
    /** Inner packets the coalescer holds before it must write. */
    static final int COALESCE_CAPACITY = 1024;
    /** The longest IP plus TCP header a segment can have (60 + 60). */
    static final int SEGMENT_HEADERS = 2 * Tcp.MAX_HEADER;

    private final NativeSocket socket;
    /** The socket's family is IPv4: per-peer probes and capture comments get the source (they know IPv4 peers only). */
    private final boolean ipv4;
    private final Family family;
    private final NativeSocket raw;
    private final TunDevice tun;
    private final InboundPath path;
    private final MtuGuard guard;
    private final Counters counters;
    private final ThreadProbe probe;
    /** The capture recorder of this batch (read once per {@link #readable}), or null. */
    private Recorder capture;
    private final int batchSize;
    private final int capacity;
    private final ByteBuf[] buffers;
    private final ByteBuf reply;
    private final MessageBatch batch;
    private final MessageBatch replyBatch = new MessageBatch(1);
    private final GroTunWriter gro;
    private final IntSupplier mtu;
    private final TcpSegmenter segmenter = new TcpSegmenter();
    private final ByteBuf segmentHeader;
    private final IoVector segmentIov = new IoVector(2);
    private final Arena arena = Arena.ofShared();
    private final MemorySegment errno = Libc.newErrnoSegment(arena);

    /**
     * @param family the underlay family {@code socket} receives (and {@code raw} sends) on
     * @param socket the receive socket: UDP (VXLAN) or raw protocol 4 (IP-in-IP)
     * @param raw    where replies (ARP, for VXLAN) go: a raw socket of {@code family}
     * @param guard  clamps the MSS of SYNs from peers (or null)
     * @param udpGro the socket has {@code UDP_GRO} on (needs a TUN device in offload mode)
     * @param mtu    the TUN device's MTU now
     */
    UnderlayReader(Family family, NativeSocket socket, NativeSocket raw, TunDevice tun, InboundPath path, MtuGuard guard,
                   Counters counters, ThreadProbe probe, boolean udpGro, IntSupplier mtu, ByteBufAllocator alloc) {
        if (udpGro && !tun.offload()) {
            throw new IllegalArgumentException("UDP GRO needs a TUN device in offload mode");
        }
        this.socket = socket;
        this.family = family;
        this.ipv4 = family == Family.IPV4;
        this.raw = raw;
        this.tun = tun;
        this.path = path;
        this.guard = guard;
        this.counters = counters;
        this.probe = probe;
        this.batchSize = udpGro ? GRO_BATCH : tun.offload() ? OFFLOAD_BATCH : BATCH;
        this.capacity = CAPACITY;
        this.buffers = new ByteBuf[batchSize];
        this.batch = new MessageBatch(batchSize, 1, udpGro);
        this.gro = tun.offload() ? new GroTunWriter(tun, counters, COALESCE_CAPACITY, mtu) : null;
        this.mtu = mtu;
        for (int i = 0; i < batchSize; i++) {
            buffers[i] = alloc.directBuffer(capacity, capacity);
        }
        reply = alloc.directBuffer(256, 256);
        segmentHeader = alloc.directBuffer(SEGMENT_HEADERS, SEGMENT_HEADERS);
    }

    @Override
    public void readable() {
        for (int i = 0; i < batchSize; i++) {
            batch.prepareReceive(i, buffers[i].memoryAddress(), capacity);
        }
        int n = socket.receive(batch, batchSize, errno);
        if (n <= 0) {
            return;
        }
        long start = System.nanoTime();
        capture = probe.capture();
        long rxBytes = 0;
        long datagrams = 0;
        for (int i = 0; i < n; i++) {
            ByteBuf buf = buffers[i];
            int length = batch.length(i);
            rxBytes += length;
            long sourceHi = batch.sourceHi(i);
            long sourceLo = batch.sourceLo(i);
            int source = ipv4 ? (int) (sourceHi >>> 32) : 0;
            int port = batch.sourcePort(i);
            if (batch.truncated(i)) {
                datagrams++;
                counters.inc(Counter.DROP_TRUNCATED);
                if (capture != null) {
                    capture.dropReceived(buf, 0, Math.min(length, capacity), source, port, Counter.DROP_TRUNCATED);
                }
                continue;
            }
            int size = batch.segmentSize(i);
            if (capture != null) {
                capture.wireIn(buf, 0, length, source, port, size);
            }
            if (size <= 0 || size >= length) {
                datagrams++;
                probe.peerReceived(source, 1, length);
                receive(buf, 0, length, sourceHi, sourceLo, source, port);
                continue;
            }
            counters.inc(Counter.UDP_RX_GRO_MESSAGES);
            probe.peerReceived(source, (length + size - 1) / size, length);
            for (int at = 0; at < length; at += size) {
                datagrams++;
                receive(buf, at, Math.min(at + size, length), sourceHi, sourceLo, source, port);
            }
        }
        if (gro != null) {
            gro.flush(errno);
        }
        probe.delivered(start);
        counters.add(Counter.RX_PACKETS, datagrams);
        counters.add(Counter.RX_BYTES, rxBytes);
    }

    /**
     * One datagram or packet, bytes {@code from..to} of {@code buf}, from ({@code sourceHi},
     * {@code sourceLo}) ({@code source}: its IPv4 address, or 0): validate, strip, deliver or reply.
     */
    private void receive(ByteBuf buf, int from, int to, long sourceHi, long sourceLo, int source, int port) {
        buf.setIndex(from, to);
        reply.clear();
        switch (path.process(buf, sourceHi, sourceLo, reply)) {
            case InboundPath.DELIVER -> {
                if (guard != null) {
                    guard.clampInbound(buf, buf.readerIndex(), buf.readableBytes(), sourceHi, sourceLo);
                }
                if (capture != null) {
                    capture.tunOut(buf, source);
                }
                if (gro != null) {
                    if (gro.isFull()) {
                        gro.flush(errno);
                    }
                    gro.add(buf, errno);
                    return;
                }
                if (buf.readableBytes() > mtu.getAsInt() && writeSegmented(buf)) {
                    return;
                }
                int w = tun.write(errno, buf.memoryAddress() + buf.readerIndex(), buf.readableBytes());
                if (w > 0) {
                    counters.inc(Counter.TUN_TX_PACKETS);
                    counters.add(Counter.TUN_TX_BYTES, w);
                } else {
                    counters.inc(Counter.DROP_TUN_WRITE);
                }
            }
            case InboundPath.REPLY -> sendReply(sourceHi, sourceLo);
            default -> {
                if (capture != null) {
                    capture.dropReceived(buf, from, to, source, port, counters.lastDrop());
                }
            }
        }
    }

    /**
     * Writes a TCP super-packet (plain TUN) as MTU-sized segments; false when it is not TCP
     * (then it is written as it is, and the kernel fragments or refuses it as it would any).
     */
    private boolean writeSegmented(ByteBuf buf) {
        int ip = buf.readerIndex();
        int length = buf.readableBytes();
        int located = Tcp.locate(buf, ip, length);
        if (located < 0) {
            return false;
        }
        int headers = Tcp.ipHeaderLength(located) + Tcp.tcpHeaderLength(located);
        int segments = segmenter.begin(buf, ip, length, Math.max(1, mtu.getAsInt() - headers));
        counters.inc(Counter.RX_SUPER_PACKETS);
        for (int k = 0; k < segments; k++) {
            segmenter.writeHeader(k, segmentHeader, 0);
            segmentIov.set(0, segmentHeader.memoryAddress(), headers);
            segmentIov.set(1, buf.memoryAddress() + segmenter.payloadIndex(k), segmenter.payloadLength(k));
            int w = tun.writev(errno, segmentIov, 2);
            if (w > 0) {
                counters.inc(Counter.TUN_TX_PACKETS);
                counters.add(Counter.TUN_TX_BYTES, w);
            } else {
                counters.inc(Counter.DROP_TUN_WRITE);
            }
        }
        return true;
    }

    private void sendReply(long hi, long lo) {
        replyBatch.setBuffer(0, reply.memoryAddress() + reply.readerIndex(), reply.readableBytes());
        Destinations.set(replyBatch, 0, family, hi, lo, 0);
        if (raw.send(replyBatch, 0, 1, errno) != 1) {
            counters.inc(Counter.DROP_TX_ERROR);
        }
    }

    @Override
    public void close() {
        if (gro != null) {
            gro.close();
        }
        for (int i = 0; i < batchSize; i++) {
            if (buffers[i] != null) {
                buffers[i].release();
                buffers[i] = null;
            }
        }
        reply.release();
        segmentHeader.release();
        segmentIov.close();
        batch.close();
        replyBatch.close();
        arena.close();
    }
}
