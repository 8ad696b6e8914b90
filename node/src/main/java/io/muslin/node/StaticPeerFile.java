package io.muslin.node;

import io.muslin.control.lease.Lease;
import io.muslin.control.program.PeerProgrammer;
import io.muslin.dataplane.packet.Ipv4Prefix;
import io.muslin.node.config.ConfigException;
import io.muslin.node.config.ConfigLoader;
import io.muslin.node.config.NodeConfig;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code Peers} of the node's configuration file, reloaded when the file changes.
 *
 * <p>The file is read every {@link #DEFAULT_INTERVAL} and compared by content (a Kubernetes
 * ConfigMap is replaced by swapping a symlink, which file-change notifications miss). A changed
 * file is validated as at start; then peers that are gone are removed, and new and changed ones
 * are added, through the {@link PeerProgrammer} (idempotent: unchanged peers are untouched). A
 * file that does not validate is logged once and changes nothing. Only {@code Peers} change at
 * run time: a change to {@code Network}, {@code SubnetLen}, {@code Backend} or {@code Node} (but
 * its PublicIP, which {@link PublicIpWatch} follows) is logged as needing a restart, and the new
 * peers are still applied.
 */
final class StaticPeerFile implements PeerSource {
    static final Duration DEFAULT_INTERVAL = Duration.ofSeconds(1);
    private static final Logger LOG = LoggerFactory.getLogger(StaticPeerFile.class);

    private final Path file;
    private final NodeConfig loaded;
    private final Duration interval;
    private ScheduledExecutorService watcher;
    private PeerProgrammer programmer;
    private byte[] lastContent;
    private final Set<Ipv4Prefix> current = new HashSet<>();

    /** @param loaded the configuration the node started with (read from {@code file}) */
    StaticPeerFile(Path file, NodeConfig loaded, Duration interval) {
        this.file = file;
        this.loaded = loaded;
        this.interval = interval;
    }

    @Override
    public synchronized void start(PeerProgrammer programmer) throws IOException {
        this.programmer = programmer;
        lastContent = Files.readAllBytes(file);
        apply(loaded.peers());
        watcher = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "muslin-config-watch");
            t.setDaemon(true);
            return t;
        });
        long ms = interval.toMillis();
        watcher.scheduleWithFixedDelay(this::check, ms, ms, TimeUnit.MILLISECONDS);
    }

    /** Reloads the peers if the file's content changed. Runs on the watcher thread (and in tests). */
    synchronized void check() {
        try {
            reload();
        } catch (RuntimeException e) {
            // Never let the watcher die: a later change of the file must still be applied.
            LOG.error("config reload: {}", e.toString(), e);
        }
    }

    private void reload() {
        byte[] content;
        try {
            content = Files.readAllBytes(file);
        } catch (IOException e) {
            if (lastContent != null) {
                LOG.warn("config reload: cannot read {}: {}; keeping the current peers", file, e.getMessage());
                lastContent = null;
            }
            return;
        }
        reload(content);
    }

    /**
     * Takes the file's {@code content} if it changed since the last: validated as at start,
     * then its peers programmed; content that does not validate is logged and changes nothing.
     */
    synchronized void reload(byte[] content) {
        if (Arrays.equals(content, lastContent)) {
            return;
        }
        lastContent = content;
        NodeConfig cfg;
        try {
            cfg = ConfigLoader.parse(new String(content, StandardCharsets.UTF_8));
        } catch (ConfigException e) {
            LOG.error("config reload: {}: {}; keeping the current peers", file, e.getMessage());
            return;
        }
        if (!cfg.network().equals(loaded.network()) || cfg.subnetLen() != loaded.subnetLen()
            || !java.util.Objects.equals(cfg.ipv6(), loaded.ipv6())
            || !cfg.backend().equals(loaded.backend()) || !butPublicIp(cfg.node()).equals(butPublicIp(loaded.node()))) {
            LOG.warn("config reload: {} changed outside Peers; only Peers and Node.PublicIP change at run time, the "
                + "rest needs a restart", file);
        }
        apply(cfg.peers());
    }

    /** The Node section without its PublicIP (which {@link PublicIpWatch} takes at run time). */
    private static NodeConfig.Node butPublicIp(NodeConfig.Node n) {
        return new NodeConfig.Node(n.name(), 0, n.subnet(), n.vtepMac(), n.interfaceName(), n.ipv6Subnet(), n.publicIpv6(),
            n.vtepMac6());
    }

    /** Makes the programmed peers those of {@code peers}: removes the rest, adds or replaces these. */
    private void apply(List<Lease> peers) {
        Map<Ipv4Prefix, Lease> wanted = new LinkedHashMap<>();
        peers.forEach(l -> wanted.put(l.subnet(), l));
        int removed = 0;
        for (Ipv4Prefix subnet : List.copyOf(current)) {
            try {
                if (!wanted.containsKey(subnet) && programmer.remove(subnet)) {
                    removed++;
                }
            } catch (RuntimeException e) {
                LOG.error("removing peer {}: {}", subnet, e.toString());
            }
        }
        current.retainAll(wanted.keySet());
        int changed = 0;
        for (Lease lease : wanted.values()) {
            try {
                PeerProgrammer.Result r = programmer.add(lease);
                if (r == PeerProgrammer.Result.ADDED || r == PeerProgrammer.Result.REPLACED) {
                    changed++;
                }
            } catch (RuntimeException e) {
                LOG.error("peer {}: {}", lease.subnet(), e.toString());
            }
            current.add(lease.subnet());
        }
        if (changed + removed > 0) {
            LOG.info("peers from {}: {} added or changed, {} removed, {} in the file", file, changed, removed,
                wanted.size());
        }
    }

    @Override
    public synchronized void close() {
        if (watcher != null) {
            watcher.shutdownNow();
            watcher = null;
        }
    }
}
