package io.muslin.control.hub.client;

import io.muslin.dataplane.packet.Ipv6Text;
import java.util.regex.Pattern;

/**
 * A hub's address as a node dials it: {@code host:port}. With TLS the hub's certificate must
 * name {@code host} (an IP SAN or a DNS SAN).
 */
public record HubEndpoint(String host, int port) {
    /** The hub's port unless configured otherwise. */
    public static final int DEFAULT_PORT = 8473;

    public HubEndpoint {
        if (host == null || host.isBlank()) {
            throw new IllegalArgumentException("hub endpoint: empty host (expected: host:port, e.g. 10.0.0.1:" + DEFAULT_PORT + ")");
        }
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("hub endpoint: port " + port + " is out of range (accepted: 1-65535)");
        }
    }

    /** Parses {@code host:port}, {@code host} (the default port) or {@code [v6]:port}. */
    public static HubEndpoint parse(String text) {
        String t = text.strip();
        String host = t;
        int port = DEFAULT_PORT;
        int colon = t.lastIndexOf(':');
        if (t.startsWith("[")) {
            int close = t.indexOf(']');
            if (close < 0) {
                throw new IllegalArgumentException("hub endpoint: \"" + text + "\" has no closing ] (expected: [v6]:port)");
            }
            host = t.substring(1, close);
            try {
                Ipv6Text.hi(host);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("hub endpoint: \"" + text + "\": [" + host
                    + "] is not an IPv6 address (expected: [v6]:port)");
            }
            if (close + 1 < t.length()) {
                port = port(text, t.substring(close + 1));
            }
        } else {
            if (colon >= 0) {
                host = t.substring(0, colon);
                port = port(text, t.substring(colon));
            }
            if (!HOST_NAME.matcher(host).matches() || host.length() > 253) {
                throw new IllegalArgumentException("hub endpoint: \"" + text + "\": \"" + host + "\" is not a host name "
                    + "or IPv4 address (expected: host:port, or [v6]:port for IPv6)");
            }
        }
        return new HubEndpoint(host, port);
    }

    /** A DNS name or a dotted IPv4 address: labels of letters, digits, underscores and inner hyphens. */
    private static final Pattern HOST_NAME =
        Pattern.compile("[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?(\\.[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?)*\\.?");

    private static int port(String text, String colonPort) {
        if (!colonPort.startsWith(":") || colonPort.length() == 1) {
            throw new IllegalArgumentException("hub endpoint: \"" + text + "\" is not host:port");
        }
        try {
            return Integer.parseInt(colonPort.substring(1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("hub endpoint: \"" + text + "\" has no port number (expected: host:port, "
                + "port 1-65535)");
        }
    }

    @Override
    public String toString() {
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
    }
}
