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
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * Drives {@link OutboundPath}: when the TUN device is readable, reads up to {@link #BATCH}
 * packets into its own pooled direct buffers (at {@link OutboundPath#HEADROOM}), runs each
 * through the path, and sends the frames through an {@link UnderlaySender}: one sendmmsg on the
 * raw socket of each underlay family ({@link RawSegmentSender}, {@link FamilySenders} on a
 * dual-stack node).
 *
 * <p>Backpressure: when a socket's send buffer is full, the unsent tail of the batch is
 * kept, TUN reads stop (the kernel queues, then drops at the TUN's txqueue, as for any
 * device) and the loop waits for that socket to become writable. No accepted packet is lost.
 *
 * <p>Single-threaded: everything here runs on the event loop.
 */
final class TunReader implements TunDriver {
    static final int BATCH = 64;

    private final TunDevice tun;
    private final UnderlaySender sender;
    private final OutboundPath path;
    private final Tables tables;
    private final Counters counters;
    private final ThreadProbe probe;
    private final ByteBuf[] buffers = new ByteBuf[BATCH];
    private final Arena arena = Arena.ofShared();
    private final MemorySegment errno = Libc.newErrnoSegment(arena);
    private final int readCapacity;
    private FdHandle tunHandle;
    private FdHandle[] socketHandles;
    /** The socket a stalled send waits for, or null. */
    private FdHandle waitingFor;

    /** @param sender takes up to {@link #BATCH} frames per flush; closed with this reader */
    TunReader(TunDevice tun, UnderlaySender sender, OutboundPath path, Tables tables, Counters counters,
              ThreadProbe probe, int mtu, ByteBufAllocator alloc) {
        this.tun = tun;
        this.sender = sender;
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
        this.socketHandles = socketHandles.clone();
    }

    /** The TUN device has packets: read a batch, process, send. */
    @Override
    public void readable() {
        if (waitingFor != null) {
            return;
        }
        long start = System.nanoTime();
        Recorder capture = probe.capture();
        Tables.Snapshot snapshot = tables.snapshot();
        int staged = 0;
        long bytes = 0;
        int read = 0;
        for (int i = 0; i < BATCH && sender.canStart(); i++) {
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
                int underlay = to.ipv4OrZero();
                sender.frame(buf, to);
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
            if (!sender.flush()) {
                counters.inc(Counter.TX_STALLS);
                stall();
                return;
            }
            probe.sent(start);
        }
    }

    /** A socket has room again: finish the stalled batch and resume reading. */
    @Override
    public void writable() {
        if (waitingFor == null) {
            return;
        }
        if (!sender.flush()) {
            stall();
            return;
        }
        waitingFor.setInterest(false, false);
        waitingFor = null;
        tunHandle.setInterest(true, false);
    }

    /** Stops reading until the socket the sender waits for is writable. */
    private void stall() {
        FdHandle handle = socketHandles[sender.stalledSocket()];
        if (waitingFor != null && waitingFor != handle) {
            waitingFor.setInterest(false, false);
        }
        waitingFor = handle;
        tunHandle.setInterest(false, false);
        handle.setInterest(false, true);
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
        sender.close();
        arena.close();
    }
}
