package io.muslin.dataplane.capture;

import io.muslin.dataplane.offload.TcpSegmenter;
import io.muslin.dataplane.packet.Ipv4Address;
import io.muslin.dataplane.path.Counter;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * The writer thread's half of a capture: turns ring records into pcapng blocks. A record is
 * one packet as the dataplane had it; this writes it as it is on the wire:
 * <ul>
 *   <li>a TSO read ({@link RingRecorder#SEGMENT}) as its segments, cut by the same
 *       {@link TcpSegmenter} the path sends them with (headers and checksums as sent);</li>
 *   <li>a received VXLAN payload ({@link RingRecorder#OUTER_REBUILT}) with its outer IPv4 and
 *       UDP headers ({@link OuterHeader});</li>
 *   <li>everything else as recorded;</li>
 * </ul>
 * each cut to the snap length, with an {@code opt_comment}
 * {@code point=wire-out peer=192.168.50.2 vni=1} (drops: {@code reason=dropMalformed} too).
 *
 * <p>Single-threaded (the writer thread). Allocates (comments, strings): it is off the path.
 */
final class RecordWriter {
    private static final Counter[] COUNTERS = Counter.values();
    private static final int MAX_PACKET = OuterHeader.LENGTH + 0xFFFF;

    private final PcapngWriter out;
    private final CaptureContext context;
    private final int snap;
    private final int[] interfaceIds = new int[CapturePoint.values().length];
    private final TcpSegmenter segmenter = new TcpSegmenter();
    private final ByteBuf superPacket = Unpooled.directBuffer(0xFFFF + 64, 0xFFFF + 64);
    private final ByteBuf segmentHeader = Unpooled.directBuffer(256, 256);
    private final byte[] packet = new byte[MAX_PACKET];
    private final MemorySegment packetMemory = MemorySegment.ofArray(packet);
    private long written;

    RecordWriter(PcapngWriter out, CaptureContext context, CaptureSettings settings) {
        this.out = out;
        this.context = context;
        this.snap = settings.snapLength();
        Arrays.fill(interfaceIds, -1);
        out.sectionHeader("muslin");
        for (CapturePoint p : CapturePoint.values()) {
            if (settings.points().contains(p)) {
                interfaceIds[p.ordinal()] = out.interfaceDescription(PcapngWriter.LINKTYPE_RAW, snap,
                    context.device() + ":" + p.label(), description(p, settings));
            }
        }
    }

    /** Packets (EPBs) written so far. */
    long written() {
        return written;
    }

    /**
     * Writes the record at {@code at} of {@code ring}, at most {@code budget} packets of it.
     * Returns the packets written.
     */
    long write(CaptureRing ring, int at, long budget) {
        CapturePoint point = CapturePoint.values()[ring.getByte(at + CaptureRing.POINT)];
        int flags = ring.getByte(at + CaptureRing.FLAGS);
        int reason = ring.getShort(at + CaptureRing.REASON);
        long time = ring.getLong(at + CaptureRing.TIMESTAMP);
        int peer = ring.getInt(at + CaptureRing.PEER);
        int original = ring.getInt(at + CaptureRing.ORIGINAL);
        int captured = ring.getInt(at + CaptureRing.CAPTURED);
        int aux = ring.getShort(at + CaptureRing.AUX);
        int port = ring.getShort(at + CaptureRing.PORT);
        int data = at + CaptureRing.HEADER;
        int iface = interfaceIds[point.ordinal()];
        if ((flags & RingRecorder.SEGMENT) != 0) {
            return writeSegments(ring, data, captured, aux, time, iface, peer, budget);
        }
        int length = 0;
        int wire = original;
        if ((flags & RingRecorder.OUTER_REBUILT) != 0) {
            OuterHeader.write(packetMemory, 0, peer, context.localIp(), port, context.port(), original);
            length = OuterHeader.LENGTH;
            wire += OuterHeader.LENGTH;
        }
        System.arraycopy(ring.array(), data, packet, length, captured);
        length += captured;
        StringBuilder comment = comment(point, peer == 0 ? peerOf(packet, 0, length, point) : peer,
            vni(point, flags, packet, length));
        if (reason > 0) {
            comment.append(" reason=").append(COUNTERS[reason - 1].label());
        }
        if ((flags & RingRecorder.GRO_MESSAGE) != 0) {
            comment.append(" gro-datagrams=").append((original + aux - 1) / aux);
        }
        emit(iface, time, length, wire, comment.toString());
        return 1;
    }

    /** A TSO read: each segment as {@link TcpSegmenter} makes it for the path. */
    private long writeSegments(CaptureRing ring, int data, int length, int gsoSize, long time, int iface, int peer,
                               long budget) {
        superPacket.clear();
        superPacket.writeBytes(ring.array(), data, length);
        int segments = segmenter.begin(superPacket, 0, length, gsoSize);
        int to = peer != 0 ? peer : context.peerOf().applyAsInt(destination(superPacket));
        String comment = comment(CapturePoint.TUN_IN, to, context.vxlan() ? context.vni() : -1).toString();
        if (segments < 0) { // not a TCP packet we can cut: as it was read
            superPacket.getBytes(0, packet, 0, length);
            emit(iface, time, Math.min(length, snap), length, comment);
            return 1;
        }
        int headers = segmenter.headerLength();
        long n = Math.min(segments, budget);
        for (int k = 0; k < n; k++) {
            segmenter.writeHeader(k, segmentHeader, 0);
            segmentHeader.getBytes(0, packet, 0, headers);
            int payload = segmenter.payloadLength(k);
            superPacket.getBytes(segmenter.payloadIndex(k), packet, headers, payload);
            emit(iface, time, Math.min(headers + payload, snap), headers + payload,
                comment + " tso-segment=" + (k + 1) + "/" + segments);
        }
        return n;
    }

    private void emit(int iface, long time, int length, int wire, String comment) {
        out.enhancedPacket(iface, time, packet, 0, Math.min(length, snap), wire, comment);
        written++;
    }

    private static int destination(ByteBuf ip) {
        return ip.readableBytes() >= 20 && (ip.getByte(0) >>> 4) == 4 ? ip.getInt(16) : 0;
    }

    /** tun-in and outbound drops: the peer the route sends the inner destination to. */
    private int peerOf(byte[] p, int at, int length, CapturePoint point) {
        if ((point != CapturePoint.TUN_IN && point != CapturePoint.DROP) || length < 20 || (p[at] & 0xF0) != 0x40) {
            return 0;
        }
        int d = at + 16;
        return context.peerOf().applyAsInt((p[d] & 0xFF) << 24 | (p[d + 1] & 0xFF) << 16 | (p[d + 2] & 0xFF) << 8
            | p[d + 3] & 0xFF);
    }

    /** The VNI: from the VXLAN header at wire points, ours at TUN points (VXLAN only), else -1. */
    private int vni(CapturePoint point, int flags, byte[] p, int length) {
        if (!context.vxlan()) {
            return -1;
        }
        int vxlan = switch (point) {
            case WIRE_OUT -> OuterHeader.LENGTH;
            case WIRE_IN -> OuterHeader.LENGTH;
            case DROP -> (flags & RingRecorder.OUTER_REBUILT) != 0 ? OuterHeader.LENGTH : -1;
            default -> -1;
        };
        if (vxlan < 0) {
            return point == CapturePoint.DROP ? -1 : context.vni();
        }
        if (length < vxlan + 8) {
            return -1;
        }
        return (p[vxlan + 4] & 0xFF) << 16 | (p[vxlan + 5] & 0xFF) << 8 | p[vxlan + 6] & 0xFF;
    }

    private static StringBuilder comment(CapturePoint point, int peer, int vni) {
        StringBuilder sb = new StringBuilder(96).append("point=").append(point.label());
        sb.append(" peer=").append(peer == 0 ? "-" : Ipv4Address.format(peer));
        if (vni >= 0) {
            sb.append(" vni=").append(vni);
        }
        return sb;
    }

    private String description(CapturePoint p, CaptureSettings settings) {
        String d = "muslin " + p.description();
        if (context.vxlan() && (p == CapturePoint.WIRE_IN || p == CapturePoint.DROP)) {
            d += "; received VXLAN datagrams get their outer IPv4/UDP header rebuilt from the socket's addresses"
                + " (TTL 64, ID 0 and UDP checksum 0 stand for values the socket does not give)";
        }
        if (p == CapturePoint.WIRE_OUT) {
            d += "; with UDP GSO the kernel sets the outer UDP source port and checksum after this point";
        }
        if (!settings.filter().matchesAll()) {
            d += "; filter (" + (settings.outer() ? "outer" : "inner") + "): " + settings.filter().expression();
        }
        return d;
    }

    void close() {
        superPacket.release();
        segmentHeader.release();
    }
}
