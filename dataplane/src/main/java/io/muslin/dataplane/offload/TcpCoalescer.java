package io.muslin.dataplane.offload;

import io.muslin.dataplane.packet.Ipv4;
import io.muslin.dataplane.packet.Ipv6;
import io.netty.buffer.ByteBuf;

/**
 * Software GRO: groups the inner packets of one receive batch so that consecutive TCP segments
 * of a flow can be written to the TUN device as one super-packet (a {@code virtio_net_hdr}
 * with {@code NEEDS_CSUM} and {@code gso_type} TCPV4/TCPV6, as wireguard-go's
 * {@code tcpGRO} does). The kernel then takes the whole group in one write and hands it to
 * TCP in one piece.
 *
 * <p>Packets are offered in arrival order with {@link #add}. Each starts a group or joins the
 * most recent group of its flow, so no flow is ever reordered. A segment joins when all of
 * this holds (else it starts a group of its own):
 * <ul>
 *   <li>both are TCP over IPv4 (no fragment) or IPv6 (no extension header), with correct IPv4
 *       header and TCP checksums (the outer UDP checksum is zero, so the inner TCP checksum is
 *       the only guard the data has; it is checked here, unless the caller says it checked it
 *       already, because the kernel will not check it again for a {@code NEEDS_CSUM} write);</li>
 *   <li>same addresses and ports; IPv4: same header length, TOS, flags, TTL and options;
 *       IPv6: same traffic class, flow label and hop limit;</li>
 *   <li>same TCP header length, acknowledgment number, window and options bytes (so the
 *       same timestamps); flags exactly ACK, or ACK|PSH — which closes the group;</li>
 *   <li>its sequence number follows the group's last byte, its payload is non-empty and at
 *       most the first segment's (a shorter one closes the group), and the group stays within
 *       65535 bytes and {@value #MAX_SEGMENTS} segments.</li>
 * </ul>
 *
 * <p>{@link #finish} turns a group of two or more into its super-packet header in place (in
 * the first segment's buffer): lengths, IPv4 header checksum, PSH from the last segment, and
 * the TCP checksum field set to the folded pseudo-header sum for the kernel to complete. The
 * payloads of the other segments stay where they are; the caller gathers them with writev.
 *
 * <p>Borrows every buffer it is given until {@link #reset}. One instance per thread; nothing
 * is allocated after construction.
 */
public final class TcpCoalescer {
    /** Largest IP packet a group may become. */
    public static final int MAX_LENGTH = 0xFFFF;
    /** Most segments in one group (so a group's writev needs at most 1 + this many iovecs). */
    public static final int MAX_SEGMENTS = 64;

    private final int capacity;
    // Per packet, in the order added.
    private final ByteBuf[] buffers;
    private final int[] ips;
    private final int[] lengths;
    private final int[] located;
    private final int[] next;
    // Per group, in the order created.
    private final int[] firsts;
    private final int[] lasts;
    private final int[] sizes;
    private final int[] gsoSizes;
    private final int[] groupLengths;
    private final int[] keys;
    private final boolean[] open;
    private final boolean[] verified;
    private int packets;
    private int groups;

    public TcpCoalescer(int capacity) {
        if (capacity <= 0) {
            throw new IllegalArgumentException("coalescer capacity must be positive, not " + capacity);
        }
        this.capacity = capacity;
        buffers = new ByteBuf[capacity];
        ips = new int[capacity];
        lengths = new int[capacity];
        located = new int[capacity];
        next = new int[capacity];
        firsts = new int[capacity];
        lasts = new int[capacity];
        sizes = new int[capacity];
        gsoSizes = new int[capacity];
        groupLengths = new int[capacity];
        keys = new int[capacity];
        open = new boolean[capacity];
        verified = new boolean[capacity];
    }

    public int capacity() {
        return capacity;
    }

    /** Forgets every packet and group (and the borrowed buffers). */
    public void reset() {
        for (int i = 0; i < packets; i++) {
            buffers[i] = null;
        }
        packets = 0;
        groups = 0;
    }

