package io.muslin.control.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.muslin.control.lease.Lease;
import io.muslin.control.lease.LeaseJson;
import io.muslin.dataplane.packet.Ipv4Address;
import io.muslin.dataplane.packet.Ipv4Prefix;
import io.muslin.dataplane.packet.Ipv6Address;
import io.muslin.dataplane.packet.Ipv6Prefix;
import io.muslin.dataplane.packet.MacAddress;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@link EtcdLeaseStore} against a real etcd ({@link EtcdServer}). Each test has a prefix of its
 * own, except the flannel-format test, which uses flannel's default prefix.
 */
class EtcdLeaseStoreTest {
    @RegisterExtension
    static final EtcdServer ETCD = new EtcdServer();

    /** Short enough to see expiry in a test; etcd's minimum with its default election timeout. */
    private static final Duration SHORT_TTL = Duration.ofSeconds(2);
    private static final Duration LONG_TTL = Duration.ofMinutes(10);
    private static final Ipv4Prefix SUBNET_1 = Ipv4Prefix.parse("10.244.1.0/24");
    private static final Ipv4Prefix SUBNET_2 = Ipv4Prefix.parse("10.244.2.0/24");

    private final List<AutoCloseable> closeAfter = new ArrayList<>();
    private String prefix;
    private Client raw;

    @BeforeEach
    void setUp(TestInfo info) {
        prefix = "/muslin-test/" + info.getTestMethod().orElseThrow().getName();
        raw = Client.builder().endpoints(ETCD.endpoint()).build();
        closeAfter.add(raw);
    }

    @AfterEach
    void tearDown() throws Exception {
        for (AutoCloseable c : closeAfter.reversed()) {
            c.close();
        }
    }

    private EtcdLeaseStore store() throws IOException {
        return store(prefix);
    }

    private EtcdLeaseStore store(String keyPrefix) throws IOException {
        EtcdLeaseStore store = EtcdLeaseStore.open(ETCD.config(keyPrefix));
        closeAfter.add(store);
        return store;
    }

    private static Lease lease(Ipv4Prefix subnet, String publicIp, int macLastOctet) {
        return Lease.vxlan(subnet, Ipv4Address.parse(publicIp), 1, MacAddress.parse("6e:75:73:00:00:0" + macLastOctet));
    }

    private void rawPut(String key, String value) throws Exception {
        raw.getKVClient().put(bytes(key), bytes(value)).get(30, TimeUnit.SECONDS);
    }

    private long revision() throws Exception {
        return raw.getKVClient().get(bytes("/")).get(30, TimeUnit.SECONDS).getHeader().getRevision();
    }

    private static ByteSequence bytes(String s) {
        return ByteSequence.from(s, StandardCharsets.UTF_8);
    }

    @Test
    void networkConfigReadsTheConfigKey() throws Exception {
        EtcdLeaseStore store = store();
        assertTrue(store.networkConfig().isEmpty());
        String netConf = "{\"Network\":\"10.244.0.0/16\",\"SubnetLen\":24,\"Backend\":{\"Type\":\"vxlan\"}}";
        rawPut(prefix + "/config", netConf);
        assertEquals(netConf, store.networkConfig().orElseThrow());
    }

    @Test
    void acquireCreatesIfAbsentAndRefusesAnotherNode() throws Exception {
        EtcdLeaseStore node1 = store();
        EtcdLeaseStore node2 = store();
        Lease mine = lease(SUBNET_1, "192.168.50.1", 1);
        assertTrue(node1.acquire(mine, LONG_TTL));
        assertFalse(node2.acquire(lease(SUBNET_1, "192.168.50.2", 2), LONG_TTL), "another PublicIP must be refused");

        LeaseStore.Snapshot snapshot = node2.list();
        assertEquals(List.of(mine), snapshot.leases());
        assertEquals(List.of(), snapshot.malformed());
        assertEquals(LeaseJson.toValueJson(mine), storedValue(prefix + "/subnets/10.244.1.0-24"));
        assertTrue(node2.acquire(lease(SUBNET_2, "192.168.50.2", 2), LONG_TTL), "a free subnet is granted");
        assertEquals(2, node1.list().leases().size());
    }

