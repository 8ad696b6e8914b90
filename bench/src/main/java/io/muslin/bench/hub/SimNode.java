package io.muslin.bench.hub;

import io.muslin.control.lease.Lease;
import io.netty.channel.EventLoopGroup;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;

/**
 * One simulated node: {@link CountingNode} (the protocol spoken directly, a bit per subnet,
 * frames decoded once for all nodes) or {@link ClientNode} (the node's real client,
 * {@code HubLeaseStore}, decoding everything itself).
 */
interface SimNode {
    int index();

    /** Opens the session, acquires the node's lease, lists and watches; done once it watches. */
    CompletableFuture<Void> join(EventLoopGroup group);

    /** Counted down once the node's table holds every simulated node's lease. */
    CountDownLatch complete();

    /** The change being timed now: the node tells it when it sees it. */
    void probe(HubScale.Probe probe);

    /** Renews the node's lease as {@code lease} (a new VTEP MAC: a change every other node sees); waits for the reply. */
    void renew(Lease lease) throws Exception;

    void close();
}
