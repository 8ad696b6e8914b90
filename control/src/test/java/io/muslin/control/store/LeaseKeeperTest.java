package io.muslin.control.store;

import static io.muslin.control.store.EmbeddedLeaseStoreTest.NET_CONF;
import static io.muslin.control.store.EmbeddedLeaseStoreTest.lease;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.muslin.control.lease.Lease;
import io.muslin.control.lease.SubnetAllocator;
import io.muslin.control.store.RecordingListener.Put;
import io.muslin.dataplane.packet.Ipv4Prefix;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A node's own lease on the embedded store: taken, allocated, renewed, and taken again when lost. */
class LeaseKeeperTest {
    private static final Ipv4Prefix NETWORK = Ipv4Prefix.parse("10.244.0.0/16");
    @TempDir
    Path dir;
    private final List<AutoCloseable> open = new ArrayList<>();

    @AfterEach
    void closeAll() throws Exception {
        for (AutoCloseable c : open.reversed()) {
            c.close();
        }
    }

    private EmbeddedLeaseStore store() throws IOException {
        EmbeddedLeaseStore s = EmbeddedLeaseStore.open(dir, NET_CONF);
        open.add(s);
        return s;
    }

    /** Node 9's lease for any subnet. */
    private static final Function<Ipv4Prefix, Lease> NODE9 = subnet -> Lease.vxlan(subnet, lease(9, 9).publicIp(), 1,
        lease(9, 9).vtepMac());

    @Test
    void aWantedSubnetIsTakenOrRefusedNamingWhereItCameFrom() throws Exception {
        EmbeddedLeaseStore s = store();
        SubnetAllocator all = new SubnetAllocator(NETWORK, 24, null, null);
        assertTrue(s.acquire(lease(1, 1), Duration.ofMinutes(1)));
        Lease mine = LeaseKeeper.acquire(s, lease(2, 2).subnet(), "Node.Subnet", all, NODE9, Duration.ofMinutes(1));
        assertEquals(NODE9.apply(lease(2, 2).subnet()), mine);
        IOException e = assertThrows(IOException.class,
            () -> LeaseKeeper.acquire(s, lease(1, 1).subnet(), "Node.Subnet", all, NODE9, Duration.ofMinutes(1)));
        assertEquals("subnet 10.244.1.0/24 is held by another node in the store (Node.Subnet)", e.getMessage());
    }

    @Test
    void anAllocatedSubnetIsOneTheStoreDidNotShowAndAFullRangeIsAnError() throws Exception {
        EmbeddedLeaseStore s = store();
        // a range of three subnets, two of them taken
        SubnetAllocator three = new SubnetAllocator(NETWORK, 24, Ipv4Prefix.parse("10.244.1.0/24"),
            Ipv4Prefix.parse("10.244.3.0/24"));
        assertTrue(s.acquire(lease(1, 1), Duration.ofMinutes(1)));
        assertTrue(s.acquire(lease(3, 3), Duration.ofMinutes(1)));
        Lease mine = LeaseKeeper.acquire(s, null, "", three, NODE9, Duration.ofMinutes(1));
        assertEquals(Ipv4Prefix.parse("10.244.2.0/24"), mine.subnet());
        IOException e = assertThrows(IOException.class, () -> LeaseKeeper.acquire(s, null, "", three,
            subnet -> Lease.vxlan(subnet, lease(8, 8).publicIp(), 1, lease(8, 8).vtepMac()), Duration.ofMinutes(1)));
        assertEquals("no free subnet: all 3 subnets of the network are leased", e.getMessage());
    }

    @Test
    void aLeaseTheStoreLostIsTakenAgainByTheNextRenewalOrAtOnceWhenSaid() throws Exception {
        EmbeddedLeaseStore s = store();
        Duration ttl = Duration.ofSeconds(3); // renewed every second
        Lease own = lease(1, 1);
        assertTrue(s.acquire(own, ttl));
        RecordingListener watch = new RecordingListener();
        open.add(s.watch(s.list().revision() + 1, watch));
        LeaseKeeper keeper = new LeaseKeeper(s, own, ttl, "embedded");
        open.add(keeper);
        keeper.start();

        assertTrue(s.release(own.subnet(), own.publicIp())); // deleted behind the keeper's back
        watch.next(Put.class, p -> p.lease().equals(own)); // the next renewal finds it lost and takes it again
        assertEquals(own, s.list().lease(own.subnet()).orElseThrow());

        assertTrue(s.release(own.subnet(), own.publicIp()));
        keeper.lost("was deleted from the store");
        watch.next(Put.class, p -> p.lease().equals(own));
        assertEquals(own, s.list().lease(own.subnet()).orElseThrow());
    }

    @Test
    void aChangedPublicIpIsWrittenAtOnceAndKeptFromThenOn() throws Exception {
        EmbeddedLeaseStore s = store();
        Duration ttl = Duration.ofMinutes(10); // no renewal of its own during the test
        Lease own = lease(1, 1);
        assertTrue(s.acquire(own, ttl));
        RecordingListener watch = new RecordingListener();
        open.add(s.watch(s.list().revision() + 1, watch));
        LeaseKeeper keeper = new LeaseKeeper(s, own, ttl, "embedded");
        open.add(keeper);
        keeper.start();
        Lease moved = new Lease(own.subnet(), lease(7, 7).publicIp(), own.backendType(), own.vni(), own.vtepMac());
        keeper.update(moved);
        watch.next(Put.class, p -> p.lease().equals(moved));
        assertEquals(moved, s.list().lease(own.subnet()).orElseThrow());
        long deadline = System.nanoTime() + RecordingListener.BOUND.toNanos();
        while (!keeper.lease().equals(moved) && System.nanoTime() < deadline) {
            Thread.sleep(10); // the keeper takes the new lease as its own once the store has it
        }
        assertEquals(moved, keeper.lease(), "kept from then on");
        assertThrows(IllegalArgumentException.class, () -> keeper.update(lease(2, 2)), "another subnet");
    }
}