    @Test
    void samePublicIpTakesOverAfterARestart() throws Exception {
        EtcdLeaseStore before = store();
        Lease old = lease(SUBNET_1, "192.168.50.1", 1);
        assertTrue(before.acquire(old, LONG_TTL));

        EtcdLeaseStore after = store(); // the node restarted: a new store, the key still there
        Lease renewed = lease(SUBNET_1, "192.168.50.1", 3);
        assertTrue(after.acquire(renewed, LONG_TTL));
        assertEquals(List.of(renewed), after.list().leases());
        after.renew(renewed);

        LeaseLostException lost = assertThrows(LeaseLostException.class, () -> before.renew(old));
        assertTrue(lost.getMessage().contains("held by someone else"), lost.getMessage());
        assertTrue(lost.getMessage().contains(ETCD.endpoint().toString()), lost.getMessage());
    }

    @Test
    void ttlExpiryIsADeleteEvent() throws Exception {
        EtcdLeaseStore store = store();
        RecordingListener events = new RecordingListener();
        closeAfter.add(store.watch(store.list().revision() + 1, events));
        Lease mine = lease(SUBNET_1, "192.168.50.1", 1);
        assertTrue(store.acquire(mine, SHORT_TTL));

        RecordingListener.Put put = assertInstanceOf(RecordingListener.Put.class, events.next());
        assertEquals(mine, put.lease());
        RecordingListener.Delete expired = assertInstanceOf(RecordingListener.Delete.class, events.next());
        assertEquals(SUBNET_1, expired.subnet());
        assertTrue(expired.revision() > put.revision());
        assertTrue(store.list().leases().isEmpty());
        assertTrue(events.thread.getName().startsWith("muslin-etcd-watch"), events.thread.getName());

        LeaseLostException lost = assertThrows(LeaseLostException.class, () -> store.renew(mine));
        assertTrue(lost.getMessage().contains("expired"), lost.getMessage());
    }

    @Test
    void renewKeepsTheLeasePastItsTtl() throws Exception {
        EtcdLeaseStore store = store();
        RecordingListener events = new RecordingListener();
        closeAfter.add(store.watch(store.list().revision() + 1, events));
        Lease mine = lease(SUBNET_1, "192.168.50.1", 1);
        assertTrue(store.acquire(mine, SHORT_TTL));
        assertInstanceOf(RecordingListener.Put.class, events.next());

        // Renew well inside the TTL for three TTLs.
        long end = System.nanoTime() + SHORT_TTL.multipliedBy(3).toNanos();
        while (System.nanoTime() < end) {
            store.renew(mine);
            Thread.sleep(SHORT_TTL.toMillis() / 5);
        }
        assertEquals(List.of(mine), store.list().leases());
        assertEquals(List.of(), events.pending(), "no delete while renewed");

        // A changed value is written on renewal.
        Lease newMac = lease(SUBNET_1, "192.168.50.1", 4);
        store.renew(newMac);
        assertEquals(newMac, events.next(RecordingListener.Put.class, p -> true).lease());

        // Left alone, it expires.
        assertEquals(SUBNET_1, events.next(RecordingListener.Delete.class, d -> true).subnet());
    }

    @Test
    void releaseDeletesTheKeyAndRevokesTheLease() throws Exception {
        EtcdLeaseStore store = store();
        Lease mine = lease(SUBNET_1, "192.168.50.1", 1);
        assertTrue(store.acquire(mine, LONG_TTL));
        long leaseId = raw.getKVClient().get(bytes(prefix + "/subnets/10.244.1.0-24")).get(30, TimeUnit.SECONDS)
            .getKvs().getFirst().getLease();
        RecordingListener events = new RecordingListener();
        closeAfter.add(store.watch(store.list().revision() + 1, events));

        assertFalse(store.release(SUBNET_1, Ipv4Address.parse("192.168.50.2")), "another PublicIP's release deletes nothing");
        assertEquals(1, store.list().leases().size());
        Lease theirs = lease(SUBNET_1, "192.168.50.2", 1);
        assertThrows(LeaseLostException.class, () -> store.renew(theirs),
            "a renewal carrying another PublicIP does not overwrite the lease (one store acting for many nodes)");
        assertEquals(mine, store.list().lease(SUBNET_1).orElseThrow());

        assertTrue(store.release(SUBNET_1, mine.publicIp()));
        assertEquals(SUBNET_1, assertInstanceOf(RecordingListener.Delete.class, events.next()).subnet());
        assertTrue(store.list().leases().isEmpty());
        assertEquals(-1, raw.getLeaseClient().timeToLive(leaseId, io.etcd.jetcd.options.LeaseOption.DEFAULT)
            .get(30, TimeUnit.SECONDS).getTTL(), "the etcd lease is revoked");
        assertFalse(store.release(SUBNET_1, mine.publicIp()), "idempotent");
        assertThrows(IllegalStateException.class, () -> store.renew(mine));
        assertTrue(store.acquire(mine, LONG_TTL), "free again");
    }