    /**
     * Offers the IP packet of {@code length} bytes at {@code ip} in {@code buf} (borrowed until
     * {@link #reset}).
     *
     * @return the packet's number (0, 1, ... in the order added)
     * @throws IllegalStateException when {@link #capacity()} packets were added since the last reset
     */
    public int add(ByteBuf buf, int ip, int length) {
        return add(buf, ip, length, false);
    }

    /**
     * {@link #add(ByteBuf, int, int)} for a packet whose transport checksum the caller has
     * verified ({@code checksumVerified}), so that it is not summed again here.
     */
    public int add(ByteBuf buf, int ip, int length, boolean checksumVerified) {
        if (packets == capacity) {
            throw new IllegalStateException("coalescer full: " + capacity + " packets");
        }
        int p = packets++;
        buffers[p] = buf;
        ips[p] = ip;
        lengths[p] = length;
        verified[p] = checksumVerified;
        next[p] = -1;
        int loc = Tcp.locate(buf, ip, length);
        located[p] = loc;
        if (loc < 0) {
            newGroup(p, 0, false);
            return p;
        }
        int key = flowKey(buf, ip, Tcp.ipHeaderLength(loc));
        int g = latestGroupOf(p, key);
        boolean candidate = isCandidate(p);
        if (g >= 0 && candidate && open[g] && canJoin(g, p)) {
            join(g, p);
        } else {
            newGroup(p, key, candidate);
        }
        return p;
    }

    /** True when {@link #capacity()} packets were added since the last reset. */
    public boolean isFull() {
        return packets == capacity;
    }

    public int groupCount() {
        return groups;
    }

    /** Number of packets in group {@code g}. */
    public int groupSize(int g) {
        return sizes[g];
    }

    /** The first packet of group {@code g}; the rest follow through {@link #next}. */
    public int first(int g) {
        return firsts[g];
    }

    /** The packet after {@code p} in its group, or -1. */
    public int next(int p) {
        return next[p];
    }

    public ByteBuf buffer(int p) {
        return buffers[p];
    }

    public int ipIndex(int p) {
        return ips[p];
    }

    public int length(int p) {
        return lengths[p];
    }

    /** IP plus TCP header length of packet {@code p}; only for packets of groups of two or more. */
    public int headerLength(int p) {
        return Tcp.ipHeaderLength(located[p]) + Tcp.tcpHeaderLength(located[p]);
    }

    /** The IP length group {@code g} has as one super-packet. */
    public int groupLength(int g) {
        return groupLengths[g];
    }

    /**
     * Rewrites the first packet of group {@code g} (two or more packets) as the header of the
     * super-packet and writes its virtio_net_hdr at {@code vnetIndex} in {@code vnet}. The
     * super-packet is then the first packet's header and payload followed by the payloads
     * ({@code ipIndex(p) + headerLength(p)}, {@code length(p) - headerLength(p)}) of the others.
     */
    public void finish(int g, ByteBuf vnet, int vnetIndex) {
        if (sizes[g] < 2) {
            throw new IllegalArgumentException("group " + g + " has " + sizes[g] + " packet(s); nothing to coalesce");
        }
        int p = firsts[g];
        ByteBuf buf = buffers[p];
        int ip = ips[p];
        int ipHeader = Tcp.ipHeaderLength(located[p]);
        int headers = headerLength(p);
        int total = groupLengths[g];
        boolean ipv6 = Ipv4.version(buf, ip) == Ipv6.VERSION;
        if (ipv6) {
            buf.setShort(ip + Ipv6.PAYLOAD_LENGTH_OFFSET, total - Ipv6.HEADER_LENGTH);
        } else {
            buf.setShort(ip + Ipv4.TOTAL_LENGTH, total);
            buf.setShort(ip + Ipv4.CHECKSUM, 0);
            buf.setShort(ip + Ipv4.CHECKSUM, Checksum.finish(Checksum.sum(buf, ip, ipHeader)));
        }
        int tcp = ip + ipHeader;
        int last = lasts[g];
        int lastFlags = Tcp.flags(buffers[last], ips[last] + Tcp.ipHeaderLength(located[last]));
        buf.setByte(tcp + Tcp.FLAGS, Tcp.flags(buf, tcp) | (lastFlags & Tcp.PSH));
        buf.setShort(tcp + Tcp.CHECKSUM, Checksum.fold(Checksum.pseudoHeaderTcp(buf, ip, ipv6, total - ipHeader)));
        VirtioNetHeader.write(vnet, vnetIndex, VirtioNetHeader.FLAG_NEEDS_CSUM,
            ipv6 ? VirtioNetHeader.GSO_TCPV6 : VirtioNetHeader.GSO_TCPV4, headers, gsoSizes[g], ipHeader,
            Tcp.CHECKSUM);
    }

