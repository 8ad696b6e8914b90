package io.muslin.control.bgp.speaker;

import io.muslin.control.bgp.Bgp;
import io.muslin.dataplane.packet.Ipv4Prefix;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * What a speaker is: its AS and router id, the hold time it offers, where it listens and
 * whom it peers with, and which routes it accepts.
 *
 * @param as             our AS, 1-4294967295 (Calico's default is 64512)
 * @param routerId       our BGP identifier; also the address we listen on and connect from (the node's PublicIP)
 * @param holdTime       seconds offered in OPEN: 0 (no keepalives) or 3-65535; the session uses the smaller of both sides'
 * @param port           the port we listen on (179)
 * @param listen         accept connections (false: only connect, as the benchmark's simulated speakers do)
 * @param peers          the neighbors
 * @param network        routes outside it are ignored and counted (the cluster network)
 * @param restartTime    the graceful restart time we advertise (RFC 4724; we preserve no routes ourselves)
 * @param connectRetry   the first pause before reconnecting after a failure; it doubles up to {@code maxConnectRetry}
 * @param maxConnectRetry the longest pause
 */
public record BgpSettings(long as, int routerId, int holdTime, int port, boolean listen, List<BgpPeerConfig> peers,
                          Ipv4Prefix network, int restartTime, Duration connectRetry, Duration maxConnectRetry) {
    public static final int DEFAULT_HOLD_TIME = 90;
    public static final long DEFAULT_AS = 64512;
    public static final int DEFAULT_RESTART_TIME = 120;
    public static final Duration DEFAULT_CONNECT_RETRY = Duration.ofSeconds(1);
    public static final Duration DEFAULT_MAX_CONNECT_RETRY = Duration.ofSeconds(30);

    public BgpSettings {
        if (as < 1 || as > 0xFFFF_FFFFL) {
            throw new IllegalArgumentException("AS " + as + " is out of range (accepted: 1-4294967295)");
        }
        if (routerId == 0) {
            throw new IllegalArgumentException("router id 0.0.0.0 (expected: a non-zero IPv4 address)");
        }
        if (holdTime != 0 && (holdTime < Bgp.MIN_HOLD_TIME || holdTime > 65535)) {
            throw new IllegalArgumentException("hold time " + holdTime + " is out of range (accepted: 0 or 3-65535)");
        }
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("port " + port + " is out of range (accepted: 1-65535)");
        }
        if (restartTime < 0 || restartTime > Bgp.GR_MAX_RESTART_TIME) {
            throw new IllegalArgumentException("restart time " + restartTime + " is out of range (accepted: 0-4095)");
        }
        peers = List.copyOf(peers);
        Objects.requireNonNull(network, "network");
        Objects.requireNonNull(connectRetry, "connectRetry");
        Objects.requireNonNull(maxConnectRetry, "maxConnectRetry");
    }

    /** The defaults for everything but who we are, whom we peer with and what we accept. */
    public static BgpSettings of(long as, int routerId, int holdTime, int port, List<BgpPeerConfig> peers,
                                 Ipv4Prefix network) {
        return new BgpSettings(as, routerId, holdTime, port, true, peers, network, DEFAULT_RESTART_TIME,
            DEFAULT_CONNECT_RETRY, DEFAULT_MAX_CONNECT_RETRY);
    }

    public BgpSettings withListen(boolean on) {
        return new BgpSettings(as, routerId, holdTime, port, on, peers, network, restartTime, connectRetry, maxConnectRetry);
    }

    public BgpSettings withConnectRetry(Duration first, Duration max) {
        return new BgpSettings(as, routerId, holdTime, port, listen, peers, network, restartTime, first, max);
    }
}
