package io.muslin.bench.hub;

import io.muslin.control.hub.client.HubClientSettings;
import io.muslin.control.hub.client.HubEndpoint;
import io.muslin.control.hub.client.HubLeaseStore;
import io.muslin.control.lease.Lease;
import io.muslin.control.store.LeaseListener;
import io.muslin.control.store.LeaseStore;
import io.muslin.dataplane.packet.Ipv4Prefix;
import io.netty.channel.EventLoopGroup;
import io.netty.handler.ssl.SslContext;
import java.time.Duration;
import java.util.BitSet;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;

/**
 * A simulated node on the node's real client: {@link HubLeaseStore} (its session, its
 * decoding of every frame, its watch thread), joining as the node's lease keeper and peer
 * source do: acquire, list, watch from the list's revision + 1. Its listener checks every lease
 * ({@link SharedFrames#check}) and keeps a bit per subnet.
 */
final class ClientNode implements SimNode, LeaseListener {
    private final int index;
    private final String name;
    private final int nodes;
    private final SslContext ssl;
    private final HubEndpoint hub;
    private final SharedFrames checker;
    private final Executor joiners;
    private final CountDownLatch complete = new CountDownLatch(1);
    private final BitSet table = new BitSet();
    private HubLeaseStore store;
    private volatile HubScale.Probe probe;

    ClientNode(int index, String name, int nodes, SslContext ssl, HubEndpoint hub, SharedFrames checker, Executor joiners) {
        this.index = index;
        this.name = name;
        this.nodes = nodes;
        this.ssl = ssl;
        this.hub = hub;
        this.checker = checker;
        this.joiners = joiners;
    }

    @Override
    public int index() {
        return index;
    }

    @Override
    public CompletableFuture<Void> join(EventLoopGroup group) {
        return CompletableFuture.runAsync(() -> {
            try {
                HubClientSettings settings = HubClientSettings.of(List.of(hub), ssl, name)
                    .withTimeouts(Duration.ofSeconds(60), Duration.ofSeconds(60));
                store = HubLeaseStore.open(settings, group, null);
                if (!store.acquire(HubScale.lease(index, index), Duration.ofHours(1))) {
                    throw new IllegalStateException(name + ": subnet is held");
                }
                LeaseStore.Snapshot s = store.list();
                resync(s);
                store.watch(s.revision() + 1, this);
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(name + " (client): " + e.getMessage(), e);
            }
        }, joiners);
    }

    @Override
    public CountDownLatch complete() {
        return complete;
    }

    @Override
    public void probe(HubScale.Probe p) {
        probe = p;
    }

    @Override
    public void renew(Lease lease) throws Exception {
        store.renew(lease);
    }

    @Override
    public void close() {
        if (store != null) {
            store.close();
        }
    }

    @Override
    public synchronized void put(Lease lease, long revision) {
        table.set(checker.check(lease));
        HubScale.Probe p = probe;
        if (p != null && p.lease().equals(lease)) {
            p.seen(index);
        }
        checkComplete();
    }

    @Override
    public synchronized void delete(Ipv4Prefix subnet, long revision) {
        int i = HubScale.indexOf(subnet);
        if (i >= 0) {
            table.clear(i);
        }
    }

    @Override
    public synchronized void resync(LeaseStore.Snapshot snapshot) {
        table.clear();
        snapshot.leases().forEach(l -> table.set(checker.check(l)));
        checkComplete();
    }

    private void checkComplete() {
        if (table.cardinality() == nodes) {
            complete.countDown();
        }
    }
}
