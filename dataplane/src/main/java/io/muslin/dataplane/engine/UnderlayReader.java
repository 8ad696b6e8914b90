package io.muslin.dataplane.engine;

import io.muslin.dataplane.path.Counter;
import io.muslin.dataplane.path.Counters;
import io.muslin.dataplane.path.InboundPath;
import io.muslin.tun.TunDevice;
import io.muslin.tun.epoll.FdHandle;
import io.muslin.tun.linux.Libc;
import io.muslin.tun.linux.MessageBatch;
import io.muslin.tun.linux.NativeSocket;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * Drives {@link InboundPath}: when the VXLAN UDP socket is readable, receives up to
 * {@link #BATCH} datagrams with one recvmmsg into its own pooled direct buffers, runs each
 * through the path and writes the inner packets to the TUN device; ARP replies go out
 * through the raw socket.
 *
 * <p>Single-threaded: everything here runs on the event loop.
 */
final class UnderlayReader implements FdHandle.Listener, AutoCloseable {
    static final int BATCH = 64;
    /** Large enough for a VXLAN datagram over a 9000-byte underlay. */
    static final int DATAGRAM_CAPACITY = 9216;

    private final NativeSocket udp;
    private final NativeSocket raw;
    private final TunDevice tun;
    private final InboundPath path;
    private final Counters counters;
    private final int port;
    private final ByteBuf[] buffers = new ByteBuf[BATCH];
    private final ByteBuf reply;
    private final MessageBatch batch = new MessageBatch(BATCH);
    private final MessageBatch replyBatch = new MessageBatch(1);
    private final Arena arena = Arena.ofShared();
    private final MemorySegment errno = Libc.newErrnoSegment(arena);

    UnderlayReader(NativeSocket udp, NativeSocket raw, TunDevice tun, InboundPath path, Counters counters,
                   int port, ByteBufAllocator alloc) {
        this.udp = udp;
        this.raw = raw;
        this.tun = tun;
        this.path = path;
        this.counters = counters;
        this.port = port;
        for (int i = 0; i < BATCH; i++) {
            buffers[i] = alloc.directBuffer(DATAGRAM_CAPACITY, DATAGRAM_CAPACITY);
        }
        reply = alloc.directBuffer(256, 256);
    }

    @Override
    public void readable() {
        for (int i = 0; i < BATCH; i++) {
            batch.prepareReceive(i, buffers[i].memoryAddress(), DATAGRAM_CAPACITY);
        }
        int n = udp.receive(batch, BATCH, errno);
        if (n <= 0) {
            return;
        }
        long rxBytes = 0;
        long txBytes = 0;
        int delivered = 0;
        for (int i = 0; i < n; i++) {
            ByteBuf buf = buffers[i];
            int length = batch.length(i);
            rxBytes += length;
            if (batch.truncated(i)) {
                counters.inc(Counter.DROP_TRUNCATED);
                continue;
            }
            buf.setIndex(0, length);
            reply.clear();
            switch (path.process(buf, batch.sourceIpv4(i), reply)) {
                case InboundPath.DELIVER -> {
                    int w = tun.write(errno, buf.memoryAddress() + buf.readerIndex(), buf.readableBytes());
                    if (w > 0) {
                        delivered++;
                        txBytes += w;
                    } else {
                        counters.inc(Counter.DROP_TUN_WRITE);
                    }
                }
                case InboundPath.REPLY -> sendReply(batch.sourceIpv4(i));
                default -> {
                }
            }
        }
        counters.add(Counter.RX_PACKETS, n);
        counters.add(Counter.RX_BYTES, rxBytes);
        counters.add(Counter.TUN_TX_PACKETS, delivered);
        counters.add(Counter.TUN_TX_BYTES, txBytes);
    }

    private void sendReply(int destination) {
        replyBatch.setBuffer(0, reply.memoryAddress() + reply.readerIndex(), reply.readableBytes());
        replyBatch.setDestination(0, destination, 0);
        if (raw.send(replyBatch, 0, 1, errno) != 1) {
            counters.inc(Counter.DROP_TX_ERROR);
        }
    }

    int port() {
        return port;
    }

    @Override
    public void close() {
        for (int i = 0; i < BATCH; i++) {
            if (buffers[i] != null) {
                buffers[i].release();
                buffers[i] = null;
            }
        }
        reply.release();
        batch.close();
        replyBatch.close();
        arena.close();
    }
}
