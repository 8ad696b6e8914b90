package io.muslin.node;

import io.muslin.control.lease.Lease;
import io.muslin.control.program.KernelRoutes;
import io.muslin.control.program.PeerProgrammer;
import io.muslin.dataplane.Encapsulation;
import io.muslin.dataplane.capture.Capture;
import io.muslin.dataplane.observe.DataplaneProbes;
import io.muslin.dataplane.engine.OverlayDataplane;
import io.muslin.dataplane.engine.DataplaneSettings;
import io.muslin.dataplane.packet.Ipv4Address;
import io.muslin.dataplane.packet.Ipv4Prefix;
import io.muslin.dataplane.packet.MacAddress;
import io.muslin.dataplane.path.Counters;
import io.muslin.dataplane.path.PathMtu;
import io.muslin.dataplane.table.Tables;
import io.muslin.node.admin.AdminServer;
import io.muslin.node.admin.AdminView;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.IntConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import sun.misc.Signal;

/**
 * One node's daemon: wires the dataplane, the peers, the admin socket and subnet.env
 * together, then waits for SIGTERM/SIGINT. It holds no packet logic.
 *
 * <p>Start, in this order (each step is undone, in reverse, if a later one fails):
 * <ol>
 *   <li>remove a stale subnet.env (left by a crash), so it only ever means "this run is up";</li>
 *   <li>delete masquerade rules a crashed run left behind, then start the dataplane (device,
 *       address, MTU, network route, forwarding; none for host-gw), then, with {@code IPMasq},
 *       install the masquerade rules;</li>
 *   <li>for host-gw and DirectRouting, open the kernel-route programmer and delete the direct
 *       routes a crashed run left behind;</li>
 *   <li>program the peers through {@link PeerProgrammer} (tables, and kernel routes for
 *       peers routed directly), and let the {@link PeerSource} follow changes;</li>
 *   <li>start the admin socket;</li>
 *   <li>write subnet.env: the readiness signal, so only once forwarding is up.</li>
 * </ol>
 * Stop is the same in reverse: remove subnet.env, close the admin socket, stop following the
 * peer source, remove the peers (and so the kernel routes), close the dataplane (which removes
 * the device and its routes).
 *
 * <p>Threads: the caller's thread runs start, waits, and runs stop. Signal handlers and the
 * shutdown hook only request the stop. The dataplane has its own event loop; the admin socket
 * and the peer source their own threads.
 */
public final class Daemon {
    private static final Logger LOG = LoggerFactory.getLogger(Daemon.class);
    private static final long SHUTDOWN_HOOK_WAIT_SECONDS = 10;

    /**
     * What the daemon needs of a running dataplane: {@link OverlayDataplane} for vxlan and ipip;
     * for host-gw only tables (listed by the admin socket) and idle counters.
     */
    interface Dataplane extends AutoCloseable {
        Tables tables();

        Counters counters();

        /** Each peer's path MTU (none for host-gw). */
        default List<PathMtu.Entry> pathMtus() {
            return List.of();
        }

        /** The tunnel MTU now. */
        int mtu();

        /** Who to tell when the tunnel MTU follows the underlay's. */
        default void onMtuChange(IntConsumer listener) {
        }

        /** Packet capture, or null without a packet path (host-gw). */
        default Capture capture() {
            return null;
        }

        /** Stage latency and per-peer traffic, or null without a packet path. */
        default DataplaneProbes probes() {
            return null;
        }

        /** True when the dataplane's threads answer within {@code timeoutMillis} (host-gw: always). */
        default boolean responsive(long timeoutMillis) {
            return true;
        }

        /** The outer packet size the path to {@code underlay} takes now. */
        default int outerLimit(int underlay) {
            return mtu();
        }

        /** Stops forwarding and removes the device and its routes. */
        @Override
        void close();
    }

    /** The dataplane settings for this node at another PublicIP (its underlay device and MTU looked up again). */
    @FunctionalInterface
    interface SettingsFor {
        DataplaneSettings publicIp(int publicIp) throws IOException;
    }