    @Test
    void listSkipsAndReportsMalformedEntries() throws Exception {
        EtcdLeaseStore store = store();
        Lease good = lease(SUBNET_2, "192.168.50.2", 2);
        assertTrue(store.acquire(good, LONG_TTL));
        rawPut(prefix + "/subnets/10.244.5.0-24", "{\"PublicIP\":\"192.168.50.5\",");
        rawPut(prefix + "/subnets/10.244.6.0-24", "{\"PublicIP\":\"192.168.50.6\",\"BackendType\":\"vxlan\","
            + "\"BackendData\":{\"VNI\":1,\"VtepMAC\":\"zz\"}}");
        rawPut(prefix + "/subnets/not-a-subnet", LeaseJson.toValueJson(good));

        LeaseStore.Snapshot snapshot = store.list();
        assertEquals(List.of(good), snapshot.leases());
        assertEquals(3, snapshot.malformed().size(), snapshot.malformed().toString());
        assertEquals(prefix + "/subnets/10.244.5.0-24", snapshot.malformed().get(0).key());
        assertTrue(snapshot.malformed().get(0).error().startsWith("malformed JSON"), snapshot.malformed().get(0).error());
        assertTrue(snapshot.malformed().get(1).error().contains("BackendData.VtepMAC"), snapshot.malformed().get(1).error());
        assertTrue(snapshot.malformed().get(2).error().contains("not a subnet key"), snapshot.malformed().get(2).error());
        assertTrue(snapshot.revision() > 0);
    }

    /** flannel's own format, written by hand with etcdctl (or, without it, the raw client). */
    @Test
    void readsALeaseWrittenInFlannelsFormat() throws Exception {
        String flannelPrefix = EtcdStoreConfig.DEFAULT_PREFIX;
        EtcdLeaseStore store = store(flannelPrefix);
        RecordingListener events = new RecordingListener();
        closeAfter.add(store.watch(store.list().revision() + 1, events));
        String key = flannelPrefix + "/subnets/10.244.9.0-24";
        String value = "{\"PublicIP\":\"192.168.50.9\",\"BackendType\":\"vxlan\",\"BackendData\":{\"VNI\":1,\"VtepMAC\":\"6e:75:73:00:00:09\"}}";
        if (EtcdServer.hasEtcdctl()) {
            ETCD.etcdctl("put", key, value);
        } else {
            rawPut(key, value);
        }

        Lease expected = lease(Ipv4Prefix.parse("10.244.9.0/24"), "192.168.50.9", 9);
        assertEquals(expected, assertInstanceOf(RecordingListener.Put.class, events.next()).lease());
        assertEquals(List.of(expected), store.list().lease(expected.subnet()).stream().toList());

        // Ours is stored the same way: flannel (or etcdctl) reads back its exact format.
        Lease ours = lease(Ipv4Prefix.parse("10.244.10.0/24"), "192.168.50.10", 8);
        assertTrue(store.acquire(ours, LONG_TTL));
        String ourKey = flannelPrefix + "/subnets/10.244.10.0-24";
        String stored = EtcdServer.hasEtcdctl() ? ETCD.etcdctl("get", "--print-value-only", ourKey).strip()
            : storedValue(ourKey);
        assertEquals("{\"PublicIP\":\"192.168.50.10\",\"BackendType\":\"vxlan\",\"BackendData\":{\"VNI\":1,\"VtepMAC\":\"6e:75:73:00:00:08\"}}",
            stored);
        store.release(ours.subnet(), ours.publicIp());
        if (EtcdServer.hasEtcdctl()) {
            ETCD.etcdctl("del", key);
        } else {
            raw.getKVClient().delete(bytes(key)).get(30, TimeUnit.SECONDS);
        }
    }

