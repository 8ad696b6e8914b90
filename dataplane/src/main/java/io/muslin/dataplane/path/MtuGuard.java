package io.muslin.dataplane.path;

import io.muslin.dataplane.offload.MssClamp;
import io.muslin.dataplane.packet.Icmp;
import io.muslin.dataplane.packet.Icmp6;
import io.muslin.dataplane.packet.Ipv4;
import io.muslin.dataplane.packet.Ipv6;
import io.muslin.dataplane.table.Family;
import io.netty.buffer.ByteBuf;
import java.util.function.LongSupplier;

/**
 * Keeps inner packets within each peer's path MTU so no flow black-holes:
 * <ul>
 *   <li>the limit for an inner packet to a peer is its path MTU ({@link PathMtu}: learned from
 *       ICMP, else the underlay link's) less the encapsulation's overhead;</li>
 *   <li>an inner IPv4 packet over the limit with DF set, and every inner IPv6 packet over it
 *       (IPv6 is never fragmented on the way, RFC 8200 §5), is dropped ({@code dropPathMtu}) and
 *       its sender told the limit: ICMP "fragmentation needed" with the limit as next-hop MTU
 *       ({@code icmpFragNeededSent}), or ICMPv6 Packet Too Big with the limit as MTU (RFC 4443
 *       §3.2, RFC 8201; {@code icmp6PacketTooBigSent}), from the packet's destination address,
 *       written back through the TUN device; at most {@value #ICMP_PER_SECOND} a second with
 *       bursts of {@value #ICMP_BURST} (the kernel's {@code icmp_msgs_per_sec} and
 *       {@code icmp_msgs_burst}; {@code icmpRateLimited} counts the rest);</li>
 *   <li>an IPv4 packet without DF is sent anyway, its outer header without DF: the underlay
 *       fragments the outer packet and the receiving kernel reassembles it (the inner packet is
 *       never fragmented by muslin);</li>
 *   <li>optional MSS clamping lowers the MSS option of TCP SYNs in both directions to the
 *       limit less the IP and TCP headers (40 bytes for IPv4, 60 for IPv6: {@link #AUTO_MSS}),
 *       or to a fixed value ({@code mssClamped}).</li>
 * </ul>
 * One guard per underlay family (its {@link PathMtu}'s); the inner packet may be of either
 * family, and its own family decides which ICMP answers it. Peers are addresses in
 * {@link io.muslin.dataplane.table.Family}'s key layout. Event loop only (it uses the
 * loop-owned {@link PathMtu} and reply buffer).
 */
public final class MtuGuard {
    /** MSS clamping off. */
    public static final int NO_MSS_CLAMP = 0;
    /** MSS clamping to each peer's limit less the IP and TCP headers. */
    public static final int AUTO_MSS = -1;
    static final int ICMP_PER_SECOND = 1000;
    static final int ICMP_BURST = 50;
    private static final long NANOS_PER_TOKEN = 1_000_000_000L / ICMP_PER_SECOND;

    private final PathMtu pathMtu;
    private final int overhead;
    private final int mssClamp;
    private final TunReplies replies;
    private final Counters counters;
    private final LongSupplier clock;
    private long tokensAt = Long.MIN_VALUE;

    /**
     * @param pathMtu    the peers' path MTUs (of the underlay family this guard serves)
     * @param overhead   bytes the encapsulation adds over that family
     * @param mssClamp   {@link #NO_MSS_CLAMP}, {@link #AUTO_MSS}, or a fixed MSS
     * @param replies    where ICMP errors go (the TUN device)
     */
    public MtuGuard(PathMtu pathMtu, int overhead, int mssClamp, TunReplies replies, Counters counters) {
        this(pathMtu, overhead, mssClamp, replies, counters, System::nanoTime);
    }

    /** @param clock the rate limit's time source, in nanoseconds ({@link System#nanoTime}; tests give their own) */
    MtuGuard(PathMtu pathMtu, int overhead, int mssClamp, TunReplies replies, Counters counters, LongSupplier clock) {
        this.clock = clock;
        this.pathMtu = pathMtu;
        this.overhead = overhead;
        this.mssClamp = mssClamp;
        this.replies = replies;
        this.counters = counters;
    }

    public PathMtu pathMtu() {
        return pathMtu;
    }

    /** The largest inner packet for the IPv4 peer at {@code underlay}. */
    public int innerLimit(int underlay) {
        return innerLimit(Family.ipv4Key(underlay), 0);
    }

    /** The largest inner packet for the peer at ({@code hi}, {@code lo}). */
    public int innerLimit(long hi, long lo) {
        return pathMtu.outerLimit(hi, lo) - overhead;
    }

    /** {@link #admit(ByteBuf, int, int, long, long)} for an IPv4 peer. */
    public boolean admit(ByteBuf packet, int at, int length, int underlay) {
        return admit(packet, at, length, Family.ipv4Key(underlay), 0);
    }

    /**
     * Checks a whole inner IPv4 or IPv6 packet at {@code packet[at..at+length)} for the peer at
     * ({@code hi}, {@code lo}), clamping a SYN's MSS on the way. Returns false when it was
     * dropped (too big, and IPv6 or DF set; the sender has been told).
     */
    public boolean admit(ByteBuf packet, int at, int length, long hi, long lo) {
        int limit = innerLimit(hi, lo);
        if (length > limit && (Ipv4.version(packet, at) == Ipv6.VERSION || Ipv4.dontFragment(packet, at))) {
            tooBig(packet, at, length, limit);
            return false;
        }
        clamp(packet, at, length, limit);
        return true;
    }

