package io.muslin.control.store;

import io.muslin.control.lease.Lease;
import io.muslin.dataplane.packet.Ipv4Prefix;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A shared store of leases in flannel's model: the etcd store ({@link EtcdLeaseStore}), the
 * hub's own store ({@link EmbeddedLeaseStore}) and a node's session with a hub
 * ({@code io.muslin.control.hub.client.HubLeaseStore}) implement it.
 *
 * <p>Errors: a store that cannot be reached (or answers with an error) is an
 * {@link IOException} whose message names the store's endpoints. A value that does not parse
 * is never thrown: {@link #list} reports it in {@link Snapshot#malformed()} and a watch passes it
 * to {@link LeaseListener#malformed}.
 *
 * <p>Implementations are thread-safe. A store is closed with {@link #close()}, which also
 * closes its open watches.
 */
public interface LeaseStore extends AutoCloseable {

    /** Where the leases are, for logs and {@code muslin stats}: {@code etcd at http://...}, {@code hub 10.0.0.1:8473}. */
    default String where() {
        return getClass().getSimpleName();
    }

    /** The network configuration ({@code <prefix>/config}, flannel's net-conf.json), if there is one. */
    Optional<String> networkConfig() throws IOException;

    /**
     * Takes {@code lease.subnet()} for this node, for {@code ttl} unless {@link #renew renewed}.
     * Creates the entry if it is absent. If it exists and holds a lease with the same PublicIP,
     * it is ours (from before a restart) and is taken over with this lease's value; flannel
     * decides ownership the same way.
     *
     * @return false if the subnet is held by another node (a different PublicIP, or a value that
     *         does not parse); nothing is changed then
     */
    default boolean acquire(Lease lease, Duration ttl) throws IOException {
        return acquireWritten(lease, ttl).done();
    }

    /** As {@link #acquire}, with the revision of the change it made ({@link Written}). */
    Written acquireWritten(Lease lease, Duration ttl) throws IOException;

    /**
     * Extends a lease taken with {@link #acquire} by its TTL, and writes the value again if
     * {@code lease} differs from what is stored.
     *
     * @throws LeaseLostException if the entry has expired, was deleted, or is held by someone else
     * @throws IllegalStateException if this store never acquired the subnet and needs to have
     *         (etcd, whose lease ids are per client; the embedded store and the hub accept a
     *         renewal of any entry with the same PublicIP)
     */
    default void renew(Lease lease) throws IOException {
        renewWritten(lease);
    }

    /** As {@link #renew}, with the revision of the entry's value ({@link Written}). */
    Written renewWritten(Lease lease) throws IOException;

    /**
     * Deletes the entry for {@code subnet} and ends its TTL, if it still holds a lease with
     * {@code publicIp}: one atomic compare-and-delete, so a release that arrives after another
     * node took the subnet over deletes nothing. Idempotent.
     *
     * @return true if an entry was deleted
     */
    default boolean release(Ipv4Prefix subnet, int publicIp) throws IOException {
        return releaseWritten(subnet, publicIp).done();
    }

    /** As {@link #release}, with the revision of the delete. */
    Written releaseWritten(Ipv4Prefix subnet, int publicIp) throws IOException;

    /** All leases now, with the store's revision at that moment. */
    Snapshot list() throws IOException;

    /**
     * Follows changes from {@code fromRevision} (inclusive; usually {@code list().revision() + 1}).
     * The listener is called on one thread of the watch's own, in revision order, never
     * concurrently. When {@code fromRevision} has been compacted away the watch lists again, calls
     * {@link LeaseListener#resync} and continues after the listing's revision. Connection losses
     * are retried until {@link Watch#close()}.
     */
    Watch watch(long fromRevision, LeaseListener listener);

    /** Closes open watches and the connection. */
    @Override
    void close();

    /**
     * What a write did: whether it took effect, and the store revision at which the entry came to
     * be as it now stands: the revision of the change the call made, or, when it changed nothing
     * (a renewal, an acquire of the value already stored), of the change that wrote that value;
     * 0 for a refusal. A server that answers reads from a copy of the store fed by a
     * {@link #watch} (the hub) holds its acknowledgement until the copy has reached
     * {@code revision}, so that its client reads its own writes.
     */
    record Written(boolean done, long revision) {
        public static final Written REFUSED = new Written(false, 0);

        public Written {
            if (revision < 0 || !done && revision != 0) {
                throw new IllegalArgumentException("Written(" + done + ", " + revision + "): a revision belongs to a change made");
            }
        }

        /** Done; the entry is as written at {@code revision}. */
        public static Written at(long revision) {
            return new Written(true, revision);
        }
    }

    /**
     * A listing.
     *
     * @param revision  the store's revision the listing reflects
     * @param leases    the leases that parsed, in key order
     * @param malformed the entries that did not parse
     */
    record Snapshot(long revision, List<Lease> leases, List<Malformed> malformed) {
        public Snapshot {
            leases = List.copyOf(leases);
            malformed = List.copyOf(malformed);
        }

        /** The lease for {@code subnet}, if the listing has one. */
        public Optional<Lease> lease(Ipv4Prefix subnet) {
            return leases.stream().filter(l -> l.subnet().equals(subnet)).findFirst();
        }
    }

    /**
     * An entry that is not a lease: a key that is not a subnet, or a value that does not parse.
     *
     * @param key   the full key, e.g. {@code /coreos.com/network/subnets/10.244.9.0-24}
     * @param error why it was skipped, naming the field
     */
    record Malformed(String key, String error) {
        public Malformed {
            Objects.requireNonNull(key, "key");
            Objects.requireNonNull(error, "error");
        }

        @Override
        public String toString() {
            return key + ": " + error;
        }
    }

    /** An open watch. */
    interface Watch extends AutoCloseable {
        /** Stops the watch; no listener call starts after this returns. Idempotent. */
        @Override
        void close();
    }
}
