package io.muslin.dataplane.engine;

import io.muslin.dataplane.capture.Recorder;
import io.muslin.dataplane.observe.ThreadProbe;
import io.muslin.dataplane.path.Counter;
import io.muslin.dataplane.path.Counters;
import io.muslin.dataplane.path.OutboundPath;
import io.muslin.dataplane.table.Tables;
import io.muslin.dataplane.table.Underlay;
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
 * Drives {@link OutboundPath}: when the TUN device is readable, reads up to {@link #BATCH}
 * packets into its own pooled direct buffers (at {@link OutboundPath#HEADROOM}), runs each
 * through the path, and sends the frames with one sendmmsg on the raw socket.
 *
 * <p>Backpressure: when the socket's send buffer is full, the unsent tail of the batch is
 * kept, TUN reads stop (the kernel queues, then drops at the TUN's txqueue, as for any
 * device) and the loop waits for the socket to become writable. No accepted packet is lost.
 *
 * <p>Single-threaded: everything here runs on the event loop.
 */
final class TunReader implements TunDriver {
    static final int BATCH = 64;

    private final TunDevice tun;
    private final NativeSocket socket;
    private final OutboundPath path;
    private final Tables tables;
    private final Counters counters;
    private final ThreadProbe probe;
    private final ByteBuf[] buffers = new ByteBuf[BATCH];
    private final MessageBatch batch = new MessageBatch(BATCH);
    private final Arena arena = Arena.ofShared();
    private final MemorySegment errno = Libc.newErrnoSegment(arena);
    private final int readCapacity;
    private FdHandle tunHandle;
    private FdHandle socketHandle;
    private int pendingFrom;
    private int pendingCount;

    TunReader(TunDevice tun, NativeSocket socket, OutboundPath path, Tables tables, Counters counters,
              ThreadProbe probe, int mtu, ByteBufAllocator alloc) {
        this.tun = tun;
        this.socket = socket;
        this.path = path;
        this.tables = tables;
        this.counters = counters;
        this.probe = probe;
        int capacity = OutboundPath.HEADROOM + mtu + 64;
        for (int i = 0; i < BATCH; i++) {
            buffers[i] = alloc.directBuffer(capacity, capacity);
        }
        this.readCapacity = capacity - OutboundPath.HEADROOM;
    }

    @Override
    public void attach(FdHandle tunHandle, FdHandle... socketHandles) {
        this.tunHandle = tunHandle;
        this.socketHandle = socketHandles[0];
    }

    /** The TUN device has packets: read a batch, process, send. */
    @Override
    public void readable() {
        if (pendingCount > 0) {
            return;
        }
        long start = System.nanoTime();
        Recorder capture = probe.capture();
        Tables.Snapshot snapshot = tables.snapshot();
        int staged = 0;
        long bytes = 0;
        int read = 0;
        for (int i = 0; i < BATCH; i++) {
            ByteBuf buf = buffers[i];
            int n = tun.read(errno, buf.memoryAddress() + OutboundPath.HEADROOM, readCapacity);
            if (n <= 0) {
                break;
            }
            read++;
            bytes += n;
            buf.setIndex(OutboundPath.HEADROOM, OutboundPath.HEADROOM + n);
            if (capture != null) {
                capture.tunIn(buf, 0);
            }
            Underlay to = path.process(buf, snapshot);
            if (to != null) {
                int underlay = to.ipv4();
                batch.setBuffer(staged, buf.memoryAddress() + buf.readerIndex(), buf.readableBytes());
                batch.setDestination(staged, underlay, 0);
                staged++;
                probe.peerSent(underlay, 1, buf.readableBytes());
                if (capture != null) {
                    capture.wireOut(buf, underlay);
                }
            } else if (capture != null) {
                capture.dropSent(buf, counters.lastDrop());
            }
        }
        counters.add(Counter.TUN_RX_PACKETS, read);
        counters.add(Counter.TUN_RX_BYTES, bytes);
        if (staged > 0) {
            send(0, staged);
            probe.sent(start);
        }
    }

    /** The socket has room again: finish the stalled batch and resume reading. */
    @Override
    public void writable() {
        if (pendingCount > 0) {
            send(pendingFrom, pendingCount);
        }
        if (pendingCount == 0) {
            socketHandle.setInterest(false, false);
            tunHandle.setInterest(true, false);
        }
    }

    private void send(int from, int count) {
        int end = from + count;
        while (from < end) {
            int n = socket.send(batch, from, end - from, errno);
            if (n > 0) {
                for (int i = from; i < from + n; i++) {
                    counters.add(Counter.TX_BYTES, batch.length(i));
                }
                counters.add(Counter.TX_PACKETS, n);
                from += n;
            } else if (n == 0) {
                stall(from, end - from);
                return;
            } else {
                counters.inc(Counter.DROP_TX_ERROR); // this one frame cannot be sent (e.g. unreachable)
                from++;
            }
        }
        pendingCount = 0;
    }

    private void stall(int from, int count) {
        if (pendingCount == 0) {
            counters.inc(Counter.TX_STALLS);
        }
        pendingFrom = from;
        pendingCount = count;
        tunHandle.setInterest(false, false);
        socketHandle.setInterest(false, true);
    }

    /** Releases the buffers; call on the event loop after the handles are cancelled. */
    @Override
    public void close() {
        for (int i = 0; i < BATCH; i++) {
            if (buffers[i] != null) {
                buffers[i].release();
                buffers[i] = null;
            }
        }
        batch.close();
        arena.close();
    }
}
