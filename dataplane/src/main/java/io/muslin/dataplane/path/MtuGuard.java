package io.muslin.dataplane.path;

import io.muslin.dataplane.offload.MssClamp;
import io.muslin.dataplane.packet.Icmp;
import io.muslin.dataplane.packet.Ipv4;
import io.netty.buffer.ByteBuf;
import java.util.function.LongSupplier;

/**
 * Keeps inner packets within each peer's path MTU so no flow black-holes:
 * <ul>
 *   <li>the limit for an inner packet to a peer is its path MTU ({@link PathMtu}: learned from
 *       ICMP, else the underlay link's) less the encapsulation's overhead;</li>
 *   <li>an inner IPv4 packet over the limit with DF set is dropped ({@code dropPathMtu}) and its
 *       sender gets ICMP "fragmentation needed" with the limit as next-hop MTU, from the
 *       packet's destination address, written back through the TUN device ({@code icmpFragNeededSent}), at most {@value #ICMP_PER_SECOND}
 *       a second with bursts of {@value #ICMP_BURST} (the kernel's {@code icmp_msgs_per_sec}
 *       and {@code icmp_msgs_burst}; {@code icmpRateLimited} counts the rest);</li>
 *   <li>one without DF is sent anyway, its outer header without DF: the underlay fragments the
 *       outer packet and the receiving kernel reassembles it (the inner packet is never
 *       fragmented by muslin);</li>
 *   <li>optional MSS clamping lowers the MSS option of TCP SYNs in both directions to the
 *       limit less 40 bytes of IPv4 and TCP headers ({@link #AUTO_MSS}), or to a fixed value
 *       ({@code mssClamped}).</li>
 * </ul>
 * Event loop only (it uses the loop-owned {@link PathMtu} and reply buffer).
 */
public final class MtuGuard {
    /** MSS clamping off. */
    public static final int NO_MSS_CLAMP = 0;
    /** MSS clamping to each peer's limit less 40 bytes. */
    public static final int AUTO_MSS = -1;
    static final int ICMP_PER_SECOND = 1000;
    static final int ICMP_BURST = 50;
    private static final int IPV4_TCP_HEADERS = 40;
    private static final long NANOS_PER_TOKEN = 1_000_000_000L / ICMP_PER_SECOND;

    private final PathMtu pathMtu;
    private final int overhead;
    private final int mssClamp;
    private final TunReplies replies;
    private final Counters counters;
    private final LongSupplier clock;
    private long tokensAt = Long.MIN_VALUE;

    /**
     * @param overhead   bytes the encapsulation adds
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

    /** The largest inner packet for the peer at {@code underlay}. */
    public int innerLimit(int underlay) {
        return pathMtu.outerLimit(underlay) - overhead;
    }

    /**
     * Checks a whole inner IPv4 packet at {@code packet[at..at+length)} for the peer at
     * {@code underlay}, clamping a SYN's MSS on the way. Returns false when it was dropped
     * (too big with DF; the sender has been told).
     */
    public boolean admit(ByteBuf packet, int at, int length, int underlay) {
        int limit = innerLimit(underlay);
        if (length > limit && Ipv4.dontFragment(packet, at)) {
            tooBig(packet, at, length, limit);
            return false;
        }
        clamp(packet, at, length, limit);
        return true;
    }

    /**
     * Checks the segments (each {@code segmentLength} bytes) a TCP super-packet will be cut into.
     * Returns false when they do not fit: the super-packet is dropped and its sender told the
     * limit, so its TCP lowers the segment size (TCP always sets DF).
     */
    public boolean admitSegments(ByteBuf superPacket, int at, int length, int segmentLength, int underlay) {
        int limit = innerLimit(underlay);
        if (segmentLength <= limit) {
            return true;
        }
        tooBig(superPacket, at, length, limit);
        return false;
    }

    /** Clamps the MSS of a SYN that arrived from the peer at {@code underlay}, before it goes to the TUN device. */
    public void clampInbound(ByteBuf packet, int at, int length, int underlay) {
        if (mssClamp != NO_MSS_CLAMP) {
            clamp(packet, at, length, innerLimit(underlay));
        }
    }

    private void clamp(ByteBuf packet, int at, int length, int limit) {
        if (mssClamp == NO_MSS_CLAMP) {
            return;
        }
        int mss = mssClamp == AUTO_MSS ? limit - IPV4_TCP_HEADERS : mssClamp;
        if (MssClamp.clamp(packet, at, length, mss)) {
            counters.inc(Counter.MSS_CLAMPED);
        }
    }

    private void tooBig(ByteBuf packet, int at, int length, int limit) {
        counters.inc(Counter.DROP_PATH_MTU);
        if ((packet.getUnsignedShort(at + Ipv4.FLAGS_FRAG) & Ipv4.FRAGMENT_OFFSET_MASK) != 0) {
            return; // RFC 1812 §4.3.2.7: no ICMP error about a non-first fragment
        }
        if (Ipv4.protocol(packet, at) == Ipv4.PROTO_ICMP && isIcmpError(packet, at, length)) {
            return; // never an ICMP error about an ICMP error
        }
        if (!takeToken(clock.getAsLong())) {
            counters.inc(Counter.ICMP_RATE_LIMITED);
            return;
        }
        ByteBuf out = replies.buffer();
        // From the packet's own destination: an address behind the tunnel, routed via the TUN
        // device (so rp_filter passes it) and never one of this node's (the kernel drops ICMP
        // from its own addresses arriving on an interface as martian).
        int n = Icmp.writeFragNeeded(out, replies.offset(), Ipv4.dst(packet, at), limit, packet, at, length);
        if (replies.send(n)) {
            counters.inc(Counter.ICMP_FRAG_NEEDED_SENT);
        } else {
            counters.inc(Counter.DROP_TUN_WRITE);
        }
    }

    private static boolean isIcmpError(ByteBuf packet, int at, int length) {
        int icmp = at + Ipv4.headerLength(packet, at);
        if (icmp + 1 > at + length) {
            return false;
        }
        int type = Icmp.type(packet, icmp);
        return !Icmp.isQuery(type);
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