    private void newGroup(int p, int key, boolean canGrow) {
        int g = groups++;
        firsts[g] = p;
        lasts[g] = p;
        sizes[g] = 1;
        keys[g] = key;
        groupLengths[g] = lengths[p];
        boolean pushed = canGrow && (Tcp.flags(buffers[p], ips[p] + Tcp.ipHeaderLength(located[p])) & Tcp.PSH) != 0;
        open[g] = canGrow && !pushed;
        gsoSizes[g] = canGrow ? payload(p) : 0;
    }

    private void join(int g, int p) {
        next[lasts[g]] = p;
        lasts[g] = p;
        sizes[g]++;
        int payload = payload(p);
        groupLengths[g] += payload;
        int tcp = ips[p] + Tcp.ipHeaderLength(located[p]);
        if (payload < gsoSizes[g] || (Tcp.flags(buffers[p], tcp) & Tcp.PSH) != 0) {
            open[g] = false;
        }
    }

    private int payload(int p) {
        return lengths[p] - headerLength(p);
    }

    /** The most recent group holding packets of {@code p}'s flow, or -1. */
    private int latestGroupOf(int p, int key) {
        for (int g = groups - 1; g >= 0; g--) {
            int f = firsts[g];
            if (keys[g] == key && located[f] >= 0 && sameFlow(f, p)) {
                return g;
            }
        }
        return -1;
    }

    /** A segment that may be part of a super-packet: data, ACK or ACK|PSH, checksums right. */
    private boolean isCandidate(int p) {
        ByteBuf buf = buffers[p];
        int ip = ips[p];
        int ipHeader = Tcp.ipHeaderLength(located[p]);
        int flags = Tcp.flags(buf, ip + ipHeader);
        if (payload(p) <= 0 || (flags != Tcp.FLAG_ACK && flags != (Tcp.FLAG_ACK | Tcp.PSH))) {
            return false;
        }
        boolean ipv6 = Ipv4.version(buf, ip) == Ipv6.VERSION;
        if (!ipv6) {
            if (Ipv4.totalLength(buf, ip) != lengths[p] || Checksum.finish(Checksum.sum(buf, ip, ipHeader)) != 0) {
                return false;
            }
        } else if (Ipv6.HEADER_LENGTH + Ipv6.payloadLength(buf, ip) != lengths[p]) {
            return false;
        }
        if (verified[p]) {
            return true;
        }
        int tcpLength = lengths[p] - ipHeader;
        long sum = Checksum.pseudoHeaderTcp(buf, ip, ipv6, tcpLength) + Checksum.sum(buf, ip + ipHeader, tcpLength);
        return Checksum.finish(sum) == 0;
    }

