package io.muslin.dataplane.engine;

import io.muslin.dataplane.packet.Icmp;
import io.muslin.dataplane.packet.Ipv4;
import io.muslin.dataplane.path.Counter;
import io.muslin.dataplane.path.Counters;
import io.muslin.dataplane.path.PathMtu;
import io.muslin.tun.linux.NativeSocket;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

/**
 * Learns each peer's path MTU from the ICMP "fragmentation needed" messages routers on the
 * underlay send back (RFC 1191): a raw ICMP socket on the event loop, whose messages are
 * checked to be about a packet of ours (source our PublicIP; VXLAN to our port, or IP-in-IP)
 * before the quoted destination's estimate in {@link PathMtu} is lowered. Any other ICMP is
 * ignored. The kernel hands each raw ICMP socket a copy of every ICMP message to the host, so
 * this sees them without taking them from anyone.
 *
 * <p>Why not the kernel's own path-MTU cache: the kernel files an ICMP error under the socket
 * that sent the packet, and muslin's VXLAN and IP-in-IP packets leave through a raw socket
 * with their own headers, which matches none.
 *
 * <p>One listener (on the first dataplane thread) serves every thread: what it learns goes to
 * a {@link Learner}, which keeps each thread's own {@link PathMtu} (single writer each).
 */
final class IcmpListener extends RawIcmpReader {
    /** Takes a learned path MTU; true when it changed an estimate. Runs on the listener's loop. */
    interface Learner {
        boolean learn(int underlay, int mtu, long nowNanos);
    }

    static final int CAPACITY = 1500;

    private final Learner pathMtu;
    private final Counters counters;
    private final int publicIp;
    private final int protocol;
    private final int port;

    /**
     * @param protocol {@link Ipv4#PROTO_UDP} (VXLAN, to {@code port}) or {@link Ipv4#PROTO_IPIP}
     */
    IcmpListener(NativeSocket socket, Learner pathMtu, Counters counters, int publicIp, int protocol, int port,
                 ByteBufAllocator alloc) {
        super(socket, CAPACITY, alloc);
        this.pathMtu = pathMtu;
        this.counters = counters;
        this.publicIp = publicIp;
        this.protocol = protocol;
        this.port = port;
    }

    @Override
    void message(ByteBuf buf, long now) {
        int peer = fragNeededPeer(buf, publicIp, protocol, port);
        int mtu = peer == 0 ? 0 : Icmp.nextHopMtu(buf, Ipv4.headerLength(buf, 0));
        if (peer == 0 || mtu == 0) {
            counters.inc(Counter.ICMP_IGNORED);
        } else if (pathMtu.learn(peer, mtu, now)) {
            counters.inc(Counter.PMTU_LEARNED);
        }
    }

    /**
     * The peer a "fragmentation needed" message in {@code buf} (an IPv4 packet) is about: the
     * destination of the quoted packet, if that packet was one of ours (from {@code publicIp},
     * of {@code protocol}, for UDP to {@code port}); else 0. Both IPv4 headers must be whole
     * (IHL 5 or more): with a shorter one the fields would be read from the wrong bytes.
     */
    static int fragNeededPeer(ByteBuf buf, int publicIp, int protocol, int port) {
        int length = buf.readableBytes();
        if (length < Ipv4.MIN_HEADER || Ipv4.version(buf, 0) != Ipv4.VERSION) {
            return 0;
        }
        int icmp = Ipv4.headerLength(buf, 0);
        int quoted = icmp + Icmp.HEADER;
        if (icmp < Ipv4.MIN_HEADER || quoted + Ipv4.MIN_HEADER > length || Icmp.type(buf, icmp) != Icmp.TYPE_DEST_UNREACHABLE
            || Icmp.code(buf, icmp) != Icmp.CODE_FRAG_NEEDED || Ipv4.version(buf, quoted) != Ipv4.VERSION
            || Ipv4.headerLength(buf, quoted) < Ipv4.MIN_HEADER
            || Ipv4.src(buf, quoted) != publicIp || Ipv4.protocol(buf, quoted) != protocol) {
            return 0;
        }
        if (protocol == Ipv4.PROTO_UDP) {
            int udp = quoted + Ipv4.headerLength(buf, quoted);
            if (udp + 4 > length || buf.getUnsignedShort(udp + 2) != port) {
                return 0;
            }
        }
        return Ipv4.dst(buf, quoted);
    }
}
