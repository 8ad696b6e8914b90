package io.muslin.node;

import io.muslin.control.lease.Lease;
import io.muslin.control.lease.SubnetAllocator;
import io.muslin.control.program.PeerProgrammer;
import io.muslin.control.store.LeaseKeeper;
import io.muslin.node.metrics.ControlState;
import io.muslin.control.store.LeaseListener;
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
import java.util.Set;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Peers from a shared lease store (etcd in flannel's layout, or a hub): every other node's
 * lease is programmed from a listing and then from a watch, so a node that stops renewing
 * disappears from the tables when its TTL runs out. This node's own lease is kept by control's
 * {@link LeaseKeeper} (acquired before, renewed every third of its TTL, taken again as soon as
 * the watch shows it gone). While the store is unreachable the programmed peers stay (the
 * dataplane keeps forwarding on its last-known tables) and the watch retries.
 */
final class StorePeerSource implements PeerSource {
    private static final Logger LOG = LoggerFactory.getLogger(StorePeerSource.class);

    private final LeaseStore store;
    private final Lease own;
    private final String name;
    private final Duration ttl;
    private final LeaseKeeper keeper;
    private final Set<Ipv4Prefix> programmedSubnets = new HashSet<>();
    private LeaseStore.Watch watch;
    private PeerProgrammer programmer;
    /** System.nanoTime of the last successful acquisition or renewal. */
    private volatile long watchRevision = -1;

    /**
     * @param own  this node's lease, already acquired ({@link #acquire})
     * @param name what logs and {@code muslin peers} call the store: {@code etcd} or {@code hub}
     */
    StorePeerSource(LeaseStore store, Lease own, Duration ttl, String name) {
        this.store = store;
        this.own = own;
        this.name = name;
        this.ttl = ttl;
        this.keeper = new LeaseKeeper(store, own, ttl, name);
    }

    /**
     * Takes this node's subnet in the store ({@link LeaseKeeper#acquire}): {@code configured} if
     * given, else the one kept in {@code stateFile} from an earlier run, else a free one of
     * {@code allocator}'s range. Writes the subnet to {@code stateFile}. Returns the lease held.
     *
     * @param leaseOf the lease this node announces for a subnet
     * @throws IOException when the store cannot be reached, the configured or kept subnet is
     *                     held by another node, or no subnet is free
     */
    static Lease acquire(LeaseStore store, Ipv4Prefix configured, Path stateFile, SubnetAllocator allocator,
                         Function<Ipv4Prefix, Lease> leaseOf, Duration ttl) throws IOException {
        Ipv4Prefix wanted = configured != null ? configured : kept(stateFile, allocator);
        String from = configured != null ? "Node.Subnet" : "kept in " + stateFile + "; delete it to allocate anew";
        Lease lease = LeaseKeeper.acquire(store, wanted, from, allocator, leaseOf, ttl);
        keep(stateFile, lease.subnet());
        return lease;
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
        boolean up = keeper.lastRenewalOk() && !store.where().contains("reconnecting");
        return new ControlState(name, up, (System.nanoTime() - keeper.renewedNanos()) / 1e9, watchRevision);
    }

    @Override
    public synchronized void start(PeerProgrammer programmer) throws IOException {
        this.programmer = programmer;
        LeaseStore.Snapshot snapshot = store.list();
        watchRevision = snapshot.revision();
        replaceAll(snapshot.leases());
        watch = store.watch(snapshot.revision() + 1, new Listener());
        keeper.start();
        LOG.info("{}: lease {} held for {}s, {} peer(s) programmed", name, own.subnet(), ttl.toSeconds(),
            programmedSubnets.size());
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
                keeper.lost("was deleted from the store");
                return;
            }
            StorePeerSource.this.delete(subnet);
        }

        @Override
        public void resync(LeaseStore.Snapshot snapshot) {
            watchRevision = snapshot.revision();
            replaceAll(snapshot.leases());
            if (snapshot.lease(own.subnet()).isEmpty()) {
                keeper.lost("is missing from the store's listing");
            }
        }
    }

    /** Stops renewing and watching and closes the store; our lease is left to expire (or to be taken over on restart). */
    @Override
    public void publicIpChanged(int publicIp) {
        Lease own = keeper.lease();
        keeper.update(new Lease(own.subnet(), publicIp, own.backendType(), own.vni(), own.vtepMac()));
    }

    @Override
    public void close() {
        keeper.close();
        LeaseStore.Watch w;
        synchronized (this) {
            w = watch;
            watch = null;
        }
        if (w != null) {
            w.close();
        }
        store.close();
    }
}