    /** {@link #admitSegments(ByteBuf, int, int, int, long, long)} for an IPv4 peer. */
    public boolean admitSegments(ByteBuf superPacket, int at, int length, int segmentLength, int underlay) {
        return admitSegments(superPacket, at, length, segmentLength, Family.ipv4Key(underlay), 0);
    }

    /**
     * Checks the segments (each {@code segmentLength} bytes) a TCP super-packet will be cut into.
     * Returns false when they do not fit: the super-packet is dropped and its sender told the
     * limit, so its TCP lowers the segment size (TCP over IPv4 always sets DF).
     */
    public boolean admitSegments(ByteBuf superPacket, int at, int length, int segmentLength, long hi, long lo) {
        int limit = innerLimit(hi, lo);
        if (segmentLength <= limit) {
            return true;
        }
        tooBig(superPacket, at, length, limit);
        return false;
    }

    /** {@link #clampInbound(ByteBuf, int, int, long, long)} for an IPv4 peer. */
    public void clampInbound(ByteBuf packet, int at, int length, int underlay) {
        clampInbound(packet, at, length, Family.ipv4Key(underlay), 0);
    }

    /** Clamps the MSS of a SYN that arrived from the peer at ({@code hi}, {@code lo}), before it goes to the TUN device. */
    public void clampInbound(ByteBuf packet, int at, int length, long hi, long lo) {
        if (mssClamp != NO_MSS_CLAMP) {
            clamp(packet, at, length, innerLimit(hi, lo));
        }
    }

    private void clamp(ByteBuf packet, int at, int length, int limit) {
        if (mssClamp == NO_MSS_CLAMP) {
            return;
        }
        Family inner = Family.ofVersion(Ipv4.version(packet, at));
        if (inner == null) {
            return;
        }
        int mss = mssClamp == AUTO_MSS ? limit - MssClamp.headers(inner) : mssClamp;
        if (MssClamp.clamp(packet, at, length, mss)) {
            counters.inc(Counter.MSS_CLAMPED);
        }
    }

    private void tooBig(ByteBuf packet, int at, int length, int limit) {
        counters.inc(Counter.DROP_PATH_MTU);
        boolean ipv6 = Ipv4.version(packet, at) == Ipv6.VERSION;
        if (ipv6 ? !mayAnswerIpv6(packet, at, length) : !mayAnswerIpv4(packet, at, length)) {
            return;
        }
        if (!takeToken(clock.getAsLong())) {
            counters.inc(Counter.ICMP_RATE_LIMITED);
            return;
        }
        ByteBuf out = replies.buffer();
        // From the packet's own destination: an address behind the tunnel, routed via the TUN
        // device (so rp_filter passes it) and never one of this node's (the kernel drops ICMP
        // from its own addresses arriving on an interface as martian).
        int n = ipv6
            ? Icmp6.writePacketTooBig(out, replies.offset(), Ipv6.dstHi(packet, at), Ipv6.dstLo(packet, at), limit,
                packet, at, length)
            : Icmp.writeFragNeeded(out, replies.offset(), Ipv4.dst(packet, at), limit, packet, at, length);
        if (replies.send(n)) {
            counters.inc(ipv6 ? Counter.ICMP6_PACKET_TOO_BIG_SENT : Counter.ICMP_FRAG_NEEDED_SENT);
        } else {
            counters.inc(Counter.DROP_TUN_WRITE);
        }
    }

    /** RFC 1812 §4.3.2.7: no ICMP about a non-first fragment, nor about an ICMP error. */
    private static boolean mayAnswerIpv4(ByteBuf packet, int at, int length) {
        if ((packet.getUnsignedShort(at + Ipv4.FLAGS_FRAG) & Ipv4.FRAGMENT_OFFSET_MASK) != 0) {
            return false;
        }
        if (Ipv4.protocol(packet, at) != Ipv4.PROTO_ICMP) {
            return true;
        }
        int icmp = at + Ipv4.headerLength(packet, at);
        return icmp + 1 > at + length || Icmp.isQuery(Icmp.type(packet, icmp));
    }

    /**
     * RFC 4443 §2.4 (e): no ICMPv6 error about an ICMPv6 error, nor to a source that names no
     * single node (the unspecified address, a multicast address). Packet Too Big may answer a
     * packet sent to a multicast address (e.3's exception).
     */
    private static boolean mayAnswerIpv6(ByteBuf packet, int at, int length) {
        if (length < Ipv6.HEADER_LENGTH) {
            return false;
        }
        long srcHi = Ipv6.srcHi(packet, at);
        if (srcHi == 0 && Ipv6.srcLo(packet, at) == 0 || Ipv6.isMulticast(srcHi)) {
            return false;
        }
        if (Ipv6.nextHeader(packet, at) != Ipv6.NEXT_ICMPV6) {
            return true;
        }
        int icmp = at + Ipv6.HEADER_LENGTH;
        return icmp + 1 > at + length || !Icmp6.isError(Icmp6.type(packet, icmp));
    }

    /** Token bucket: {@value #ICMP_PER_SECOND} tokens a second, at most {@value #ICMP_BURST} saved up. */
    boolean takeToken(long now) {
        long full = now - ICMP_BURST * NANOS_PER_TOKEN;
        if (tokensAt == Long.MIN_VALUE || tokensAt < full) {
            tokensAt = full;
        }
        if (tokensAt + NANOS_PER_TOKEN > now) {
            return false;
        }
        tokensAt += NANOS_PER_TOKEN;
        return true;
    }
}
