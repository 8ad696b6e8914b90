package io.muslin.dataplane.engine;

import io.muslin.dataplane.packet.Icmp6;
import io.muslin.dataplane.packet.Ipv6;
import io.muslin.dataplane.path.Counter;
import io.muslin.dataplane.path.Counters;
import io.muslin.dataplane.path.PathMtu;
import io.muslin.tun.linux.NativeSocket;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

/**
 * Learns each IPv6 peer's path MTU from the ICMPv6 Packet Too Big messages routers on an IPv6
 * underlay send back (RFC 8201): {@link IcmpListener}'s counterpart for the IPv6 underlay, on a
 * raw ICMPv6 socket (which hands over each message without its IPv6 header). A message counts
 * only when it quotes a VXLAN datagram of ours (source our PublicIPv6, UDP to our port,
 * {@link Icmp6#quotedVxlanPacket}); then the quoted destination's estimate in the IPv6
 * {@link PathMtu} is lowered (never below 1280, RFC 8201 §4). Any other ICMPv6 (neighbor
 * discovery, echo, ...) is {@code icmpIgnored}.
 *
 * <p>Why its own socket rather than the kernel's cache: as over IPv4, the kernel files an error
 * under the socket that sent the packet, and our raw and per-flow UDP sends match none that
 * could tell us.
 *
 * <p>One listener (on the first dataplane thread) serves every thread through its
 * {@link Learner}. Single-threaded: the event loop's.
 */
final class Icmp6Listener extends RawIcmpReader {
    /** Takes a learned path MTU of the IPv6 peer ({@code hi}, {@code lo}); true when it changed an estimate. */
    interface Learner {
        boolean learn(long hi, long lo, int mtu, long nowNanos);
    }

    static final int CAPACITY = Icmp6.MAX_MESSAGE;

    private final Learner pathMtu;
    private final Counters counters;
    private final long localHi;
    private final long localLo;
    private final int port;

    /**
     * @param localHi our PublicIPv6 (first eight bytes)
     * @param localLo its last eight bytes
     * @param port    the VXLAN port our datagrams go to
     */
    Icmp6Listener(NativeSocket socket, Learner pathMtu, Counters counters, long localHi, long localLo, int port,
                  ByteBufAllocator alloc) {
        super(socket, CAPACITY, alloc);
        this.pathMtu = pathMtu;
        this.counters = counters;
        this.localHi = localHi;
        this.localLo = localLo;
        this.port = port;
    }

    @Override
    void message(ByteBuf buf, long now) {
        if (!learn(buf, 0, buf.readableBytes(), now)) {
            counters.inc(Counter.ICMP_IGNORED);
        }
    }

    /**
     * One ICMPv6 message at {@code buf[icmp..icmp+length)}: true when it was a Packet Too Big
     * about a datagram of ours (and was handed to the learner, counted when it changed an estimate).
     */
    boolean learn(ByteBuf buf, int icmp, int length, long now) {
        int quoted = Icmp6.quotedVxlanPacket(buf, icmp, length, localHi, localLo, port);
        if (quoted < 0) {
            return false;
        }
        if (pathMtu.learn(Ipv6.dstHi(buf, quoted), Ipv6.dstLo(buf, quoted), Icmp6.mtu(buf, icmp), now)) {
            counters.inc(Counter.PMTU_LEARNED);
        }
        return true;
    }
}