    /**
     * Starts a dataplane on {@code tables} (the node's, which outlive it); throws (having undone
     * its own partial work) if it cannot.
     */
    @FunctionalInterface
    interface DataplaneStarter {
        Dataplane start(DataplaneSettings settings, Tables tables) throws IOException;
    }

    static final DataplaneStarter OVERLAY = (settings, tables) -> {
        if (settings.encapsulation() == Encapsulation.NONE) {
            return new RoutesOnly(tables, settings.mtu());
        }
        OverlayDataplane dp = OverlayDataplane.start(settings, tables);
        return new Dataplane() {
            @Override
            public List<PathMtu.Entry> pathMtus() {
                return dp.pathMtu().entries();
            }

            @Override
            public int mtu() {
                return dp.mtu();
            }

            @Override
            public void onMtuChange(IntConsumer listener) {
                dp.onMtuChange(listener);
            }

            @Override
            public Capture capture() {
                return dp.capture();
            }

            @Override
            public DataplaneProbes probes() {
                return dp.probes();
            }

            @Override
            public boolean responsive(long timeoutMillis) {
                return dp.responsive(timeoutMillis);
            }

            @Override
            public int outerLimit(int underlay) {
                return dp.pathMtu().outerLimit(underlay);
            }

            @Override
            public Tables tables() {
                return dp.tables();
            }

            @Override
            public Counters counters() {
                return dp.counters();
            }

            @Override
            public void close() {
                dp.close();
            }
        };
    };

    /** host-gw: the kernel forwards; the tables only record the peers for the admin socket. */
    private static final class RoutesOnly implements Dataplane {
        private final Tables tables;
        private final Counters counters = new Counters();
        private final int mtu;

        RoutesOnly(Tables tables, int mtu) {
            this.tables = tables;
            this.mtu = mtu;
        }

        @Override
        public int mtu() {
            return mtu;
        }

        @Override
        public Tables tables() {
            return tables;
        }

        @Override
        public Counters counters() {
            return counters;
        }

        @Override
        public void close() {
        }
    }

    /** Opens the kernel-route programmer for host-gw and DirectRouting; throws if it cannot. */
    @FunctionalInterface
    interface KernelRoutesOpener {
        KernelRoutes open(Ipv4Prefix network) throws IOException;
    }

    /** rtnetlink, after deleting the direct routes a crashed run left in {@code network}. */
    static final KernelRoutesOpener NETLINK = network -> {
        NetlinkKernelRoutes routes = new NetlinkKernelRoutes();
        try {
            int stale = routes.removeStale(network);
            if (stale > 0) {
                LOG.info("removed {} stale direct route{} left by an earlier run", stale, stale == 1 ? "" : "s");
            }
            return routes;
        } catch (IOException | RuntimeException e) {
            routes.close();
            throw e;
        }
    };

    /**
     * flanneld's {@code --ip-masq}: masquerade rules for traffic leaving the cluster network,
     * installed at start and removed at stop ({@link IpMasq} in nftables).
     */
    interface MasqueradeRules {
        /** Deletes what a run that died without cleaning up left; true when there was something. */
        boolean removeStale() throws IOException;

        /** Installs (or replaces) the rules for {@code network} and this node's {@code subnet}. */
        void install(Ipv4Prefix network, Ipv4Prefix subnet) throws IOException;

        /** Deletes the rules. */
        void remove() throws IOException;
    }

    /** No rules to manage (tests that do not look at masquerading). */
    static final MasqueradeRules NO_MASQUERADE = new MasqueradeRules() {
        @Override
        public boolean removeStale() {
            return false;
        }

        @Override
        public void install(Ipv4Prefix network, Ipv4Prefix subnet) throws IOException {
            throw new IOException("no masquerade rules here");
        }

        @Override
        public void remove() {
        }
    };