    /**
     * A dual-stack lease as flanneld (EnableIPv6) writes it, by hand with etcdctl: its key joins
     * both subnets (MakeSubnetKey) and its value adds PublicIPv6 and BackendV6Data, the MAC of
     * flannel-v6.1. Ours is stored byte for byte the same way.
     */
    @Test
    void readsADualStackLeaseWrittenInFlannelsFormat() throws Exception {
        String flannelPrefix = EtcdStoreConfig.DEFAULT_PREFIX;
        EtcdLeaseStore store = store(flannelPrefix);
        RecordingListener events = new RecordingListener();
        closeAfter.add(store.watch(store.list().revision() + 1, events));
        String key = flannelPrefix + "/subnets/10.244.19.0-24&fd00:10:244:19::-64";
        String value = "{\"PublicIP\":\"192.168.50.19\",\"PublicIPv6\":\"fd00:50::19\",\"BackendType\":\"vxlan\","
            + "\"BackendData\":{\"VNI\":1,\"VtepMAC\":\"6e:75:73:00:00:19\"},"
            + "\"BackendV6Data\":{\"VNI\":1,\"VtepMAC\":\"6e:75:73:00:06:19\"}}";
        put(key, value);

        Lease expected = Lease.vxlan(Ipv4Prefix.parse("10.244.19.0/24"), Ipv4Address.parse("192.168.50.19"), 1,
            MacAddress.parse("6e:75:73:00:00:19")).withIpv6(Ipv6Prefix.parse("fd00:10:244:19::/64"),
            Ipv6Address.parse("fd00:50::19"), MacAddress.parse("6e:75:73:00:06:19"));
        assertEquals(expected, assertInstanceOf(RecordingListener.Put.class, events.next()).lease());
        assertEquals(List.of(expected), store.list().lease(expected.subnet()).stream().toList());

        Lease ours = Lease.vxlan(Ipv4Prefix.parse("10.244.20.0/24"), Ipv4Address.parse("192.168.50.20"), 1,
            MacAddress.parse("6e:75:73:00:00:20")).withIpv6(Ipv6Prefix.parse("fd00:10:244:20::/64"),
            Ipv6Address.parse("fd00:50::20"), MacAddress.parse("6e:75:73:00:06:20"));
        assertTrue(store.acquire(ours, LONG_TTL));
        String ourKey = flannelPrefix + "/subnets/10.244.20.0-24&fd00:10:244:20::-64";
        assertEquals("{\"PublicIP\":\"192.168.50.20\",\"PublicIPv6\":\"fd00:50::20\",\"BackendType\":\"vxlan\","
            + "\"BackendData\":{\"VNI\":1,\"VtepMAC\":\"6e:75:73:00:00:20\"},"
            + "\"BackendV6Data\":{\"VNI\":1,\"VtepMAC\":\"6e:75:73:00:06:20\"}}", get(ourKey));
        assertTrue(store.release(ours.subnet(), ours.publicIp()));
        assertEquals("", get(ourKey), "released under its dual-stack key");
        delete(key);
    }

    /** flanneld writes "PublicIPv6":null for an IPv4-only lease: read as IPv4-only. */
    @Test
    void aNullPublicIpv6IsAnIpv4OnlyLease() throws Exception {
        rawPut(prefix + "/subnets/10.244.9.0-24", "{\"PublicIP\":\"192.168.50.9\",\"PublicIPv6\":null,"
            + "\"BackendType\":\"vxlan\",\"BackendData\":{\"VNI\":1,\"VtepMAC\":\"6e:75:73:00:00:09\"}}");
        assertEquals(List.of(lease(Ipv4Prefix.parse("10.244.9.0/24"), "192.168.50.9", 9)), store().list().leases());
    }

    /** A node that turns IPv6 on keeps its subnet: its IPv4-only key goes, the dual-stack key comes. */
    @Test
    void turningIpv6OnMovesTheLeaseToItsDualStackKey() throws Exception {
        EtcdLeaseStore store = store();
        Lease v4 = lease(SUBNET_1, "192.168.50.1", 1);
        assertTrue(store.acquire(v4, LONG_TTL));
        Lease dual = v4.withIpv6(Ipv6Prefix.parse("fd00:10:244:1::/64"), Ipv6Address.parse("fd00:50::1"),
            MacAddress.parse("6e:75:73:00:06:01"));
        assertTrue(store.acquire(dual, LONG_TTL));
        assertEquals(List.of(dual), store.list().leases());
        assertEquals("", get(prefix + "/subnets/10.244.1.0-24"));

        Lease stranger = lease(SUBNET_1, "192.168.50.7", 7);
        assertFalse(store().acquire(stranger, LONG_TTL), "another node's lease under the other form still holds the subnet");
    }

