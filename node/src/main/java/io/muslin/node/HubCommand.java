package io.muslin.node;

import io.muslin.control.hub.server.HubConfig;
import io.muslin.control.hub.server.HubServer;
import io.muslin.control.json.JsonFieldException;
import io.muslin.control.store.EmbeddedLeaseStore;
import io.muslin.control.store.EtcdLeaseStore;
import io.muslin.control.store.LeaseStore;
import io.muslin.control.tls.TlsContexts;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import io.muslin.control.json.JsonFields;
import io.muslin.control.lease.LeaseJson;
import io.muslin.node.config.ConfigLoader;
import io.muslin.node.metrics.HubCollector;
import io.muslin.node.metrics.MetricsServer;
import java.net.InetSocketAddress;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import sun.misc.Signal;

/**
 * {@code muslin hub --config FILE}: serves leases to nodes until SIGTERM or SIGINT. The hub
 * installs nothing on the host; its only state is the embedded store's directory (or etcd).
 */
@Command(name = "hub", mixinStandardHelpOptions = true,
    description = "Run the control hub: nodes announce their leases to it and learn everyone else's.")
final class HubCommand implements Callable<Integer> {
    private static final Logger LOG = LoggerFactory.getLogger(HubCommand.class);

    @Option(names = "--config", required = true, paramLabel = "FILE", description = "The hub's configuration (JSON).")
    Path config;

    @Spec
    CommandSpec spec;

    @Option(names = "--metrics", paramLabel = "ADDRESS:PORT",
        description = "Serve /metrics, /healthz and /readyz there (e.g. 127.0.0.1:9466; default: off).")
    String metricsListen;

    @Override
    public Integer call() {
        PrintWriter err = spec.commandLine().getErr();
        InetSocketAddress metrics = null;
        if (metricsListen != null) {
            try {
                metrics = ConfigLoader.listenAddress(JsonFields.of(LeaseJson.readTree("{}"), ""), "--metrics",
                    metricsListen);
            } catch (JsonFieldException e) {
                return fail(err, e.getMessage(), RunCommand.EXIT_CONFIG_ERROR);
            }
        }
        HubConfig cfg;
        try {
            cfg = HubConfig.load(config);
        } catch (NoSuchFileException e) {
            return fail(err, "config error: " + config + ": no such file", RunCommand.EXIT_CONFIG_ERROR);
        } catch (IOException e) {
            return fail(err, "config error: " + config + ": " + e.getMessage(), RunCommand.EXIT_CONFIG_ERROR);
        } catch (JsonFieldException e) {
            return fail(err, "config error: " + config + ": " + e.getMessage(), RunCommand.EXIT_CONFIG_ERROR);
        }
        LeaseStore store;
        try {
            store = cfg.etcd().isPresent() ? EtcdLeaseStore.open(cfg.etcd().get())
                : EmbeddedLeaseStore.open(cfg.storeDir(), cfg.networkConfig());
        } catch (IOException e) {
            return fail(err, "hub store: " + e.getMessage(), RunCommand.EXIT_START_FAILED);
        }
        HubServer hub;
        try {
            HubServer.Settings settings = cfg.insecure() ? HubServer.Settings.insecure(cfg.listen())
                : HubServer.Settings.tls(cfg.listen(), TlsContexts.server(cfg.caFile(), cfg.certFile(), cfg.keyFile()));
            hub = HubServer.start(settings.withHeartbeat(cfg.heartbeat()), store);
        } catch (IOException | RuntimeException e) {
            store.close();
            return fail(err, e.getMessage(), RunCommand.EXIT_START_FAILED);
        }
        MetricsServer metricsServer = null;
        if (metrics != null) {
            try {
                metricsServer = MetricsServer.start(metrics, new HubCollector(hub.stats()), () -> true, () -> true);
            } catch (IOException e) {
                hub.close();
                store.close();
                return fail(err, e.getMessage(), RunCommand.EXIT_START_FAILED);
            }
        }
        CountDownLatch stop = new CountDownLatch(1);
        for (String name : new String[] {"TERM", "INT"}) {
            Signal.handle(new Signal(name), signal -> {
                LOG.info("received SIG{}, stopping the hub", signal.getName());
                stop.countDown();
            });
        }
        try {
            stop.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (metricsServer != null) {
            metricsServer.close();
        }
        hub.close();
        store.close();
        LOG.info("hub counters: {}", hub.stats().values());
        return 0;
    }

    private static int fail(PrintWriter err, String message, int code) {
        err.println("muslin hub: " + message);
        err.flush();
        return code;
    }
}
