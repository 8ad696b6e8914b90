package io.muslin.node;

import io.muslin.control.lease.Lease;
import io.muslin.control.lease.SubnetAllocator;
import io.muslin.control.program.PeerProgrammer;
import io.muslin.node.metrics.ControlState;
import io.muslin.control.store.LeaseListener;
import io.muslin.control.store.LeaseLostException;
import io.muslin.control.store.LeaseStore;
import io.muslin.dataplane.packet.Ipv4Prefix;
import io.muslin.node.state.AtomicFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
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
 * Peers from a shared lease store (etcd in flannel's layout, or a hub): this node's lease is
 * acquired (its subnet kept across restarts, or allocated) and renewed every third of its TTL;
 * every other node's lease is programmed from a listing and then from a watch, so a node that
 * stops renewing disappears from the tables when its TTL runs out. While the store is
 * unreachable the programmed peers stay (the dataplane keeps forwarding on its last-known
 * tables) and the watch retries.
 */
final class StorePeerSource implements PeerSource {
    private static final Logger LOG = LoggerFactory.getLogger(StorePeerSource.class);
    /** Attempts to find a free subnet when another node takes the one picked first. */
    static final int ALLOCATION_ATTEMPTS = 8;

    private final LeaseStore store;
    private final Lease own;
    private final Duration ttl;
    private final String name;
    private final Set<Ipv4Prefix> programmedSubnets = new HashSet<>();
    private ScheduledExecutorService renewer;
    private LeaseStore.Watch watch;
    private PeerProgrammer programmer;
    /** System.nanoTime of the last successful acquisition or renewal. */
    private volatile long leaseRenewedNanos = System.nanoTime();
    private volatile boolean lastRenewalOk = true;
    private volatile long watchRevision = -1;

    /**
     * @param own  this node's lease, already acquired ({@link #acquire})
     * @param name what logs and {@code muslin peers} call the store: {@code etcd} or {@code hub}
     */
    StorePeerSource(LeaseStore store, Lease own, Duration ttl, String name) {
        this.store = store;
        this.own = own;
        this.ttl = ttl;
        this.name = name;
    }

    /**
     * Takes this node's subnet in the store: {@code configured} if given, else the one kept in
     * {@code stateFile} from an earlier run, else a free one of {@code allocator}'s range. Writes
     * the subnet to {@code stateFile}. Returns the lease held.
     *
     * @param leaseOf the lease this node announces for a subnet
     * @throws IOException when the store cannot be reached, the configured or kept subnet is
     *                     held by another node, or no subnet is free
     */
    static Lease acquire(LeaseStore store, Ipv4Prefix configured, Path stateFile, SubnetAllocator allocator,
                         Function<Ipv4Prefix, Lease> leaseOf, Duration ttl) throws IOException {
        Ipv4Prefix wanted = configured != null ? configured : kept(stateFile, allocator);
        if (wanted != null) {
            Lease lease = leaseOf.apply(wanted);
            if (!store.acquire(lease, ttl)) {
                throw new IOException("subnet " + wanted + " is held by another node in the store"
                    + (configured != null ? " (Node.Subnet)" : " (kept in " + stateFile + "; delete it to allocate anew)"));
            }
            keep(stateFile, wanted);
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
                keep(stateFile, pick.get());
                LOG.info("allocated subnet {}", pick.get());
                return lease;
            }
        }
        throw new IOException("could not allocate a subnet after " + ALLOCATION_ATTEMPTS + " attempts (other nodes "
            + "took each one first)");
    }

    private static Ipv4Prefix kept(Path stateFile, SubnetAllocator allocator) throws IOException {
        if (!Files.exists(stateFile)) {
            return null;
        }
        String text = Files.readString(stateFile, StandardCharsets.UTF_8).strip();
        try {
            Ipv4Prefix p = Ipv4Prefix.parse(text);
            if (allocator.inRange(p)) {
                return p;
            }
        } catch (IllegalArgumentException e) {
            // fall through: allocate anew
        }
        LOG.warn("ignoring {}: \"{}\" is not a subnet of this network", stateFile, text);
        return null;
    }

    private static void keep(Path stateFile, Ipv4Prefix subnet) throws IOException {
        Files.createDirectories(stateFile.getParent());
        AtomicFiles.write(stateFile, subnet + "\n", AtomicFiles.WORLD_READABLE);
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public String status() {
        return store.where();
    }

    @Override
    public ControlState controlState() {
        boolean up = lastRenewalOk && !store.where().contains("reconnecting");
        return new ControlState(name, up, (System.nanoTime() - leaseRenewedNanos) / 1e9, watchRevision);
    }

    @Override
    public synchronized void start(PeerProgrammer programmer) throws IOException {
        this.programmer = programmer;
        LeaseStore.Snapshot snapshot = store.list();
        watchRevision = snapshot.revision();
        replaceAll(snapshot.leases());
        watch = store.watch(snapshot.revision() + 1, new Listener());
        renewer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "muslin-lease-renew");
            t.setDaemon(true);
            return t;
        });
        renewer.schedule(this::renewAndReschedule, renewEvery(), TimeUnit.MILLISECONDS);
        LOG.info("{}: lease {} held for {}s, {} peer(s) programmed", name, own.subnet(), ttl.toSeconds(),
            programmedSubnets.size());
    }

    /** Renewals come every third of the TTL (at least a second apart). */
    private long renewEvery() {
        return Math.max(1000, ttl.toMillis() / 3);
    }

    /** After a failed renewal the next try comes sooner: a quarter of the interval, 1-5 s. */
    private long retryEvery() {
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

    /** Renews our lease (acquiring it again if it was lost); false if the store could not be reached. */
    private boolean renew() {
        try {
            store.renew(own);
            leaseRenewedNanos = System.nanoTime();
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

    /** Takes our subnet again after it expired or was deleted; false if the store could not be reached. */
    private boolean reacquire() {
        try {
            if (!store.acquire(own, ttl)) {
                LOG.error("{}: subnet {} is now held by another node; this node's pods are unreachable", name,
                    own.subnet());
            } else {
                leaseRenewedNanos = System.nanoTime();
                lastRenewalOk = true;
            }
            return true;
        } catch (IOException | RuntimeException e) {
            LOG.warn("{}: cannot acquire {}: {}", name, own.subnet(), e.getMessage());
            return false;
        }
    }

    /** The store no longer shows our lease (deleted by hand, expired while we were cut off): take it again now. */
    private synchronized void ownLeaseGone(String how) {
        if (renewer == null) {
            return;
        }
        LOG.warn("{}: our lease for {} {}; acquiring it again", name, own.subnet(), how);
        renewer.execute(() -> {
            if (!reacquire()) {
                synchronized (this) {
                    if (renewer != null) {
                        renewer.schedule(this::reacquire, retryEvery(), TimeUnit.MILLISECONDS);
                    }
                }
            }
        });
    }

    private synchronized void put(Lease lease) {
        if (lease.subnet().equals(own.subnet())) {
            return;
        }
        try {
            programmer.add(lease);
            programmedSubnets.add(lease.subnet());
        } catch (RuntimeException e) {
            LOG.warn("{}: lease for {} not programmed: {}", name, lease.subnet(), e.getMessage());
        }
    }

    private synchronized void delete(Ipv4Prefix subnet) {
        if (programmedSubnets.remove(subnet)) {
            programmer.remove(subnet);
        }
    }

    private synchronized void replaceAll(List<Lease> leases) {
        Set<Ipv4Prefix> now = new HashSet<>();
        leases.forEach(l -> now.add(l.subnet()));
        for (Ipv4Prefix gone : List.copyOf(programmedSubnets)) {
            if (!now.contains(gone)) {
                delete(gone);
            }
        }
        leases.forEach(this::put);
    }

    /** Called on the watch's thread, one event at a time. */
    private final class Listener implements LeaseListener {
        @Override
        public void put(Lease lease, long revision) {
            watchRevision = revision;
            StorePeerSource.this.put(lease);
        }

        @Override
        public void delete(Ipv4Prefix subnet, long revision) {
            watchRevision = revision;
            if (subnet.equals(own.subnet())) {
                ownLeaseGone("was deleted from the store");
                return;
            }
            StorePeerSource.this.delete(subnet);
        }

        @Override
        public void resync(LeaseStore.Snapshot snapshot) {
            watchRevision = snapshot.revision();
            replaceAll(snapshot.leases());
            if (snapshot.lease(own.subnet()).isEmpty()) {
                ownLeaseGone("is missing from the store's listing");
            }
        }
    }

    /** Stops renewing and watching and closes the store; our lease is left to expire (or to be taken over on restart). */
    @Override
    public void close() {
        ScheduledExecutorService r;
        LeaseStore.Watch w;
        synchronized (this) {
            r = renewer;
            w = watch;
            renewer = null;
            watch = null;
        }
        if (r != null) {
            r.shutdownNow();
        }
        if (w != null) {
            w.close();
        }
        store.close();
    }
}