    private void put(String key, String value) throws Exception {
        if (EtcdServer.hasEtcdctl()) {
            ETCD.etcdctl("put", key, value);
        } else {
            rawPut(key, value);
        }
    }

    private String get(String key) throws Exception {
        return EtcdServer.hasEtcdctl() ? ETCD.etcdctl("get", "--print-value-only", key).strip() : storedValueOrEmpty(key);
    }

    private void delete(String key) throws Exception {
        if (EtcdServer.hasEtcdctl()) {
            ETCD.etcdctl("del", key);
        } else {
            raw.getKVClient().delete(bytes(key)).get(30, TimeUnit.SECONDS);
        }
    }

    private String storedValueOrEmpty(String key) throws Exception {
        var kvs = raw.getKVClient().get(bytes(key)).get(30, TimeUnit.SECONDS).getKvs();
        return kvs.isEmpty() ? "" : kvs.getFirst().getValue().toString(StandardCharsets.UTF_8);
    }

    @Test
    void watchFromARevisionSeesLaterPutsAndDeletes() throws Exception {
        EtcdLeaseStore store = store();
        Lease one = lease(SUBNET_1, "192.168.50.1", 1);
        Lease two = lease(SUBNET_2, "192.168.50.2", 2);
        assertTrue(store.acquire(one, LONG_TTL));
        long from = store.list().revision() + 1;
        assertTrue(store.acquire(two, LONG_TTL));
        store.release(one.subnet(), one.publicIp());
        rawPut(prefix + "/subnets/10.244.7.0-24", "not json");
        Lease three = lease(Ipv4Prefix.parse("10.244.3.0/24"), "192.168.50.3", 3);
        assertTrue(store.acquire(three, LONG_TTL));

        RecordingListener events = new RecordingListener();
        closeAfter.add(store.watch(from, events));
        RecordingListener.Put put = assertInstanceOf(RecordingListener.Put.class, events.next());
        assertEquals(two, put.lease());
        assertEquals(from, put.revision());
        RecordingListener.Delete delete = assertInstanceOf(RecordingListener.Delete.class, events.next());
        assertEquals(SUBNET_1, delete.subnet());
        RecordingListener.Bad bad = assertInstanceOf(RecordingListener.Bad.class, events.next());
        assertEquals(prefix + "/subnets/10.244.7.0-24", bad.entry().key());
        assertEquals(three, assertInstanceOf(RecordingListener.Put.class, events.next()).lease(),
            "a bad value does not stop the watch");

        // And it keeps following.
        store.release(three.subnet(), three.publicIp());
        assertEquals(three.subnet(), assertInstanceOf(RecordingListener.Delete.class, events.next()).subnet());
    }

    @Test
    void theWatchsLagCountsWhatTheListenerHasNotBeenGivenAndIsZeroOnceCurrent() throws Exception {
        EtcdLeaseStore store = store();
        CountDownLatch firstPut = new CountDownLatch(1);
        CountDownLatch goOn = new CountDownLatch(1);
        RecordingListener events = new RecordingListener();
        LeaseListener slow = new LeaseListener() {
            @Override
            public void put(Lease lease, long revision) {
                firstPut.countDown();
                await(goOn);
                events.put(lease, revision);
            }

            @Override
            public void delete(Ipv4Prefix subnet, long revision) {
                events.delete(subnet, revision);
            }

            @Override
            public void resync(LeaseStore.Snapshot snapshot) {
                events.resync(snapshot);
            }
        };
        LeaseStore.Watch watch = store.watch(store.list().revision() + 1, slow, 100);
        closeAfter.add(watch);
        Lease one = lease(SUBNET_1, "192.168.50.1", 1);
        Lease two = lease(SUBNET_2, "192.168.50.2", 2);
        assertTrue(store.acquire(one, LONG_TTL));
        await(firstPut);
        assertTrue(store.acquire(two, LONG_TTL));
        rawPut(prefix + "/elsewhere", "x"); // a revision that is no lease's
        long head = store.list().revision();
        // The listener is held in its first call: the second lease and the other key are heard
        // of (the next response or progress notification) but not delivered.
        assertTrue(waitUntil(() -> watch.lagRevisions() >= 2), () -> "lag " + watch.lagRevisions());
        goOn.countDown();
        assertEquals(one, assertInstanceOf(RecordingListener.Put.class, events.next()).lease());
        assertEquals(two, assertInstanceOf(RecordingListener.Put.class, events.next()).lease());
        // The last revision is another key's: a progress notification says the watch is current.
        assertTrue(waitUntil(() -> watch.lagRevisions() == 0), () -> "lag " + watch.lagRevisions() + " at " + head);
    }

