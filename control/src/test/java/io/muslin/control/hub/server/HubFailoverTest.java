package io.muslin.control.hub.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.muslin.control.hub.client.HubClientSettings;
import io.muslin.control.hub.client.HubEndpoint;
import io.muslin.control.hub.client.HubLeaseStore;
import io.muslin.control.lease.Lease;
import io.muslin.control.store.EtcdLeaseStore;
import io.muslin.control.store.EtcdServer;
import io.muslin.control.store.LeaseLostException;
import io.muslin.control.store.LeaseStore;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Two hubs on one etcd (Debian's etcd-server, started by the test): nodes on either hub see
 * each other's leases, and a node whose hub stops moves to the other, resumes its watch and
 * keeps its lease.
 */
class HubFailoverTest {
    @RegisterExtension
    static final EtcdServer ETCD = new EtcdServer();
    private static final Duration TTL = Duration.ofMinutes(10);

    private final List<AutoCloseable> open = new ArrayList<>();

    @AfterEach
    void closeAll() throws Exception {
        for (int i = open.size() - 1; i >= 0; i--) {
            open.get(i).close();
        }
    }

    private HubServer hub(String prefix) throws IOException {
        EtcdLeaseStore store = EtcdLeaseStore.open(ETCD.config(prefix));
        open.add(store);
        ETCD.etcdctl("put", prefix + "/config", "{\"Network\":\"10.244.0.0/16\",\"SubnetLen\":24}");
        HubServer hub = HubServer.start(HubServer.Settings.insecure(new InetSocketAddress("127.0.0.1", 0))
            .withHeartbeat(Duration.ofSeconds(1)), store);
        open.add(hub);
        return hub;
    }

    private HubLeaseStore node(String name, HubServer... hubs) throws IOException {
        List<HubEndpoint> endpoints = new ArrayList<>();
        for (HubServer h : hubs) {
            endpoints.add(new HubEndpoint("127.0.0.1", h.address().getPort()));
        }
        HubLeaseStore store = HubLeaseStore.open(HubClientSettings.of(endpoints, null, name)
            .withHeartbeat(Duration.ofSeconds(1)).withMaxBackoff(Duration.ofMillis(200))
            .withTimeouts(Duration.ofSeconds(2), Duration.ofSeconds(10)));
        open.add(store);
        return store;
    }


    @Test
    void nodesOnTwoHubsShareLeasesAndMoveWhenTheirHubStops() throws Exception {
        HubServer a = hub("/muslin-test/failover");
        HubServer b = hub("/muslin-test/failover");
        HubLeaseStore n1 = node("node1", a, b);
        HubLeaseStore n2 = node("node2", b, a);
        assertTrue(n1.acquire(HubServerTest.lease(1), TTL));
        assertTrue(n2.acquire(HubServerTest.lease(2), TTL));
        LeaseTable t1 = LeaseTable.follow(n1, open);
        LeaseTable t2 = LeaseTable.follow(n2, open);
        t1.awaitExactly(Set.of(HubServerTest.lease(1), HubServerTest.lease(2)));
        t2.awaitExactly(Set.of(HubServerTest.lease(1), HubServerTest.lease(2)));
        assertEquals("127.0.0.1:" + a.address().getPort(), n1.hub());

        a.close();
        open.remove(a);
        // node 1's next renewal reaches hub b, which never took its lease: lost, and taken over
        // again with the same PublicIP (what the node's peer source does on LeaseLostException)
        assertThrows(LeaseLostException.class, () -> n1.renew(HubServerTest.lease(1)));
        assertTrue(n1.acquire(HubServerTest.lease(1), TTL));
        n1.renew(HubServerTest.lease(1));
        assertEquals("127.0.0.1:" + b.address().getPort(), n1.hub());

        assertTrue(n2.acquire(HubServerTest.lease(3), TTL));
        t1.awaitExactly(Set.of(HubServerTest.lease(1), HubServerTest.lease(2), HubServerTest.lease(3)));
        n2.release(HubServerTest.lease(3).subnet(), HubServerTest.lease(3).publicIp());
        t1.awaitExactly(Set.of(HubServerTest.lease(1), HubServerTest.lease(2)));
        t2.awaitExactly(Set.of(HubServerTest.lease(1), HubServerTest.lease(2)));
    }
}