    /** nftables through Debian's nft; without it, nothing to remove and IPMasq cannot start. */
    static final MasqueradeRules NFTABLES = new MasqueradeRules() {
        private final Path nft = IpMasq.findNft();

        @Override
        public boolean removeStale() throws IOException {
            return nft != null && new IpMasq(nft).removeStale();
        }

        @Override
        public void install(Ipv4Prefix network, Ipv4Prefix subnet) throws IOException {
            if (nft == null) {
                throw new IOException("IPMasq needs nftables' nft, which is not installed (apt-get install nftables)");
            }
            new IpMasq(nft).install(IpMasq.Family.IPV4, network.toString(), subnet.toString());
        }

        @Override
        public void remove() throws IOException {
            if (nft != null) {
                new IpMasq(nft).remove();
            }
        }
    };

    private final String nodeName;
    private final DataplaneSettings settings;
    private final PeerProgrammer.Backend backend;
    private final PeerSource peers;
    private final Path adminSocket;
    private final SubnetEnv subnetEnv;
    private final PrintWriter err;
    private final DataplaneStarter starter;
    private final KernelRoutesOpener kernelRoutes;
    private final boolean ipMasq;
    private final MasqueradeRules masquerade;
    private final NodeStatus status;
    private volatile RunningDataplane running;
    private PublicIpWatch publicIpWatch;
    private SettingsFor settingsFor;
    private final CountDownLatch stopRequested = new CountDownLatch(1);
    private final CountDownLatch stopped = new CountDownLatch(1);

    /**
     * @param nodeName    for the log
     * @param settings    the validated dataplane settings
     * @param backend     the backend the peers are programmed for (type, VNI, DirectRouting)
     * @param peers       where the peers come from (the config file's {@code Peers}, reloaded on change)
     * @param adminSocket where the admin socket goes
     * @param subnetFile  where subnet.env goes
     * @param ipMasq      install flanneld's masquerade rules ({@code IPMasq})
     * @param err         where the one-line start failure goes
     */
    public Daemon(String nodeName, DataplaneSettings settings, PeerProgrammer.Backend backend, PeerSource peers,
                  Path adminSocket, Path subnetFile, boolean ipMasq, PrintWriter err) {
        this(nodeName, settings, backend, peers, adminSocket, subnetFile, ipMasq, err, new NodeStatus());
    }

    /** As above, reporting readiness and the running dataplane to {@code status} (the metrics listener). */
    Daemon(String nodeName, DataplaneSettings settings, PeerProgrammer.Backend backend, PeerSource peers,
           Path adminSocket, Path subnetFile, boolean ipMasq, PrintWriter err, NodeStatus status) {
        this(nodeName, settings, backend, peers, adminSocket, subnetFile, err, OVERLAY, NETLINK, status, ipMasq,
            NFTABLES);
    }

    Daemon(String nodeName, DataplaneSettings settings, PeerProgrammer.Backend backend, PeerSource peers,
           Path adminSocket, Path subnetFile, PrintWriter err, DataplaneStarter starter, KernelRoutesOpener kernelRoutes) {
        this(nodeName, settings, backend, peers, adminSocket, subnetFile, err, starter, kernelRoutes, new NodeStatus(),
            false, NO_MASQUERADE);
    }

    Daemon(String nodeName, DataplaneSettings settings, PeerProgrammer.Backend backend, PeerSource peers,
           Path adminSocket, Path subnetFile, PrintWriter err, DataplaneStarter starter, KernelRoutesOpener kernelRoutes,
           NodeStatus status, boolean ipMasq, MasqueradeRules masquerade) {
        this.nodeName = nodeName;
        this.settings = settings;
        this.backend = backend;
        this.peers = peers;
        this.adminSocket = adminSocket;
        this.subnetEnv = new SubnetEnv(subnetFile);
        this.err = err;
        this.starter = starter;
        this.kernelRoutes = kernelRoutes;
        this.ipMasq = ipMasq;
        this.masquerade = masquerade;
        this.status = status;
    }