    /** Whether candidate {@code p} may follow the last packet of open group {@code g}. */
    private boolean canJoin(int g, int p) {
        int f = firsts[g];
        int last = lasts[g];
        if (located[f] != located[p]) {
            return false; // different IP or TCP header lengths
        }
        int payload = payload(p);
        if (payload > gsoSizes[g] || groupLengths[g] + payload > MAX_LENGTH || sizes[g] == MAX_SEGMENTS) {
            return false;
        }
        ByteBuf a = buffers[f];
        ByteBuf b = buffers[p];
        int ipA = ips[f];
        int ipB = ips[p];
        int ipHeader = Tcp.ipHeaderLength(located[p]);
        int tcpA = ipA + ipHeader;
        int tcpB = ipB + ipHeader;
        int lastTcp = ips[last] + ipHeader;
        if (Tcp.seq(b, tcpB) != Tcp.seq(buffers[last], lastTcp) + payload(last)) {
            return false;
        }
        if (Ipv4.version(b, ipB) == Ipv6.VERSION) {
            if (a.getInt(ipA) != b.getInt(ipB) // version, traffic class, flow label
                || a.getUnsignedByte(ipA + Ipv6.HOP_LIMIT) != b.getUnsignedByte(ipB + Ipv6.HOP_LIMIT)) {
                return false;
            }
        } else {
            if (a.getUnsignedShort(ipA) != b.getUnsignedShort(ipB) // version, IHL, TOS
                || a.getUnsignedShort(ipA + Ipv4.FLAGS_FRAG) != b.getUnsignedShort(ipB + Ipv4.FLAGS_FRAG)
                || a.getUnsignedByte(ipA + Ipv4.TTL) != b.getUnsignedByte(ipB + Ipv4.TTL)
                || !equalBytes(a, ipA + Ipv4.MIN_HEADER, b, ipB + Ipv4.MIN_HEADER, ipHeader - Ipv4.MIN_HEADER)) {
                return false;
            }
        }
        // ack, then data offset + flags (ACK vs ACK|PSH: PSH only on the last, checked by the group
        // being open), window; then options.
        if (a.getInt(tcpA + Tcp.ACK) != b.getInt(tcpB + Tcp.ACK)
            || a.getUnsignedByte(tcpA + Tcp.DATA_OFFSET) != b.getUnsignedByte(tcpB + Tcp.DATA_OFFSET)
            || a.getUnsignedShort(tcpA + Tcp.WINDOW) != b.getUnsignedShort(tcpB + Tcp.WINDOW)) {
            return false;
        }
        int tcpHeader = Tcp.tcpHeaderLength(located[p]);
        return equalBytes(a, tcpA + Tcp.MIN_HEADER, b, tcpB + Tcp.MIN_HEADER, tcpHeader - Tcp.MIN_HEADER);
    }

    private boolean sameFlow(int f, int p) {
        ByteBuf a = buffers[f];
        ByteBuf b = buffers[p];
        int ipA = ips[f];
        int ipB = ips[p];
        int version = Ipv4.version(b, ipB);
        if (Ipv4.version(a, ipA) != version) {
            return false;
        }
        boolean ipv6 = version == Ipv6.VERSION;
        int addresses = ipv6 ? Ipv6.SRC : Ipv4.SRC;
        int addressBytes = ipv6 ? 32 : 8;
        return equalBytes(a, ipA + addresses, b, ipB + addresses, addressBytes)
            && a.getInt(ipA + Tcp.ipHeaderLength(located[f])) == b.getInt(ipB + Tcp.ipHeaderLength(located[p]));
    }

    private static int flowKey(ByteBuf buf, int ip, int ipHeader) {
        boolean ipv6 = Ipv4.version(buf, ip) == Ipv6.VERSION;
        int h = buf.getInt(ip + ipHeader); // ports
        if (ipv6) {
            for (int i = Ipv6.SRC; i < Ipv6.HEADER_LENGTH; i += 4) {
                h = h * 31 + buf.getInt(ip + i);
            }
        } else {
            h = (h * 31 + buf.getInt(ip + Ipv4.SRC)) * 31 + buf.getInt(ip + Ipv4.DST);
        }
        return h;
    }

    private static boolean equalBytes(ByteBuf a, int i, ByteBuf b, int j, int length) {
        int k = 0;
        for (; k + 4 <= length; k += 4) {
            if (a.getInt(i + k) != b.getInt(j + k)) {
                return false;
            }
        }
        for (; k < length; k++) {
            if (a.getByte(i + k) != b.getByte(j + k)) {
                return false;
            }
        }
        return true;
    }
}
