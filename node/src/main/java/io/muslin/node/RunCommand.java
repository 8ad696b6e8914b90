package io.muslin.node;

import io.muslin.control.hub.client.HubClientSettings;
import io.muslin.control.hub.client.HubLeaseStore;
import io.muslin.node.metrics.MetricsServer;
import io.muslin.node.metrics.NodeCollector;
import io.muslin.control.lease.Lease;
import io.muslin.control.lease.SubnetAllocator;
import io.muslin.control.program.PeerProgrammer;
import io.muslin.control.store.EtcdLeaseStore;
import io.muslin.control.store.EtcdStoreConfig;
import io.muslin.control.store.LeaseStore;
import io.muslin.control.tls.TlsContexts;
import io.muslin.dataplane.Encapsulation;
import io.muslin.dataplane.engine.DataplaneSettings;
import io.muslin.dataplane.packet.Ipv4Prefix;
import io.muslin.dataplane.packet.MacAddress;
import io.muslin.node.admin.AdminServer;
import io.muslin.node.config.ConfigException;
import io.muslin.node.config.ConfigLoader;
import io.muslin.node.config.NodeConfig;
import io.muslin.node.state.VtepMacStore;
import io.netty.handler.ssl.SslContext;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.NetworkInterface;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code muslin run --config FILE}: validates the configuration, resolves the VTEP MAC and the
 * MTU, and runs the {@link Daemon} until SIGTERM/SIGINT.
 *
 * <p>Exit codes: 0 after a clean stop; 1 when the node could not start (nothing is left
 * installed); 2 for a configuration error (one line {@code muslin: config error: <message>},
 * nothing touched).
 */
@Command(name = "run", mixinStandardHelpOptions = true,
    description = "Run the node daemon until SIGTERM or SIGINT.")
final class RunCommand implements Callable<Integer> {
    private static final Logger LOG = LoggerFactory.getLogger(RunCommand.class);
    static final int EXIT_START_FAILED = 1;
    static final int EXIT_CONFIG_ERROR = 2;

    @Option(names = "--config", required = true, paramLabel = "FILE", description = "The node's JSON configuration.")
    Path config;

    @Option(names = "--subnet-file", paramLabel = "PATH", defaultValue = SubnetEnv.DEFAULT_FILE,
        description = "Where to write flannel's subnet.env (default: ${DEFAULT-VALUE}).")
    Path subnetFile;

    @Option(names = "--admin-socket", paramLabel = "PATH",
        description = "The admin socket (default: " + AdminServer.DEFAULT_DIR + "/<Interface>.sock).")
    Path adminSocket;

