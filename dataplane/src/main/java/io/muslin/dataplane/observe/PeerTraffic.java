package io.muslin.dataplane.observe;

import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Packets and bytes per peer (underlay IPv4 address), each way, for one dataplane thread. At most
 * {@link #LIMIT} peers get their own slot, first come first served; the traffic of any other
 * peer is summed in the {@link #OTHER} slot, so metrics stay bounded however many peers there are.
 *
 * <p>Single writer (the thread; open addressing, no allocation), any reader: a slot's key is
 * published with a release store after its counts exist, counts are written opaque.
 */
final class PeerTraffic {
    /** Peers with a slot of their own. */
    static final int LIMIT = 256;
    /** Slot of every peer beyond the limit. */
    static final int OTHER = 2 * LIMIT;
    private static final int SLOTS = 2 * LIMIT;
    static final int TX_PACKETS = 0;
    static final int TX_BYTES = 1;
    static final int RX_PACKETS = 2;
    static final int RX_BYTES = 3;
    private static final int FIELDS = 4;

    /** Key per slot: address + 1 (so 0 is "empty"); kept as long-width ints. */
    private final AtomicIntegerArray keys = new AtomicIntegerArray(SLOTS);
    private final AtomicLongArray counts = new AtomicLongArray((SLOTS + 1) * FIELDS);
    private final int[] addresses = new int[SLOTS];
    private int used;

    void sent(int peer, long packets, long bytes) {
        add(slot(peer), TX_PACKETS, packets, bytes);
    }

    void received(int peer, long packets, long bytes) {
        add(slot(peer), RX_PACKETS, packets, bytes);
    }

    private void add(int slot, int field, long packets, long bytes) {
        int i = slot * FIELDS + field;
        counts.setOpaque(i, counts.getPlain(i) + packets);
        counts.setOpaque(i + 1, counts.getPlain(i + 1) + bytes);
    }

    private int slot(int peer) {
        int h = Integer.hashCode(peer * 0x9E3779B9) >>> 23; // 9 bits: 0..511
        for (int probe = 0; probe < SLOTS; probe++) {
            int s = (h + probe) & (SLOTS - 1);
            int k = keys.getPlain(s);
            if (k == peer + 1 && addresses[s] == peer) {
                return s;
            }
            if (k == 0) {
                if (used == LIMIT) {
                    return OTHER;
                }
                used++;
                addresses[s] = peer;
                keys.setRelease(s, peer + 1);
                return s;
            }
        }
        return OTHER;
    }

    /** Reader: calls {@code visitor} for each peer with a slot, then for {@link #OTHER} (address 0). */
    void forEach(Visitor visitor) {
        for (int s = 0; s < SLOTS; s++) {
            int k = keys.getAcquire(s);
            if (k != 0) {
                visit(visitor, s, k - 1);
            }
        }
        visit(visitor, OTHER, 0);
    }

    private void visit(Visitor visitor, int slot, int address) {
        int i = slot * FIELDS;
        visitor.peer(address, counts.getOpaque(i + TX_PACKETS), counts.getOpaque(i + TX_BYTES),
            counts.getOpaque(i + RX_PACKETS), counts.getOpaque(i + RX_BYTES));
    }

    /** One peer's totals; address 0 stands for every peer beyond the limit. */
    @FunctionalInterface
    interface Visitor {
        void peer(int address, long txPackets, long txBytes, long rxPackets, long rxBytes);
    }
}
