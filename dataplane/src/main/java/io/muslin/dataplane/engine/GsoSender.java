package io.muslin.dataplane.engine;

import io.muslin.dataplane.packet.Ipv4;
import io.muslin.dataplane.packet.Ipv6;
import io.muslin.dataplane.path.Counter;
import io.muslin.dataplane.path.Counters;
import io.muslin.dataplane.table.Family;
import io.muslin.dataplane.table.Underlay;
import io.muslin.tun.linux.Libc;
import io.muslin.tun.linux.MessageBatch;
import io.muslin.tun.linux.NativeSocket;
import io.netty.buffer.ByteBuf;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * Sends on UDP sockets with UDP segmentation offload ({@code UDP_SEGMENT}, udp(7)): the
 * segments of one super-packet become one message whose iovecs gather, per segment, its
 * VXLAN + inner headers from the slab and its payload from the read buffer; the kernel cuts
 * the message into datagrams of the first segment's size and writes outer IP (IPv4 or IPv6, the
 * sockets' family) and UDP headers (with checksum) on each. On a veth or a NIC with UDP GSO the message stays one
 * packet until the last moment, which is where the speed comes from.
 *
 * <pre>
 *  message:  | VXLAN+Eth+IP+TCP (seg 0) | payload 0 | VXLAN+Eth+IP+TCP (seg 1) | payload 1 | ...
 *            |<------------- segment size ----------->|
 *  control:  UDP_SEGMENT = segment size (when more than one), IP_TOS / IPV6_TCLASS = the inner TOS
 * </pre>
 *
 * A message holds at most {@value #MAX_SEGMENTS} segments and {@value #MAX_BYTES} bytes (the
 * kernel's limits for one UDP send); a longer super-packet takes two. The outer UDP source
 * port is a socket's: the flow's hashed port picks one of the sockets, so a flow keeps one
 * port and flows spread over as many ports as there are sockets.
 *
 * <p>DF: all sockets but the last set DF on every datagram ({@code IP_PMTUDISC_PROBE}: DF, and
 * the kernel's own path-MTU cache ignored; muslin keeps its own per peer). A frame whose inner
 * packet has no DF goes out on the last socket, which sets no DF, so the underlay may fragment
 * it as it could the inner packet. Over IPv6 nothing is fragmented on the way (RFC 8200 §5):
 * every frame goes out on the sockets that keep the flows' ports.
 */
final class GsoSender implements UnderlaySender {
    /** Messages per round of sendmmsg calls. */
    static final int MESSAGES = 64;
    /** The kernel's {@code UDP_MAX_SEGMENTS} on older kernels (newer allow 128). */
    static final int MAX_SEGMENTS = 64;
    /** Largest UDP payload of one send: 65535 - IPv4 header - UDP header (kept for IPv6 too). */
    static final int MAX_BYTES = 0xFFFF - Ipv4.MIN_HEADER - 8;

    private final NativeSocket[] sockets;
    private final Family family;
    /** Outer IP and UDP header bytes in front of every frame and segment handed in (28 or 48), not sent: the kernel writes them. */
    private final int outerIpUdp;
    private final int port;
    private final Counters counters;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment errno = Libc.newErrnoSegment(arena);
    private final MessageBatch batch = new MessageBatch(MESSAGES, 2 * MAX_SEGMENTS, true);
    private final int[] socketOf = new int[MESSAGES];
    private final int[] segmentsOf = new int[MESSAGES];
    private int staged;
    private int sent;
    private int stalled;
    // The message being filled with the run's segments, or -1.
    private int open = -1;
    private int openSegments;
    private int openBytes;
    private int openSize;
    private boolean openShort;
    // The run.
    private Underlay runUnderlay;
    private int runSocket;
    private int runTos;

    /**
     * @param family  the sockets' (the underlay's) family
     * @param sockets UDP senders: all but the last with DF, the last without (IPv4; over IPv6 the
     *                last is not used)
     * @param port    the VXLAN destination port
     */
    GsoSender(Family family, NativeSocket[] sockets, int port, Counters counters) {
        if (sockets.length < 2) {
            throw new IllegalArgumentException("need DF sockets and one without DF, not " + sockets.length);
        }
        this.sockets = sockets.clone();
        this.family = family;
        this.outerIpUdp = family.headerLength() + 8;
        this.port = port;
        this.counters = counters;
    }

    @Override
    public boolean canStart() {
        return staged < MESSAGES;
    }

    @Override
    public boolean canContinue() {
        return staged < MESSAGES
            || (open >= 0 && openSegments < MAX_SEGMENTS && openBytes + openSize <= MAX_BYTES && !openShort);
    }

    @Override
    public void frame(ByteBuf frame, Underlay underlay) {
        finishOpen();
        int at = frame.readerIndex();
        int i = staged++;
        batch.setBuffer(i, frame.memoryAddress() + at + outerIpUdp, frame.readableBytes() - outerIpUdp);
        batch.setControl(i, 0, tos(frame, at), family == Family.IPV6);
        Destinations.set(batch, i, underlay, port);
        socketOf[i] = family == Family.IPV6 || Ipv4.dontFragment(frame, at)
            ? socketFor(frame.getUnsignedShort(at + family.headerLength())) : sockets.length - 1;
        segmentsOf[i] = 1;
    }

    @Override
    public void beginRun(Underlay underlay, ByteBuf outerHeader, int at) {
        finishOpen();
        runUnderlay = underlay;
        runSocket = socketFor(outerHeader.getUnsignedShort(at + family.headerLength()));
        runTos = tos(outerHeader, at);
    }

    /** The outer TOS (IPv4) or traffic class (IPv6) byte of the outer header at {@code at}. */
    private int tos(ByteBuf outer, int at) {
        return family == Family.IPV4 ? Ipv4.tos(outer, at) : Ipv6.trafficClass(outer, at);
    }

    @Override
    public void segment(long header, int headerLength, long payload, int payloadLength) {
        int length = headerLength - outerIpUdp + payloadLength;
        if (open >= 0 && (openSegments == MAX_SEGMENTS || openBytes + length > MAX_BYTES || openShort
            || length > openSize)) {
            finishOpen();
        }
        if (open < 0) {
            open = staged++;
            openSegments = 0;
            openBytes = 0;
            openSize = length;
            openShort = false;
        }
        batch.setIovec(open, 2 * openSegments, header + outerIpUdp, headerLength - outerIpUdp);
        batch.setIovec(open, 2 * openSegments + 1, payload, payloadLength);
        openSegments++;
        openBytes += length;
        if (length < openSize) {
            openShort = true;
        }
    }

    /** Finishes the open message. */
    private void finishOpen() {
        if (open < 0) {
            return;
        }
        batch.setIovecCount(open, 2 * openSegments);
        batch.setControl(open, openSegments > 1 ? openSize : 0, runTos, family == Family.IPV6);
        Destinations.set(batch, open, runUnderlay, port);
        socketOf[open] = runSocket;
        segmentsOf[open] = openSegments;
        open = -1;
    }

    @Override
    public boolean flush() {
        finishOpen();
        while (sent < staged) {
            int socket = socketOf[sent];
            int end = sent + 1;
            while (end < staged && socketOf[end] == socket) {
                end++;
            }
            int n = sockets[socket].send(batch, sent, end - sent, errno);
            if (n > 0) {
                account(sent, sent + n);
                sent += n;
            } else if (n == 0) {
                stalled = socket;
                return false;
            } else {
                counters.add(Counter.DROP_TX_ERROR, segmentsOf[sent]); // this message cannot be sent
                sent++;
            }
        }
        staged = 0;
        sent = 0;
        return true;
    }

    private void account(int from, int to) {
        long datagrams = 0;
        long bytes = 0;
        long gso = 0;
        for (int i = from; i < to; i++) {
            int segments = segmentsOf[i];
            datagrams += segments;
            bytes += batch.length(i) + (long) outerIpUdp * segments;
            if (segments > 1) {
                gso++;
            }
        }
        counters.add(Counter.TX_PACKETS, datagrams);
        counters.add(Counter.TX_BYTES, bytes);
        counters.add(Counter.UDP_TX_GSO_MESSAGES, gso);
    }

    @Override
    public int stalledSocket() {
        return stalled;
    }

    @Override
    public int sockets() {
        return sockets.length;
    }

    private int socketFor(int sourcePort) {
        return sourcePort % (sockets.length - 1);
    }

    @Override
    public void close() {
        batch.close();
        arena.close();
    }
}
