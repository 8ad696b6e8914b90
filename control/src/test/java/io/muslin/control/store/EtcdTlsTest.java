package io.muslin.control.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.muslin.control.lease.Lease;
import io.muslin.dataplane.packet.Ipv4Address;
import io.muslin.dataplane.packet.Ipv4Prefix;
import io.muslin.dataplane.packet.MacAddress;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** {@link EtcdLeaseStore} with etcd's client-certificate TLS (etcdctl's --cacert, --cert, --key). */
class EtcdTlsTest {
    @RegisterExtension
    static final EtcdServer ETCD = EtcdServer.withTls();

    private EtcdStoreConfig config(EtcdStoreConfig.Tls tls) {
        return new EtcdStoreConfig(List.of(ETCD.endpoint()), "/muslin-test/tls", Optional.of(tls),
            Duration.ofSeconds(2), Duration.ofSeconds(10));
    }

    @Test
    void clientCertificateReachesTheStore() throws Exception {
        EtcdStoreConfig.Tls tls = new EtcdStoreConfig.Tls(Optional.of(ETCD.file("ca.pem")),
            Optional.of(ETCD.file("client.pem")), Optional.of(ETCD.file("client.key")));
        try (EtcdLeaseStore store = EtcdLeaseStore.open(config(tls))) {
            RecordingListener events = new RecordingListener();
            store.watch(store.list().revision() + 1, events);
            Lease lease = Lease.vxlan(Ipv4Prefix.parse("10.244.1.0/24"), Ipv4Address.parse("192.168.50.1"), 1,
                MacAddress.parse("6e:75:73:00:00:01"));
            assertTrue(store.acquire(lease, Duration.ofMinutes(1)));
            assertEquals(lease, assertInstanceOf(RecordingListener.Put.class, events.next()).lease());
            assertEquals(List.of(lease), store.list().leases());
        }
    }

    @Test
    void withoutAClientCertificateItIsRefused() throws Exception {
        EtcdStoreConfig.Tls caOnly = new EtcdStoreConfig.Tls(Optional.of(ETCD.file("ca.pem")), Optional.empty(), Optional.empty());
        try (EtcdLeaseStore store = EtcdLeaseStore.open(config(caOnly))) {
            IOException e = assertThrows(IOException.class, store::list);
            assertTrue(e.getMessage().contains(ETCD.endpoint().toString()), e.getMessage());
        }
    }

    @Test
    void unreadableTlsFilesAreAnIOException() {
        EtcdStoreConfig.Tls missing = new EtcdStoreConfig.Tls(Optional.of(ETCD.file("no-such-ca.pem")), Optional.empty(), Optional.empty());
        IOException e = assertThrows(IOException.class, () -> EtcdLeaseStore.open(config(missing)));
        assertTrue(e.getMessage().startsWith("etcd TLS: cannot use"), e.getMessage());
    }
}