    private static void await(CountDownLatch latch) {
        try {
            assertTrue(latch.await(RecordingListener.BOUND.toSeconds(), TimeUnit.SECONDS));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    /** Polls {@code condition} every 20 ms up to {@link RecordingListener#BOUND} (a bound, not a timing). */
    private static boolean waitUntil(java.util.function.BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + RecordingListener.BOUND.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            Thread.sleep(20);
        }
        return true;
    }

    @Test
    void compactionPastTheWatchRevisionResyncs() throws Exception {
        EtcdLeaseStore store = store();
        Lease one = lease(SUBNET_1, "192.168.50.1", 1);
        Lease two = lease(SUBNET_2, "192.168.50.2", 2);
        assertTrue(store.acquire(one, LONG_TTL));
        long from = store.list().revision() + 1;
        assertTrue(store.acquire(two, LONG_TTL));
        store.release(one.subnet(), one.publicIp());
        long compactTo = revision();
        raw.getKVClient().compact(compactTo).get(30, TimeUnit.SECONDS);

        RecordingListener events = new RecordingListener();
        closeAfter.add(store.watch(from, events));
        RecordingListener.Resync resync = assertInstanceOf(RecordingListener.Resync.class, events.next());
        assertEquals(List.of(two), resync.snapshot().leases());
        assertTrue(resync.snapshot().revision() >= compactTo);

        // The watch goes on after the listing.
        Lease three = lease(Ipv4Prefix.parse("10.244.3.0/24"), "192.168.50.3", 3);
        assertTrue(store.acquire(three, LONG_TTL));
        RecordingListener.Put put = assertInstanceOf(RecordingListener.Put.class, events.next());
        assertEquals(three, put.lease());
        assertTrue(put.revision() > resync.snapshot().revision());
    }

    @Test
    void watchAndStoreCarryOnAfterEtcdRestarts() throws Exception {
        EtcdLeaseStore store = store();
        RecordingListener events = new RecordingListener();
        closeAfter.add(store.watch(store.list().revision() + 1, events));
        Lease one = lease(SUBNET_1, "192.168.50.1", 1);
        assertTrue(store.acquire(one, LONG_TTL));
        assertEquals(one, assertInstanceOf(RecordingListener.Put.class, events.next()).lease());

        ETCD.restart();

        // Requests may fail while the client reconnects; the watch must not need help.
        Lease two = lease(SUBNET_2, "192.168.50.2", 2);
        long deadline = System.nanoTime() + RecordingListener.BOUND.toNanos();
        while (true) {
            try {
                assertTrue(store.acquire(two, LONG_TTL));
                break;
            } catch (IOException e) {
                if (System.nanoTime() > deadline) {
                    throw e;
                }
                Thread.sleep(200);
            }
        }
        store.renew(one);
        assertEquals(two, events.next(RecordingListener.Put.class, p -> true).lease());
    }

    @Test
    void unreachableEtcdIsAnIOExceptionNamingTheEndpoints() throws Exception {
        int closedPort;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closedPort = s.getLocalPort();
        }
        URI nowhere = URI.create("http://127.0.0.1:" + closedPort);
        EtcdLeaseStore store = EtcdLeaseStore.open(EtcdStoreConfig.of(List.of(nowhere))
            .withTimeouts(Duration.ofSeconds(2), Duration.ofSeconds(5)));
        closeAfter.add(store);
        IOException e = assertThrows(IOException.class, store::list);
        assertTrue(e.getMessage().contains(nowhere.toString()), e.getMessage());
        assertThrows(IOException.class, () -> store.acquire(lease(SUBNET_1, "192.168.50.1", 1), LONG_TTL));
    }

    private String storedValue(String key) throws Exception {
        return raw.getKVClient().get(bytes(key)).get(30, TimeUnit.SECONDS).getKvs().getFirst().getValue()
            .toString(StandardCharsets.UTF_8);
    }
}
