package io.muslin.control.hub.client;

import io.muslin.control.hub.server.HubServer;
import io.netty.handler.ssl.SslContext;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * How a node reaches its hubs.
 *
 * @param endpoints      the hubs, tried in order; the session moves to the next when one fails
 * @param ssl            a client context with this node's certificate and the cluster CA, or
 *                       null for an insecure hub
 * @param node           this node's name (the certificate's CN with TLS)
 * @param connectTimeout how long connecting, the TLS handshake and Hello may take together
 * @param requestTimeout how long a request may wait for its reply (reconnecting included)
 * @param heartbeat      a Ping is sent after this much quiet; three times it with nothing
 *                       received and the session is dropped and made again
 * @param maxBackoff     the longest pause between reconnection attempts
 */
public record HubClientSettings(List<HubEndpoint> endpoints, SslContext ssl, String node, Duration connectTimeout,
                                Duration requestTimeout, Duration heartbeat, Duration maxBackoff) {
    public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(5);
    public static final Duration DEFAULT_REQUEST_TIMEOUT = Duration.ofSeconds(10);
    public static final Duration DEFAULT_MAX_BACKOFF = Duration.ofSeconds(5);

    public HubClientSettings {
        endpoints = List.copyOf(endpoints);
        if (endpoints.isEmpty()) {
            throw new IllegalArgumentException("hub endpoints: none given (expected: at least one host:port)");
        }
        Objects.requireNonNull(node, "node");
        Objects.requireNonNull(connectTimeout, "connectTimeout");
        Objects.requireNonNull(requestTimeout, "requestTimeout");
        Objects.requireNonNull(heartbeat, "heartbeat");
        Objects.requireNonNull(maxBackoff, "maxBackoff");
    }

    public static HubClientSettings of(List<HubEndpoint> endpoints, SslContext ssl, String node) {
        return new HubClientSettings(endpoints, ssl, node, DEFAULT_CONNECT_TIMEOUT, DEFAULT_REQUEST_TIMEOUT,
            HubServer.Settings.DEFAULT_HEARTBEAT, DEFAULT_MAX_BACKOFF);
    }

    public HubClientSettings withHeartbeat(Duration newHeartbeat) {
        return new HubClientSettings(endpoints, ssl, node, connectTimeout, requestTimeout, newHeartbeat, maxBackoff);
    }

    public HubClientSettings withTimeouts(Duration connect, Duration request) {
        return new HubClientSettings(endpoints, ssl, node, connect, request, heartbeat, maxBackoff);
    }

    public HubClientSettings withMaxBackoff(Duration newMaxBackoff) {
        return new HubClientSettings(endpoints, ssl, node, connectTimeout, requestTimeout, heartbeat, newMaxBackoff);
    }
}
