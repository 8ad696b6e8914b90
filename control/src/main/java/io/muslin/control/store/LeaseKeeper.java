package io.muslin.control.store;

import io.muslin.control.lease.Lease;
import io.muslin.control.lease.SubnetAllocator;
import io.muslin.dataplane.packet.Ipv4Address;
import io.muslin.dataplane.packet.Ipv4Prefix;
import java.io.IOException;
import java.time.Duration;
import java.util.HashSet;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps a node's own lease in a shared store (etcd, a hub), as flanneld's subnet manager does:
 * <ol>
 *   <li>{@link #acquire}: takes the subnet asked for (configured, or kept from an earlier run),
 *       or allocates a free one (flannel's rule, {@link SubnetAllocator}), trying again when
 *       another node takes the one picked first;</li>
 *   <li>{@link #start}: renews it every third of its TTL, sooner after a failed renewal (1-5 s);
 *       a renewal that finds the lease lost (expired while cut off, deleted) takes it again;</li>
 *   <li>{@link #lost}: whoever follows the store (the node's peer source, on its watch) says the
 *       store no longer shows the lease, and it is taken again at once.</li>
 * </ol>
 * While the store is unreachable nothing is given up: renewals go on being tried.
 *
 * <p>Threads: one daemon thread, {@code muslin-lease-renew}, for renewals and re-acquisitions.
 */
public final class LeaseKeeper implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(LeaseKeeper.class);
    /** Attempts to find a free subnet when another node takes the one picked first. */
    public static final int ALLOCATION_ATTEMPTS = 8;

    private final LeaseStore store;
    private volatile Lease own;
    private final Duration ttl;
    private final String name;
    private ScheduledExecutorService renewer;
    /** When the lease was last acquired or renewed (System.nanoTime), and whether the last renewal reached the store. */
    private volatile long renewedNanos = System.nanoTime();
    private volatile boolean lastRenewalOk = true;

    /**
     * @param own  this node's lease, already acquired ({@link #acquire})
     * @param name what logs call the store: {@code etcd} or {@code hub}
     */
    public LeaseKeeper(LeaseStore store, Lease own, Duration ttl, String name) {
        this.store = store;
        this.own = own;
        this.ttl = ttl;
        this.name = name;
    }

    /**
     * Takes this node's subnet in {@code store}: {@code wanted} if given, else a free one of
     * {@code allocator}'s range, chosen at random among those the store's listing does not show.
     *
     * @param wanted     the subnet asked for, or null to allocate one
     * @param wantedFrom where {@code wanted} comes from, for the error when another node holds it
     *                   ({@code "Node.Subnet"}, {@code "kept in /var/lib/muslin/muslin0.subnet; ..."})
     * @param leaseOf    the lease this node announces for a subnet
     * @return the lease held
     * @throws IOException when the store cannot be reached, {@code wanted} is held by another
     *                     node, or no subnet is free
     */
    public static Lease acquire(LeaseStore store, Ipv4Prefix wanted, String wantedFrom, SubnetAllocator allocator,
                                Function<Ipv4Prefix, Lease> leaseOf, Duration ttl) throws IOException {
        if (wanted != null) {
            Lease lease = leaseOf.apply(wanted);
            if (!store.acquire(lease, ttl)) {
                throw new IOException("subnet " + wanted + " is held by another node in the store (" + wantedFrom + ")");
            }
            return lease;
        }
        for (int attempt = 0; attempt < ALLOCATION_ATTEMPTS; attempt++) {
            Set<Ipv4Prefix> taken = new HashSet<>();
            store.list().leases().forEach(l -> taken.add(l.subnet()));
            Optional<Ipv4Prefix> pick = allocator.pick(taken, ThreadLocalRandom.current());
            if (pick.isEmpty()) {
                throw new IOException("no free subnet: all " + allocator.size() + " subnets of the network are leased");
            }
            Lease lease = leaseOf.apply(pick.get());
            if (store.acquire(lease, ttl)) {
                LOG.info("allocated subnet {}", pick.get());
                return lease;
            }
        }
        throw new IOException("could not allocate a subnet after " + ALLOCATION_ATTEMPTS + " attempts (other nodes "
            + "took each one first)");
    }

    /** The lease kept. */
    public Lease lease() {
        return own;
    }

    /**
     * The node's lease changed but for its subnet (a new PublicIP, flannel #760). Stores know a
     * lease's holder by its PublicIP, so the subnet is handed over: released under the old
     * address (compare-and-delete), then acquired under the new one, at once on the renewal
     * thread; the peers see the lease go and come back with the new address. If another node
     * takes the subnet in between, this one has lost it (logged; its pods are unreachable until
     * a restart allocates it another).
     *
     * @throws IllegalArgumentException when {@code changed} is for another subnet
     */
    public synchronized void update(Lease changed) {
        Lease before = own;
        if (!changed.subnet().equals(before.subnet())) {
            throw new IllegalArgumentException("the lease for " + before.subnet() + " cannot become one for "
                + changed.subnet());
        }
        if (renewer == null || changed.publicIp() == before.publicIp()) {
            own = changed;
            if (renewer != null) {
                renewer.execute(this::renew);
            }
            return;
        }
        // The renewal thread moves it, so no renewal of the old lease runs between the two steps.
        renewer.execute(() -> move(before, changed));
    }

    /** Hands the subnet from {@code before}'s PublicIP to {@code after}'s; retried while the store is down. */
    private void move(Lease before, Lease after) {
        try {
            store.release(before.subnet(), before.publicIp());
            if (store.acquire(after, ttl)) {
                own = after;
                renewedNanos = System.nanoTime();
                lastRenewalOk = true;
                LOG.info("{}: our lease for {} is now at {}", name, after.subnet(), Ipv4Address.format(after.publicIp()));
            } else {
                own = after;
                LOG.error("{}: subnet {} was taken by another node while it moved to {}; this node's pods are "
                    + "unreachable", name, after.subnet(), Ipv4Address.format(after.publicIp()));
            }
        } catch (IOException | RuntimeException e) {
            lastRenewalOk = false;
            LOG.warn("{}: cannot move the lease for {} to {}: {} (retrying in {} ms)", name, after.subnet(),
                Ipv4Address.format(after.publicIp()), e.getMessage(), retryEvery());
            synchronized (this) {
                if (renewer != null) {
                    renewer.schedule(() -> move(before, after), retryEvery(), TimeUnit.MILLISECONDS);
                }
            }
        }
    }

    /** When the lease was last acquired or renewed ({@link System#nanoTime()}; its creation before the first renewal). */
    public long renewedNanos() {
        return renewedNanos;
    }

    /** False while the last renewal could not reach the store. */
    public boolean lastRenewalOk() {
        return lastRenewalOk;
    }

    /** Starts renewing, every third of the TTL. */
    public synchronized void start() {
        if (renewer != null) {
            return;
        }
        renewer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "muslin-lease-renew");
            t.setDaemon(true);
            return t;
        });
        renewer.schedule(this::renewAndReschedule, renewEvery(), TimeUnit.MILLISECONDS);
    }

    /** Renewals come every third of the TTL (at least a second apart). */
    long renewEvery() {
        return Math.max(1000, ttl.toMillis() / 3);
    }

    /** After a failed renewal the next try comes sooner: a quarter of the interval, 1-5 s. */
    long retryEvery() {
        return Math.max(1000, Math.min(5000, renewEvery() / 4));
    }

    /** One renewal, then the next one scheduled: soon if this one failed, else a third of the TTL on. */
    private void renewAndReschedule() {
        boolean renewed = renew();
        synchronized (this) {
            if (renewer != null) {
                renewer.schedule(this::renewAndReschedule, renewed ? renewEvery() : retryEvery(), TimeUnit.MILLISECONDS);
            }
        }
    }

    /** Renews the lease (acquiring it again if it was lost); false if the store could not be reached. */
    private boolean renew() {
        try {
            store.renew(own);
            renewedNanos = System.nanoTime();
            lastRenewalOk = true;
            return true;
        } catch (LeaseLostException | IllegalStateException e) {
            // IllegalStateException: an etcd store that no longer holds the lease it acquired
            LOG.warn("{}: our lease for {} was lost ({}); acquiring it again", name, own.subnet(), e.getMessage());
            return reacquire();
        } catch (IOException | RuntimeException e) {
            lastRenewalOk = false;
            LOG.warn("{}: cannot renew the lease for {}: {} (retrying in {} ms)", name, own.subnet(), e.getMessage(),
                retryEvery());
            return false;
        }
    }

    /** Takes the subnet again after it expired or was deleted; false if the store could not be reached. */
    private boolean reacquire() {
        try {
            if (!store.acquire(own, ttl)) {
                LOG.error("{}: subnet {} is now held by another node; this node's pods are unreachable", name,
                    own.subnet());
            } else {
                renewedNanos = System.nanoTime();
                lastRenewalOk = true;
            }
            return true;
        } catch (IOException | RuntimeException e) {
            LOG.warn("{}: cannot acquire {}: {}", name, own.subnet(), e.getMessage());
            return false;
        }
    }

    /**
     * The store no longer shows the lease ({@code how}: deleted by hand, expired while this node
     * was cut off, missing from a listing): it is taken again now, and retried until the store
     * answers. A no-op before {@link #start} and after {@link #close}.
     */
    public synchronized void lost(String how) {
        if (renewer == null) {
            return;
        }
        LOG.warn("{}: our lease for {} {}; acquiring it again", name, own.subnet(), how);
        renewer.execute(this::reacquireOrRetry);
    }

    private void reacquireOrRetry() {
        if (!reacquire()) {
            synchronized (this) {
                if (renewer != null) {
                    renewer.schedule(this::reacquireOrRetry, retryEvery(), TimeUnit.MILLISECONDS);
                }
            }
        }
    }

    /** Stops renewing; the lease is left to expire (or to be taken over on restart), as flannel does. */
    @Override
    public void close() {
        ScheduledExecutorService r;
        synchronized (this) {
            r = renewer;
            renewer = null;
        }
        if (r != null) {
            r.shutdownNow();
        }
    }
}
