package io.muslin.control.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class EtcdStoreConfigTest {
    private static final List<URI> LOCAL = List.of(EtcdStoreConfig.DEFAULT_ENDPOINT);

    @Test
    void defaultsAreFlannels() {
        EtcdStoreConfig config = EtcdStoreConfig.of(LOCAL);
        assertEquals("/coreos.com/network", config.prefix());
        assertEquals(Optional.empty(), config.tls());
        assertEquals(Duration.ofSeconds(5), config.dialTimeout());
    }

    @Test
    void noEndpoints() {
        assertEquals("etcd endpoints: none given (expected: at least one URL such as http://127.0.0.1:2379)",
            assertThrows(IllegalArgumentException.class, () -> EtcdStoreConfig.of(List.of())).getMessage());
    }

    @ParameterizedTest
    @ValueSource(strings = {"localhost:2379", "https://127.0.0.1:2379", "http://127.0.0.1", "http://127.0.0.1:2379/v3"})
    void badPlainEndpoints(String endpoint) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
            () -> EtcdStoreConfig.of(List.of(URI.create(endpoint))));
        assertEquals("etcd endpoints: \"" + endpoint + "\" is not an etcd client URL"
            + " (expected: http://host:port, or https with TLS configured)", e.getMessage());
    }

    @Test
    void tlsWantsHttps() {
        EtcdStoreConfig.Tls tls = new EtcdStoreConfig.Tls(Optional.of(Path.of("/etc/etcd/ca.pem")), Optional.empty(), Optional.empty());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> EtcdStoreConfig.of(LOCAL).withTls(tls));
        assertEquals("etcd endpoints: \"http://127.0.0.1:2379\" is not an etcd client URL"
            + " (expected: https://host:port, as TLS is configured)", e.getMessage());
        new EtcdStoreConfig(List.of(URI.create("https://10.0.0.1:2379")), EtcdStoreConfig.DEFAULT_PREFIX, Optional.of(tls),
            EtcdStoreConfig.DEFAULT_DIAL_TIMEOUT, EtcdStoreConfig.DEFAULT_REQUEST_TIMEOUT);
    }

    @Test
    void certAndKeyGoTogether() {
        assertEquals("etcd TLS: certFile and keyFile go together (given: only certFile)",
            assertThrows(IllegalArgumentException.class, () -> new EtcdStoreConfig.Tls(Optional.empty(),
                Optional.of(Path.of("client.pem")), Optional.empty())).getMessage());
    }

    @ParameterizedTest
    @ValueSource(strings = {"coreos.com/network", "/coreos.com/network/", "/a//b"})
    void badPrefixes(String prefix) {
        assertEquals("etcd prefix: \"" + prefix + "\" is not a key prefix (expected: starts with /, no trailing /, e.g. /coreos.com/network)",
            assertThrows(IllegalArgumentException.class, () -> EtcdStoreConfig.of(LOCAL).withPrefix(prefix)).getMessage());
    }

    @Test
    void timeoutsInRange() {
        assertEquals("etcd dialTimeout: PT0S is out of range (accepted: PT0.001S-PT10M)",
            assertThrows(IllegalArgumentException.class,
                () -> EtcdStoreConfig.of(LOCAL).withTimeouts(Duration.ZERO, Duration.ofSeconds(1))).getMessage());
    }
}
