package io.muslin.control.store;

import io.muslin.control.lease.Lease;
import io.muslin.dataplane.packet.Ipv4Prefix;

/**
 * Receives a {@link LeaseStore.Watch}'s changes, on the watch's own thread, one call at a time
 * and in revision order. A listener that throws is logged; the watch goes on.
 */
public interface LeaseListener {
    /** A lease was created or changed at {@code revision}. */
    void put(Lease lease, long revision);

    /** The lease for {@code subnet} was deleted, released or expired at {@code revision}. */
    void delete(Ipv4Prefix subnet, long revision);

    /**
     * The watch fell behind compaction and listed again: {@code snapshot} replaces everything
     * known so far (leases missing from it are gone). Changes after its revision follow.
     */
    void resync(LeaseStore.Snapshot snapshot);

    /** An entry that is not a lease was written at {@code revision}; it is skipped (and logged by the store). */
    default void malformed(LeaseStore.Malformed entry, long revision) {
    }
}