    /**
     * Makes SIGTERM and SIGINT request a clean stop (so {@link #run} returns 0 and the process
     * can exit 0, not 143), and adds a shutdown hook that does the same for any other way the
     * JVM is told to exit and waits for the teardown. (sun.misc.Signal, in jdk.unsupported, is
     * the only way to handle a signal in Java; javac warns about it.)
     */
    public void stopOnSignals() {
        for (String name : new String[] {"TERM", "INT"}) {
            Signal.handle(new Signal(name), signal -> {
                LOG.info("received SIG{}, shutting down", signal.getName());
                requestStop();
            });
        }
        Runtime.getRuntime().addShutdownHook(Thread.ofPlatform().name("muslin-shutdown").unstarted(() -> {
            requestStop();
            try {
                stopped.await(SHUTDOWN_HOOK_WAIT_SECONDS, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }));
    }

    /**
     * Takes a new {@code Node.PublicIP} at run time (flannel #760): {@code watch} reports it, and
     * the dataplane starts again with {@code settingsFor}'s settings while the peers and tables
     * stay; the peer source announces the address. Call before {@link #run}.
     */
    public void followPublicIp(PublicIpWatch watch, SettingsFor settingsFor) {
        this.publicIpWatch = watch;
        this.settingsFor = settingsFor;
    }

    /** Asks {@link #run} to tear down and return. Any thread; idempotent. */
    public void requestStop() {
        stopRequested.countDown();
    }

    /**
     * Starts everything, waits for {@link #requestStop}, tears down. Returns the exit code:
     * 0 after a clean stop, 1 when start failed (after undoing it) or teardown was incomplete.
     */
    public int run() {
        try {
            Deque<Step> undo = new ArrayDeque<>();
            try {
                start(undo);
            } catch (IOException | RuntimeException e) {
                err.println("muslin: start failed: " + describe(e));
                err.flush();
                LOG.debug("start failed", e);
                stop(undo);
                return 1;
            }
            awaitStopRequest();
            return stop(undo) ? 0 : 1;
        } finally {
            stopped.countDown();
        }
    }

    private void start(Deque<Step> undo) throws IOException {
        if (subnetEnv.remove()) {
            LOG.info("removed stale {}", subnetEnv.file());
        }
        if (masquerade.removeStale()) {
            LOG.info("removed stale masquerade rules left by an earlier run");
        }
        RunningDataplane dataplane = RunningDataplane.start(starter, settings);
        running = dataplane;
        undo.push(new Step("dataplane", dataplane::close));
        if (ipMasq) {
            masquerade.install(settings.network(), settings.nodeSubnet());
            undo.push(new Step("masquerade rules", () -> {
                try {
                    masquerade.remove();
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }));
        }
        status.started(dataplane, peers);
        undo.push(new Step("metrics view", status::stopped));

        KernelRoutes kernel = KernelRoutes.NONE;
        if (backend.directRouting() || backend.type().equals(Lease.HOST_GW)) {
            kernel = kernelRoutes.open(settings.network());
            undo.push(new Step("kernel route socket", kernel::close));
        }
        DataplaneSettings.Ipv6 ipv6 = settings.ipv6();
        PeerProgrammer programmer = new PeerProgrammer(dataplane.tables(), settings.network(), settings.nodeSubnet(),
            backend, kernel, ipv6 == null ? null : ipv6.network(), ipv6 == null ? null : ipv6.nodeSubnet());
        undo.push(new Step("peers", programmer::removeAll));
        undo.push(new Step("peer source", peers::close));
        peers.start(programmer);

        dataplane.onMtuChange(mtu -> {
            LOG.info("the underlay MTU changed: tunnel MTU now {}", mtu);
            try {
                subnetEnv.write(settings.network(), settings.nodeSubnet(), ipv6, mtu, ipMasq);
            } catch (IOException e) {
                LOG.warn("cannot rewrite {}: {}", subnetEnv.file(), e.getMessage());
            }
        });
        AdminServer admin = AdminServer.start(adminSocket,
            new View(dataplane, settings, backend.type(), programmer, peers));
        undo.push(new Step("admin socket", admin::close));

        subnetEnv.write(settings.network(), settings.nodeSubnet(), ipv6, settings.mtu(), ipMasq);
        status.ready(true);
        undo.push(new Step("subnet.env", () -> {
            status.ready(false);
            try {
                subnetEnv.remove();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }));

        if (publicIpWatch != null) {
            publicIpWatch.start(this::changePublicIp);
            undo.push(new Step("PublicIP watch", publicIpWatch::close));
        }

        int programmed = programmer.peers().size();
        String overlay = switch (backend.type()) {
            case Lease.VXLAN -> settings.interfaceName() + " vxlan vtep " + MacAddress.format(settings.vtepMac())
                + " vni " + settings.vni() + " port " + settings.port();
            case Lease.IPIP -> settings.interfaceName() + " ipip";
            default -> "host-gw";
        };
        LOG.info("{} up: {} {}{}{} public {} mtu {}, {} peer{}; admin {}; wrote {}", nodeName, overlay,
            settings.nodeSubnet(), backend.directRouting() ? " direct-routing" : "", ipMasq ? " ip-masq" : "",
            Ipv4Address.format(settings.publicIp()), settings.mtu(), programmed, programmed == 1 ? "" : "s",
            adminSocket, subnetEnv.file());
    }

    /**
     * The configuration names a new PublicIP (the watch's thread): the dataplane starts again
     * with it on the same tables, then the peer source announces it. If the dataplane cannot
     * start at all any more, the daemon stops (a supervisor starts it again).
     */
    private void changePublicIp(int publicIp) {
        DataplaneSettings next;
        try {
            next = settingsFor.publicIp(publicIp);
        } catch (IOException | RuntimeException e) {
            LOG.error("cannot take PublicIP {}: {}; keeping {}", Ipv4Address.format(publicIp), e.getMessage(),
                Ipv4Address.format(running.settings().publicIp()));
            return;
        }
        try {
            running.restart(next);
        } catch (IOException e) {
            if (running.stopped()) {
                LOG.error("{}; stopping", e.getMessage());
                requestStop();
            }
            return;
        }
        peers.publicIpChanged(publicIp);
        LOG.info("{} forwards from PublicIP {} now", nodeName, Ipv4Address.format(publicIp));
    }

    private void awaitStopRequest() {
        try {
            stopRequested.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Undoes the steps, last first, not stopping at a failure; true if all succeeded. */
    private static boolean stop(Deque<Step> undo) {
        boolean clean = true;
        while (!undo.isEmpty()) {
            Step step = undo.pop();
            try {
                step.undo.run();
            } catch (RuntimeException e) {
                clean = false;
                LOG.warn("stopping {} failed: {}", step.name, describe(e));
            }
        }
        return clean;
    }

    private static String describe(Exception e) {
        boolean selfExplaining = e instanceof IOException || e instanceof UncheckedIOException
            || e instanceof IllegalArgumentException || e instanceof IllegalStateException;
        return selfExplaining && e.getMessage() != null ? e.getMessage() : e.toString();
    }

    private record Step(String name, Runnable undo) {
    }

    /** The admin socket's view of the running dataplane. */
    private record View(Dataplane dataplane, DataplaneSettings settings, String backend, PeerProgrammer programmer,
                        PeerSource source) implements AdminView {
        @Override
        public String peerSource() {
            return source.name();
        }

        @Override
        public String control() {
            return source.status();
        }

        @Override
        public List<PeerProgrammer.Peer> peers() {
            return programmer.programmed();
        }

        @Override
        public List<io.muslin.control.bgp.speaker.BgpSessionStatus> bgpSessions() {
            return source.sessions();
        }

        @Override
        public java.util.Map<String, Long> bgpCounters() {
            return source.bgpCounters();
        }

        @Override
        public Tables.Snapshot snapshot() {
            return dataplane.tables().snapshot();
        }

        @Override
        public Counters counters() {
            return dataplane.counters();
        }

        @Override
        public String deviceName() {
            return settings.interfaceName();
        }

        @Override
        public int vni() {
            return settings.vni();
        }

        @Override
        public int mtu() {
            return dataplane.mtu();
        }

        @Override
        public List<PathMtu.Entry> pathMtus() {
            return dataplane.pathMtus();
        }

        @Override
        public Capture capture() {
            return dataplane.capture();
        }

        @Override
        public int outerLimit(int underlay) {
            return dataplane.outerLimit(underlay);
        }
    }
}
