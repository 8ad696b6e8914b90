package io.muslin.dataplane.engine;

import io.muslin.dataplane.capture.Recorder;
import io.muslin.dataplane.observe.ThreadProbe;
import io.muslin.dataplane.offload.Checksum;
import io.muslin.dataplane.offload.NativeMemory;
import io.muslin.dataplane.offload.TcpSegmenter;
import io.muslin.dataplane.offload.VirtioNetHeader;
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
 * Drives {@link OutboundPath} for a TUN device in offload mode ({@code IFF_VNET_HDR}, TSO):
 * a read returns a virtio_net_hdr and either one packet or a TCP super-packet of up to 64 KB.
 *
 * <ol>
 *   <li><b>read</b> — up to {@link #READ_BUFFERS} reads per round, each into its own pooled
 *       direct buffer of 64 KB, the packet at {@link OutboundPath#HEADROOM} and its
 *       virtio_net_hdr just before it;</li>
 *   <li><b>plain packet</b> — finish a checksum the kernel left undone (NEEDS_CSUM), then
 *       {@link OutboundPath#process} encapsulates it in place: one frame;</li>
 *   <li><b>super-packet</b> — one route lookup, outer-header templates for a full and the last
 *       segment, then per segment: outer headers + the segment's IP/TCP header into a slot of
 *       the header slab ({@link TcpSegmenter}); the payload stays where it was read. Nothing
 *       is copied but headers;</li>
 *   <li><b>send</b> — the {@link UnderlaySender} gathers frames and segments into messages:
 *       one datagram each on the raw socket ({@link RawSegmentSender}), or a run of segments
 *       per message with UDP segmentation offload ({@link GsoSender}). A super-packet that does
 *       not fit in this round is continued after the send.</li>
 * </ol>
 *
 * <p>Backpressure as in {@link TunReader}: when a socket buffer is full the unsent messages
 * (and the rest of a half-sent super-packet) are kept, TUN reads stop and the loop waits for
 * that socket to become writable. No accepted packet is lost.
 *
 * <p>Single-threaded: everything here runs on the event loop.
 */
final class OffloadTunReader implements TunDriver {
    /** Reads per round; each buffer holds one super-packet. */
    static final int READ_BUFFERS = 16;
    /** Segment headers per round: room for about ten 64 KB super-packets at MSS 1400. */
    static final int SLOTS = 512;
    /** Rounds (read, send) per readiness event while the TUN device still has packets. */
    static final int MAX_ROUNDS = 4;
    private static final int VNET = VirtioNetHeader.LENGTH;
    /** Header slab slot: outer headers, then IP (up to 60) and TCP (up to 60) headers. */
    private static final int STRIDE = 192;
    /** Where the last segment's template starts: past the longest outer header ({@link OutboundPath#HEADROOM}). */
    private static final int LAST_TEMPLATE = 128;

    private final TunDevice tun;
    private final UnderlaySender sender;
    private final OutboundPath path;
    private final Tables tables;
    private final Counters counters;
    private final ThreadProbe probe;
    /** The capture recorder of this round (read once per {@link #pump}), or null. */
    private Recorder capture;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment errno = Libc.newErrnoSegment(arena);
    private final ByteBuf[] buffers = new ByteBuf[READ_BUFFERS];
    private final ByteBuf slab;
    private final ByteBuf templates;
    private final TcpSegmenter segmenter = new TcpSegmenter();
    private final int readCapacity;
    /** Outer header bytes in front of every segment of the super-packet at the cursor ({@link OutboundPath#overhead} of its lane: 50 or 70). */
    private int outer;
    private FdHandle tunHandle;
    private FdHandle[] socketHandles;
    /** The socket a stalled send waits for, or null. */
    private FdHandle waitingFor;

    /** Something is staged and not yet sent. */
    private boolean pending;
    /** Slab slots used this round. */
    private int slots;
    /** Next free read buffer. */
    private int nextBuffer;
    /** The super-packet being segmented (index into buffers), or -1. */
    private int cursor = -1;
    private int cursorNext;
    private int cursorUnderlay;

    /** @param sender where frames and segments go; closed with this reader */
    OffloadTunReader(TunDevice tun, UnderlaySender sender, OutboundPath path, Tables tables, Counters counters,
                     ThreadProbe probe, ByteBufAllocator alloc) {
        if (!tun.offload()) {
            throw new IllegalArgumentException("TUN device " + tun.name() + " is not in offload mode");
        }
        this.tun = tun;
        this.sender = sender;
        this.path = path;
        this.tables = tables;
        this.counters = counters;
        this.probe = probe;
        int capacity = OutboundPath.HEADROOM + 0xFFFF + 64;
        this.readCapacity = capacity - OutboundPath.HEADROOM + VNET;
        for (int i = 0; i < READ_BUFFERS; i++) {
            buffers[i] = alloc.directBuffer(capacity, capacity);
        }
        slab = alloc.directBuffer(SLOTS * STRIDE, SLOTS * STRIDE);
        templates = alloc.directBuffer(2 * LAST_TEMPLATE, 2 * LAST_TEMPLATE);
    }

    @Override
    public void attach(FdHandle tunHandle, FdHandle... socketHandles) {
        this.tunHandle = tunHandle;
        this.socketHandles = socketHandles.clone();
    }

    /** The TUN device has packets (and no send is stalled). */
    @Override
    public void readable() {
        if (waitingFor == null) {
            pump();
        }
    }

    /** A socket has room again: finish the stalled messages, resume reading. */
    @Override
    public void writable() {
        if (waitingFor == null) {
            return;
        }
        if (!sender.flush()) {
            stall();
            return;
        }
        pending = false;
        waitingFor.setInterest(false, false);
        waitingFor = null;
        tunHandle.setInterest(true, false);
        pump();
    }

    /** Rounds of read-and-segment, then send, until the device is dry or the round budget is spent. */
    private void pump() {
        Tables.Snapshot snapshot = tables.snapshot();
        capture = probe.capture();
        boolean dry = false;
        long start = System.nanoTime();
        for (int round = 0; ; round++) {
            if (pending) {
                if (!sender.flush()) {
                    stall();
                    return;
                }
                pending = false;
                probe.sent(start);
                start = System.nanoTime();
            }
            recycle();
            if (round > 0 && cursor < 0 && (dry || round >= MAX_ROUNDS)) {
                return;
            }
            dry = fill(snapshot);
            if (!pending) {
                return;
            }
        }
    }

    /** Stages 1-3 until slots, buffers or messages run out; true when the device had no more packets. */
    private boolean fill(Tables.Snapshot snapshot) {
        while (true) {
            if (cursor >= 0) {
                if (slots == SLOTS || !sender.canContinue()) {
                    return false;
                }
                emitSegments();
                continue;
            }
            if (nextBuffer == READ_BUFFERS || slots == SLOTS || !sender.canStart()) {
                return false;
            }
            ByteBuf buf = buffers[nextBuffer];
            int n = tun.read(errno, buf.memoryAddress() + OutboundPath.HEADROOM - VNET, readCapacity);
            if (n <= 0) {
                return true;
            }
            if (accept(buf, n, snapshot)) {
                nextBuffer++;
            }
        }
    }

    /** One read of {@code n} bytes: stage it; true when the buffer now holds staged data. */
    private boolean accept(ByteBuf buf, int n, Tables.Snapshot snapshot) {
        counters.inc(Counter.TUN_RX_PACKETS);
        int vnet = OutboundPath.HEADROOM - VNET;
        if (n < VNET) {
            counters.inc(Counter.DROP_MALFORMED);
            return false;
        }
        int length = n - VNET;
        counters.add(Counter.TUN_RX_BYTES, length);
        buf.setIndex(OutboundPath.HEADROOM, OutboundPath.HEADROOM + length);
        int gsoType = VirtioNetHeader.gsoType(buf, vnet);
        if (gsoType == VirtioNetHeader.GSO_NONE) {
            if ((VirtioNetHeader.flags(buf, vnet) & VirtioNetHeader.FLAG_NEEDS_CSUM) != 0) {
                if (!Checksum.complete(buf, OutboundPath.HEADROOM, length, VirtioNetHeader.csumStart(buf, vnet),
                    VirtioNetHeader.csumOffset(buf, vnet))) {
                    counters.inc(Counter.DROP_MALFORMED);
                    return dropped(buf);
                }
                counters.inc(Counter.TUN_RX_CHECKSUMS_COMPLETED);
            }
            if (capture != null) {
                capture.tunIn(buf, 0);
            }
            Underlay to = path.process(buf, snapshot);
            if (to == null) {
                return dropped(buf);
            }
            int underlay = to.ipv4OrZero();
            sender.frame(buf, to);
            probe.peerSent(underlay, 1, buf.readableBytes());
            if (capture != null) {
                capture.wireOut(buf, underlay);
            }
            pending = true;
            return true;
        }
        if (gsoType != VirtioNetHeader.GSO_TCPV4 && gsoType != VirtioNetHeader.GSO_TCPV6) {
            counters.inc(Counter.DROP_UNSUPPORTED_GSO);
            return dropped(buf);
        }
        counters.inc(Counter.TUN_RX_SUPER_PACKETS);
        if (capture != null) {
            capture.tunIn(buf, VirtioNetHeader.gsoSize(buf, vnet));
        }
        Underlay to = path.resolve(buf, snapshot);
        if (to == null) {
            return dropped(buf);
        }
        int underlay = to.ipv4OrZero();
        int segments = segmenter.begin(buf, OutboundPath.HEADROOM, length, VirtioNetHeader.gsoSize(buf, vnet));
        if (segments < 0) {
            counters.inc(Counter.DROP_MALFORMED);
            return dropped(buf);
        }
        if (!path.admitSegments(buf, segmenter.segmentLength(0), to)) {
            return dropped(buf);
        }
        if (!path.writeOuterHeader(buf, segmenter.segmentLength(0), to, templates, 0)
            || !path.writeOuterHeader(buf, segmenter.segmentLength(segments - 1), to, templates, LAST_TEMPLATE)) {
            return dropped(buf);
        }
        outer = path.overhead();
        probe.peerSent(underlay, segments, length + (long) (segments - 1) * segmenter.headerLength()
            + (long) segments * outer);
        sender.beginRun(to, templates, 0);
        cursor = nextBuffer;
        cursorNext = 0;
        cursorUnderlay = underlay;
        emitSegments();
        return true;
    }

    /** Stage 3 for the super-packet at the cursor: as many segments as there is room for. */
    private void emitSegments() {
        long payloadBase = buffers[cursor].memoryAddress();
        long slabBase = slab.memoryAddress();
        int segments = segmenter.segmentCount();
        int headers = outer + segmenter.headerLength();
        int k = cursorNext;
        for (; k < segments && slots < SLOTS && sender.canContinue(); k++) {
            int at = slots++ * STRIDE;
            NativeMemory.copy(templates, k == segments - 1 ? LAST_TEMPLATE : 0, slab, at, outer);
            segmenter.writeHeader(k, slab, at + outer);
            sender.segment(slabBase + at, headers, payloadBase + segmenter.payloadIndex(k), segmenter.payloadLength(k));
            if (capture != null) {
                capture.wireOutSegment(slabBase + at, headers, payloadBase + segmenter.payloadIndex(k),
                    segmenter.payloadLength(k), cursorUnderlay);
            }
        }
        pending = true;
        counters.add(Counter.TSO_SEGMENTS, k - cursorNext);
        cursorNext = k;
        if (k == segments) {
            cursor = -1;
        }
    }

    /** A read that was dropped (and counted): to the capture's drop point if one runs; false. */
    private boolean dropped(ByteBuf buf) {
        if (capture != null) {
            capture.dropSent(buf, counters.lastDrop());
        }
        return false;
    }

    /** Everything staged was sent: free the slots and buffers, keeping a half-sent super-packet. */
    private void recycle() {
        slots = 0;
        if (cursor > 0) {
            ByteBuf b = buffers[0];
            buffers[0] = buffers[cursor];
            buffers[cursor] = b;
            cursor = 0;
        }
        nextBuffer = cursor == 0 ? 1 : 0;
    }

    /** Stops reading until the socket the sender waits for is writable. */
    private void stall() {
        counters.inc(Counter.TX_STALLS);
        FdHandle handle = socketHandles[sender.stalledSocket()];
        if (waitingFor != null && waitingFor != handle) {
            waitingFor.setInterest(false, false);
        }
        waitingFor = handle;
        tunHandle.setInterest(false, false);
        handle.setInterest(false, true);
    }

    /** Releases the buffers and the sender; call on the event loop after the handles are cancelled. */
    @Override
    public void close() {
        for (int i = 0; i < READ_BUFFERS; i++) {
            if (buffers[i] != null) {
                buffers[i].release();
                buffers[i] = null;
            }
        }
        slab.release();
        templates.release();
        sender.close();
        arena.close();
    }
}