    @Option(names = "--state-dir", paramLabel = "DIR", defaultValue = VtepMacStore.DEFAULT_DIR,
        description = "Where the generated VTEP MAC is kept (default: ${DEFAULT-VALUE}).")
    Path stateDir;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter err = spec.commandLine().getErr();
        String text;
        NodeConfig cfg;
        try {
            text = ConfigLoader.read(config);
            cfg = ConfigLoader.parse(text);
        } catch (ConfigException e) {
            err.println("muslin: config error: " + e.getMessage());
            err.flush();
            return EXIT_CONFIG_ERROR;
        }
        NodeStatus status = new NodeStatus();
        MetricsServer metrics = null;
        if (cfg.metrics().enabled()) {
            try {
                // Before the lease and the dataplane: /readyz says 503 until the node is ready.
                metrics = MetricsServer.start(cfg.metrics().listen(), new NodeCollector(status.sources()),
                    status::alive, status::ready);
            } catch (IOException e) {
                err.println("muslin: start failed: " + e.getMessage());
                err.flush();
                return EXIT_START_FAILED;
            }
        }
        try {
            return run(cfg, text, status, err);
        } finally {
            if (metrics != null) {
                metrics.close();
            }
        }
    }

    private int run(NodeConfig cfg, String text, NodeStatus status, PrintWriter err) {
        DataplaneSettings settings;
        PeerSource peers;
        try {
            if (cfg.control().shared()) {
                Start start = storeStart(cfg, text, stateDir, status, StoreWait.RETRY);
                cfg = start.config();
                peers = start.peers();
                settings = start.settings();
            } else if (cfg.control().isBgp()) {
                settings = settings(cfg, stateDir, cfg.node().subnet());
                peers = new BgpPeerSource(cfg.control().bgp().settings(cfg.node().publicIp(), cfg.network()),
                    settings.nodeSubnet(), settings.vtepMac(), cfg.backend().type(), backend(cfg.backend()).vni());
            } else {
                settings = settings(cfg, stateDir, cfg.node().subnet());
                peers = new StaticPeerFile(config, cfg, StaticPeerFile.DEFAULT_INTERVAL);
            }
        } catch (ConfigException e) {
            err.println("muslin: config error: " + e.getMessage());
            err.flush();
            return EXIT_CONFIG_ERROR;
        } catch (IOException e) {
            err.println("muslin: " + e.getMessage());
            err.flush();
            return EXIT_START_FAILED;
        }
        Path socket = adminSocket != null ? adminSocket : AdminServer.defaultSocket(settings.interfaceName());
        Daemon daemon = new Daemon(cfg.node().name(), settings, backend(cfg.backend()), peers, socket, subnetFile,
            cfg.ipMasq(), err, status);
        NodeConfig started = cfg;
        DataplaneSettings first = settings;
        daemon.followPublicIp(new PublicIpWatch(config, settings.publicIp(), PublicIpWatch.DEFAULT_INTERVAL,
            ip -> acceptablePublicIp(started, ip)), ip -> withPublicIp(started, first, ip));
        daemon.stopOnSignals();
        return daemon.run();
    }

    /** What a node starts with: its configuration (completed by the store's), dataplane settings and peers. */
    private record Start(NodeConfig config, DataplaneSettings settings, PeerSource peers) {
    }

    /**
     * With etcd or a hub: opens the store, completes the configuration with the store's network
     * configuration ({@code Network}, {@code SubnetLen}, {@code SubnetMin/Max}, {@code Backend}
     * where the file leaves them out; where both give one they must agree), takes this node's
     * subnet there (configured, kept from an earlier run, or allocated) and returns the peer
     * source that renews it and follows the others.
     *
     * @throws ConfigException when the file and the store's network configuration disagree, or
     *                         the merged configuration is not valid
     */
    private static Start storeStart(NodeConfig fileConfig, String text, Path stateDir, NodeStatus status,
                                    Duration storeRetry) throws IOException, ConfigException {
        NodeConfig.Control c = fileConfig.control();
        // TLS material is read before the first attempt: a bad file is an error, not a wait.
        SslContext hubTls = c.hub() && !c.insecure() ? TlsContexts.client(c.caFile(), c.certFile(), c.keyFile()) : null;
        LeaseStore[] opened = {c.hub() ? null : openEtcd(c)}; // etcd connects on first use, a hub at once
        String what = c.hub() ? "hub " + c.hubs().stream().map(Object::toString).collect(Collectors.joining(", "))
            : "etcd at " + c.endpoints().stream().map(Object::toString).collect(Collectors.joining(", "));
        Optional<String> netConf;
        try {
            netConf = new StoreWait(what, storeRetry).until(() -> {
                if (opened[0] == null) {
                    opened[0] = HubLeaseStore.open(HubClientSettings.of(c.hubs(), hubTls, fileConfig.node().name()));
                }
                Optional<String> conf = opened[0].networkConfig();
                if (conf.isEmpty() && fileConfig.networkFromStore()) {
                    throw new StoreWait.NotYet("no network configuration there yet (the node's file leaves Network to it)");
                }
                return conf;
            }, waiting -> status.waitingFor(waiting ? c.type() : null));
        } catch (IOException e) {
            if (opened[0] != null) {
                opened[0].close();
            }
            throw e;
        }
        LeaseStore store = opened[0];
        try {
            NodeConfig cfg = ConfigLoader.parse(text, netConf, store.where());
            if (fileConfig.networkFromStore()) {
                LOG.info("{}: network {} with /{} subnets, backend {} (from its network configuration)", store.where(),
                    cfg.network(), cfg.subnetLen(), cfg.backend().type());
            }
            Duration ttl = Duration.ofSeconds(c.ttlSeconds());
            long mac = vtepMac(cfg, stateDir);
            NodeConfig.Node node = cfg.node();
            SubnetAllocator allocator = new SubnetAllocator(cfg.network(), cfg.subnetLen(), cfg.subnetMin(), cfg.subnetMax());
            Path stateFile = stateDir.resolve(node.interfaceName() + ".subnet");
            String type = cfg.backend().type();
            Lease own = StorePeerSource.acquire(store, node.subnet(), stateFile, allocator,
                subnet -> type.equals(Lease.VXLAN) ? Lease.vxlan(subnet, node.publicIp(), cfg.backend().vni(), mac)
                    : Lease.of(type, subnet, node.publicIp()), ttl);
            return new Start(cfg, settings(cfg, stateDir, own.subnet()), new StorePeerSource(store, own, ttl, c.type()));
        } catch (IOException | ConfigException | RuntimeException e) {
            store.close();
            throw e;
        }
    }

    private static LeaseStore openEtcd(NodeConfig.Control c) throws IOException {
        EtcdStoreConfig storeConfig = EtcdStoreConfig.of(c.endpoints()).withPrefix(c.prefix());
        if (c.caFile() != null || c.certFile() != null || c.keyFile() != null) {
            storeConfig = storeConfig.withTls(new EtcdStoreConfig.Tls(Optional.ofNullable(c.caFile()),
                Optional.ofNullable(c.certFile()), Optional.ofNullable(c.keyFile())));
        }
        return EtcdLeaseStore.open(storeConfig);
    }

    /** The VTEP MAC: configured, or generated once and kept (VXLAN only; NONE otherwise). */
    private static long vtepMac(NodeConfig cfg, Path stateDir) throws IOException {
        NodeConfig.Node node = cfg.node();
        if (cfg.backend().encapsulation() != Encapsulation.VXLAN) {
            return MacAddress.NONE;
        }
        return node.hasVtepMac() ? node.vtepMac() : new VtepMacStore(stateDir).loadOrCreate(node.interfaceName());
    }

    /**
     * The dataplane settings for this node's {@code subnet}: the configured MAC or the persisted
     * one (VXLAN only), the configured MTU or the underlay's less the encapsulation's overhead.
     */
    static DataplaneSettings settings(NodeConfig cfg, Path stateDir, Ipv4Prefix subnet) throws IOException {
        NodeConfig.Node node = cfg.node();
        NodeConfig.Backend backend = cfg.backend();
        Encapsulation encapsulation = backend.encapsulation();
        int mtu;
        int underlayMtu;
        int underlayIndex = 0;
        if (backend.autoMtu()) {
            NetworkInterface underlay = UnderlayMtu.device(node.publicIp());
            mtu = UnderlayMtu.tunnelMtu(underlay, encapsulation);
            underlayMtu = underlay.getMTU();
            underlayIndex = underlay.getIndex();
        } else {
            // A configured MTU is taken as right for the path (PublicIP need not be local, e.g. behind NAT).
            mtu = backend.mtu();
            underlayMtu = mtu + encapsulation.bytes(4);
        }
        long mac = vtepMac(cfg, stateDir);
        DataplaneSettings.Ipv6 ipv6 = null;
        if (cfg.hasIpv6()) {
            // One TUN device carries both families: its MTU fits the narrower of the two tunnels.
            int underlayMtu6 = backend.autoMtu() ? UnderlayMtu.device(node.publicIpv6()).getMTU()
                : mtu + Encapsulation.VXLAN.bytes(6);
            if (backend.autoMtu()) {
                mtu = Math.min(mtu, underlayMtu6 - Encapsulation.VXLAN.bytes(6));
            }
            ipv6 = new DataplaneSettings.Ipv6(cfg.ipv6().network(), node.ipv6Subnet(), node.publicIpv6(),
                node.vtepMac6(mac), underlayMtu6);
        }
        return new DataplaneSettings(node.interfaceName(), encapsulation, cfg.network(), subnet, node.publicIp(),
            mac, backend.vni(), backend.port(), mtu, backend.autoMtu(), underlayIndex, underlayMtu, backend.mssClamp(),
            cfg.sourceCheck(), cfg.dataplane().threads(), cfg.dataplane().idleSpinMicros(), ipv6);
    }

    /** An address the node may take as its PublicIP at run time: what the start accepts (unicast, outside the network). */
    static boolean acceptablePublicIp(NodeConfig cfg, int ip) {
        int first = ip >>> 24;
        return ip != 0 && first != 127 && first < 224 && !cfg.network().contains(new Ipv4Prefix(ip, 32));
    }

    /** {@code s} for the PublicIP {@code ip}: the underlay device and its MTU looked up again (auto MTU). */
    static DataplaneSettings withPublicIp(NodeConfig cfg, DataplaneSettings s, int ip) throws IOException {
        int mtu = s.mtu();
        int underlayMtu = s.underlayMtu();
        int underlayIndex = s.underlayIndex();
        if (s.autoMtu()) {
            NetworkInterface underlay = UnderlayMtu.device(ip);
            mtu = UnderlayMtu.tunnelMtu(underlay, cfg.backend().encapsulation());
            underlayMtu = underlay.getMTU();
            underlayIndex = underlay.getIndex();
        }
        if (s.autoMtu() && s.ipv6() != null) {
            mtu = Math.min(mtu, s.ipv6().underlayMtu() - Encapsulation.VXLAN.bytes(6));
        }
        return new DataplaneSettings(s.interfaceName(), s.encapsulation(), s.network(), s.nodeSubnet(), ip, s.vtepMac(),
            s.vni(), s.port(), mtu, s.autoMtu(), underlayIndex, underlayMtu, s.mssClamp(), s.sourceCheck(), s.threads(),
            s.idleSpinMicros(), s.ipv6());
    }

    /** What the peer programmer needs of the backend. */
    static PeerProgrammer.Backend backend(NodeConfig.Backend b) {
        return new PeerProgrammer.Backend(b.type(), b.type().equals(Lease.VXLAN) ? b.vni() : Lease.NO_VNI,
            b.directRouting());
    }
}
