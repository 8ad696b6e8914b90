package io.muslin.bench.hub;

import io.muslin.control.hub.protocol.HubCodec;
import io.muslin.control.hub.protocol.HubMessage;
import io.muslin.control.lease.Lease;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * The hub's frames as the simulated {@link CountingNode}s read them, decoded once for all of
 * them. The hub encodes a change or a snapshot chunk once and writes the same bytes to every
 * session; a simulation of thousands of nodes would otherwise parse each of those frames once
 * per node (N² JSON parses for a join of N nodes), and measure itself rather than the hub.
 *
 * <p>A frame is looked up by its bytes: a 32-bit hash and the length find a candidate, and the
 * candidate is used only if every byte is equal, so what a node applies is exactly what its
 * session carried. A frame not seen before is decoded by the protocol's own strict codec
 * ({@link HubCodec#read}) and each lease in it checked against the lease its simulated node
 * holds ({@link #check}); Put, Delete and Leases frames are kept for the next node. Replies,
 * Welcomes and the like are one session's own and are decoded every time.
 */
final class SharedFrames {
    /** What a frame says: the message, and for Put, Delete and Leases the simulated node indexes of their subnets. */
    record Decoded(HubMessage message, int[] nodes) {
    }

    private record Entry(byte[] bytes, Decoded decoded) {
    }

    /** Kept frames stop being added past this many bytes (the simulation then decodes more, and says so). */
    private static final long MAX_CACHED_BYTES = 512L << 20;

    private final int nodes;
    private final ConcurrentHashMap<Long, Entry> cache = new ConcurrentHashMap<>();
    private final AtomicLong cachedBytes = new AtomicLong();
    final LongAdder hits = new LongAdder();
    final LongAdder decodes = new LongAdder();

    SharedFrames(int nodes) {
        this.nodes = nodes;
    }

    /** Decodes {@code frame} (borrowed; its reader index does not move). */
    Decoded decode(ByteBuf frame) {
        int length = frame.readableBytes();
        long key = ((long) ByteBufUtil.hashCode(frame) << 32) | length;
        Entry e = cache.get(key);
        if (e != null && ByteBufUtil.equals(frame, frame.readerIndex(), Unpooled.wrappedBuffer(e.bytes()), 0, length)) {
            hits.increment();
            return e.decoded();
        }
        decodes.increment();
        HubMessage m = HubCodec.read(frame.duplicate());
        Decoded d = switch (m) {
            case HubMessage.Put p -> new Decoded(p, new int[] {check(p.lease())});
            case HubMessage.Leases l -> new Decoded(l, check(l.leases()));
            case HubMessage.Delete del -> new Decoded(del, new int[] {HubScale.indexOf(del.subnet())});
            default -> new Decoded(m, null);
        };
        if (d.nodes() != null && cachedBytes.addAndGet(length) <= MAX_CACHED_BYTES) {
            cache.put(key, new Entry(ByteBufUtil.getBytes(frame), d));
        }
        return d;
    }

    private int[] check(List<Lease> leases) {
        int[] out = new int[leases.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = check(leases.get(i));
        }
        return out;
    }

    /**
     * The simulated node whose lease {@code lease} is, after checking it is that node's: its
     * subnet, PublicIP, backend, VNI and the VTEP MAC the simulation gives it (the node's index
     * in the low 20 bits, see {@link HubScale#lease}). Anything else is a wrong table.
     */
    int check(Lease lease) {
        int i = HubScale.indexOf(lease.subnet());
        if (i < 0 || i >= nodes || lease.publicIp() != HubScale.publicIp(i) || !lease.isVxlan() || lease.vni() != 1
            || (lease.vtepMac() & 0xFFFFF) != i || (lease.vtepMac() >>> 40) != 0x6e) {
            throw new IllegalStateException("the hub sent a lease no simulated node holds: " + lease);
        }
        return i;
    }

    /** Frames kept now. */
    int size() {
        return cache.size();
    }
}
