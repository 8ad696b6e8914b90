package io.muslin.node;

import com.fasterxml.jackson.databind.JsonNode;
import io.muslin.control.lease.LeaseJson;
import io.muslin.dataplane.packet.Ipv4Address;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.function.IntConsumer;
import java.util.function.IntPredicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Follows {@code Node.PublicIP} in the node's configuration file, so that a node whose address
 * changes (DHCP, a moved VM: flannel #760) gets it without a restart: the file is read every
 * {@code interval}, and a new, valid address is handed to the listener (the daemon starts its
 * dataplane again with it and announces it). Only that field is looked at; the others still
 * take a restart, as before. A file that cannot be read or parsed, or an address the daemon
 * would refuse at start, changes nothing and is logged once until it changes again.
 *
 * <p>Thread: one daemon thread, {@code muslin-public-ip}.
 */
final class PublicIpWatch implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(PublicIpWatch.class);
    static final Duration DEFAULT_INTERVAL = Duration.ofSeconds(1);

    private final Path file;
    private final Duration interval;
    private final IntPredicate acceptable;
    private volatile int current;
    private volatile String lastProblem = "";
    private Thread thread;
    private volatile boolean closed;

    /**
     * @param current    the PublicIP the node started with
     * @param acceptable whether an address may be the node's (the start's checks: unicast, outside the network)
     */
    PublicIpWatch(Path file, int current, Duration interval, IntPredicate acceptable) {
        this.file = file;
        this.current = current;
        this.interval = interval;
        this.acceptable = acceptable;
    }

    /** Starts watching; {@code changed} is called on the watch's thread with each new address. */
    synchronized void start(IntConsumer changed) {
        thread = Thread.ofPlatform().daemon().name("muslin-public-ip").start(() -> {
            while (!closed) {
                try {
                    Thread.sleep(interval);
                } catch (InterruptedException e) {
                    return;
                }
                int next = read();
                if (next != 0 && next != current) {
                    LOG.info("Node.PublicIP in {} changed: {} -> {}", file, Ipv4Address.format(current),
                        Ipv4Address.format(next));
                    current = next;
                    try {
                        changed.accept(next);
                    } catch (RuntimeException e) {
                        LOG.error("taking the new PublicIP {} failed: {}", Ipv4Address.format(next), e.toString());
                    }
                }
            }
        });
    }

    /** The file's Node.PublicIP when it is readable and acceptable, else 0 (and the reason logged once). */
    int read() {
        String problem;
        try {
            JsonNode text = LeaseJson.readTree(Files.readString(file, StandardCharsets.UTF_8)).path("Node").path("PublicIP");
            if (!text.isTextual()) {
                problem = "no Node.PublicIP";
            } else {
                int address = Ipv4Address.parse(text.textValue());
                if (acceptable.test(address)) {
                    lastProblem = "";
                    return address;
                }
                problem = "Node.PublicIP " + text.textValue() + " is not an address this node can take";
            }
        } catch (IOException | RuntimeException e) {
            problem = e.getMessage();
        }
        if (!problem.equals(lastProblem)) {
            LOG.warn("{}: {}; keeping PublicIP {}", file, problem, Ipv4Address.format(current));
            lastProblem = problem;
        }
        return 0;
    }

    @Override
    public synchronized void close() {
        closed = true;
        if (thread != null) {
            thread.interrupt();
        }
    }
}
