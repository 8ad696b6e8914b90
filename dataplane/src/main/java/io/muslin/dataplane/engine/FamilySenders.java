package io.muslin.dataplane.engine;

import io.muslin.dataplane.table.Family;
import io.muslin.dataplane.table.Underlay;
import io.netty.buffer.ByteBuf;

/**
 * One {@link UnderlaySender} per underlay family behind one face: what a dual-stack node's TUN
 * driver sends through, as flannel has {@code flannel.1} on the IPv4 underlay and
 * {@code flannel-v6.1} on the IPv6 underlay. Each frame and run goes to the sender of its
 * {@link Underlay}'s family; {@link #flush} flushes them in family order. The sockets are
 * numbered the IPv4 sender's first, then the IPv6 sender's, which is the order the drivers
 * register them in.
 *
 * <p>A node with one family needs none of this: its driver is given that family's sender.
 * Single-threaded: the event loop's.
 */
final class FamilySenders implements UnderlaySender {
    private final UnderlaySender[] byFamily = new UnderlaySender[Family.values().length];
    private final int[] firstSocket = new int[Family.values().length];
    private final int sockets;
    /** The sender of the run being staged. */
    private UnderlaySender run;
    private int stalled;

    /**
     * @param ipv4 the sender of the IPv4 underlay
     * @param ipv6 the sender of the IPv6 underlay
     */
    FamilySenders(UnderlaySender ipv4, UnderlaySender ipv6) {
        byFamily[Family.IPV4.ordinal()] = ipv4;
        byFamily[Family.IPV6.ordinal()] = ipv6;
        firstSocket[Family.IPV4.ordinal()] = 0;
        firstSocket[Family.IPV6.ordinal()] = ipv4.sockets();
        this.sockets = ipv4.sockets() + ipv6.sockets();
        this.run = ipv4;
    }

    /** True when both can take a new frame or run: the next packet may be of either family. */
    @Override
    public boolean canStart() {
        for (UnderlaySender s : byFamily) {
            if (!s.canStart()) {
                return false;
            }
        }
        return true;
    }

    @Override
    public boolean canContinue() {
        return run.canContinue();
    }

    @Override
    public void frame(ByteBuf frame, Underlay underlay) {
        byFamily[underlay.family().ordinal()].frame(frame, underlay);
    }

    @Override
    public void beginRun(Underlay underlay, ByteBuf outerHeader, int at) {
        run = byFamily[underlay.family().ordinal()];
        run.beginRun(underlay, outerHeader, at);
    }

    @Override
    public void segment(long header, int headerLength, long payload, int payloadLength) {
        run.segment(header, headerLength, payload, payloadLength);
    }

    @Override
    public boolean flush() {
        for (int f = 0; f < byFamily.length; f++) {
            if (!byFamily[f].flush()) {
                stalled = firstSocket[f] + byFamily[f].stalledSocket();
                return false;
            }
        }
        return true;
    }

    @Override
    public int stalledSocket() {
        return stalled;
    }

    @Override
    public int sockets() {
        return sockets;
    }

    @Override
    public void close() {
        for (UnderlaySender s : byFamily) {
            s.close();
        }
    }
}
