package io.muslin.node;

import io.muslin.control.lease.Lease;
import io.muslin.control.program.PeerProgrammer;
import io.muslin.node.metrics.ControlState;
import java.io.IOException;
import java.util.List;

/**
 * Where a node's peers come from. {@link #start} programs the current peers and then keeps the
 * programmer current until {@link #close}; while the source cannot be read, what was programmed
 * stays (the dataplane keeps forwarding on its last-known tables).
 */
interface PeerSource extends AutoCloseable {
    /** Programs the current peers, then follows changes (on a thread of its own) until closed. */
    void start(PeerProgrammer programmer) throws IOException;

    /** What {@code muslin peers} calls this source: {@code static}, {@code etcd}, {@code hub} or {@code bgp}. */
    default String name() {
        return "static";
    }

    /** Where the peers come from now, for {@code muslin stats}: {@code static}, {@code hub 10.0.0.1:8473}, ... */
    default String status() {
        return name();
    }

    /** The source's state for metrics: up, the lease's age, the watch's revision. */
    default ControlState controlState() {
        return ControlState.STATIC;
    }

    /** BGP's sessions ({@code muslin bgp}); null when peers do not come from BGP. */
    default List<io.muslin.control.bgp.speaker.BgpSessionStatus> sessions() {
        return null;
    }

    /** BGP's counters by name ({@code muslin bgp}); empty when peers do not come from BGP. */
    default java.util.Map<String, Long> bgpCounters() {
        return java.util.Map.of();
    }

    /**
     * This node's PublicIP is now {@code publicIp} (its dataplane already runs with it): a
     * source that announces the node's lease announces the new address. Static peers have
     * nothing to announce (the peers' files name it).
     */
    default void publicIpChanged(int publicIp) {
    }

    /** Stops following changes; leaves the programmed peers as they are. */
    @Override
    void close();

    /** A fixed list: programmed once, never changed. */
    static PeerSource fixed(List<Lease> leases) {
        List<Lease> copy = List.copyOf(leases);
        return new PeerSource() {
            @Override
            public void start(PeerProgrammer programmer) {
                copy.forEach(programmer::add);
            }

            @Override
            public void close() {
            }
        };
    }
}
