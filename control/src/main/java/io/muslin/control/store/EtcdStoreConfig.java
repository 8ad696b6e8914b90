package io.muslin.control.store;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * How to reach etcd, validated when built: every message names the field and what is accepted.
 *
 * @param endpoints      client URLs, e.g. {@code http://127.0.0.1:2379}; all {@code https} when
 *                       {@code tls} is given, all {@code http} otherwise
 * @param prefix         the key prefix, flannel's {@value #DEFAULT_PREFIX} by default; starts with
 *                       {@code /}, no trailing {@code /}
 * @param tls            CA and client certificate for {@code https} endpoints
 * @param dialTimeout    how long a connection attempt may take
 * @param requestTimeout how long one request may take, connecting included
 */
public record EtcdStoreConfig(List<URI> endpoints, String prefix, Optional<Tls> tls, Duration dialTimeout,
                              Duration requestTimeout) {
    /** flannel's default key prefix. */
    public static final String DEFAULT_PREFIX = "/coreos.com/network";
    public static final URI DEFAULT_ENDPOINT = URI.create("http://127.0.0.1:2379");
    public static final Duration DEFAULT_DIAL_TIMEOUT = Duration.ofSeconds(5);
    public static final Duration DEFAULT_REQUEST_TIMEOUT = Duration.ofSeconds(10);
    private static final Duration MAX_TIMEOUT = Duration.ofMinutes(10);

    public EtcdStoreConfig {
        Objects.requireNonNull(endpoints, "endpoints");
        Objects.requireNonNull(prefix, "prefix");
        Objects.requireNonNull(tls, "tls");
        Objects.requireNonNull(dialTimeout, "dialTimeout");
        Objects.requireNonNull(requestTimeout, "requestTimeout");
        endpoints = List.copyOf(endpoints);
        if (endpoints.isEmpty()) {
            throw new IllegalArgumentException("etcd endpoints: none given (expected: at least one URL such as "
                + DEFAULT_ENDPOINT + ")");
        }
        String scheme = tls.isPresent() ? "https" : "http";
        for (URI endpoint : endpoints) {
            if (!scheme.equals(endpoint.getScheme()) || endpoint.getHost() == null || endpoint.getPort() < 0
                || !(endpoint.getPath() == null || endpoint.getPath().isEmpty() || endpoint.getPath().equals("/"))) {
                throw new IllegalArgumentException("etcd endpoints: \"" + endpoint + "\" is not an etcd client URL"
                    + " (expected: " + scheme + "://host:port" + (tls.isPresent() ? ", as TLS is configured" : ", or https with TLS configured") + ")");
            }
        }
        if (!prefix.startsWith("/") || prefix.endsWith("/") || prefix.contains("//")) {
            throw new IllegalArgumentException("etcd prefix: \"" + prefix + "\" is not a key prefix"
                + " (expected: starts with /, no trailing /, e.g. " + DEFAULT_PREFIX + ")");
        }
        checkTimeout("etcd dialTimeout", dialTimeout);
        checkTimeout("etcd requestTimeout", requestTimeout);
    }

    /** Plain-text etcd at {@code endpoints} with flannel's prefix and the default timeouts. */
    public static EtcdStoreConfig of(List<URI> endpoints) {
        return new EtcdStoreConfig(endpoints, DEFAULT_PREFIX, Optional.empty(), DEFAULT_DIAL_TIMEOUT,
            DEFAULT_REQUEST_TIMEOUT);
    }

    public EtcdStoreConfig withPrefix(String newPrefix) {
        return new EtcdStoreConfig(endpoints, newPrefix, tls, dialTimeout, requestTimeout);
    }

    public EtcdStoreConfig withTls(Tls newTls) {
        return new EtcdStoreConfig(endpoints, prefix, Optional.of(newTls), dialTimeout, requestTimeout);
    }

    public EtcdStoreConfig withTimeouts(Duration dial, Duration request) {
        return new EtcdStoreConfig(endpoints, prefix, tls, dial, request);
    }

    private static void checkTimeout(String field, Duration value) {
        if (value.compareTo(Duration.ofMillis(1)) < 0 || value.compareTo(MAX_TIMEOUT) > 0) {
            throw new IllegalArgumentException(field + ": " + value + " is out of range (accepted: PT0.001S-" + MAX_TIMEOUT + ")");
        }
    }

    /**
     * TLS for etcd, as etcdctl's {@code --cacert}, {@code --cert}, {@code --key}.
     *
     * @param caFile   PEM CA certificates to trust; empty to trust the JDK's defaults
     * @param certFile PEM client certificate chain; present together with {@code keyFile}
     * @param keyFile  PEM client key, PKCS#8 ({@code openssl pkcs8 -topk8 -nocrypt} converts others)
     */
    public record Tls(Optional<Path> caFile, Optional<Path> certFile, Optional<Path> keyFile) {
        public Tls {
            Objects.requireNonNull(caFile, "caFile");
            Objects.requireNonNull(certFile, "certFile");
            Objects.requireNonNull(keyFile, "keyFile");
            if (certFile.isPresent() != keyFile.isPresent()) {
                throw new IllegalArgumentException("etcd TLS: certFile and keyFile go together (given: only "
                    + (certFile.isPresent() ? "certFile" : "keyFile") + ")");
            }
        }
    }
}
