package io.muslin.node.metrics;

import com.sun.net.httpserver.HttpExchange;
import io.prometheus.metrics.exporter.httpserver.HTTPServer;
import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.BooleanSupplier;

/**
 * The metrics listener ({@code "Metrics": {"Listen": "127.0.0.1:9465"}}): the Prometheus Java
 * client's HTTP server with
 * <ul>
 *   <li>{@code /metrics} — Prometheus text format (or OpenMetrics when asked) of the collector;</li>
 *   <li>{@code /healthz} — 200 {@code ok} while the process and its dataplane threads answer, else 503;</li>
 *   <li>{@code /readyz} — 200 {@code ready} once routes are programmed and subnet.env is written,
 *       503 {@code not ready} before (as flanneld's {@code --healthz-port});</li>
 * </ul>
 * anything else is 404. One thread ({@code muslin-metrics}) serves requests, off the packet path.
 */
public final class MetricsServer implements AutoCloseable {
    private final HTTPServer server;
    private final ExecutorService executor;

    private MetricsServer(HTTPServer server, ExecutorService executor) {
        this.server = server;
        this.executor = executor;
    }

    /**
     * Binds {@code listen} and serves.
     *
     * @param alive what {@code /healthz} asks (may take up to a second)
     * @param ready what {@code /readyz} asks
     */
    public static MetricsServer start(InetSocketAddress listen, MultiCollector collector, BooleanSupplier alive,
                                      BooleanSupplier ready) throws IOException {
        PrometheusRegistry registry = new PrometheusRegistry();
        registry.register(collector);
        ExecutorService executor = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "muslin-metrics");
            t.setDaemon(true);
            return t;
        });
        try {
            HTTPServer server = HTTPServer.builder().inetAddress(listen.getAddress()).port(listen.getPort())
                .registry(registry).executorService(executor).registerHealthHandler(false)
                .defaultHandler(exchange -> health(exchange, alive, ready)).buildAndStart();
            return new MetricsServer(server, executor);
        } catch (IOException | RuntimeException e) {
            executor.shutdownNow();
            throw new IOException("Metrics.Listen " + listen.getHostString() + ":" + listen.getPort()
                + ": cannot listen: " + e.getMessage(), e);
        }
    }

    /** The port it listens on (the configured one, or the one the kernel chose for port 0). */
    public int port() {
        return server.getPort();
    }

    private static void health(HttpExchange exchange, BooleanSupplier alive, BooleanSupplier ready) throws IOException {
        try (exchange) {
            String path = exchange.getRequestURI().getPath();
            int status;
            String body;
            switch (path) {
                case "/healthz" -> {
                    boolean ok = alive.getAsBoolean();
                    status = ok ? 200 : 503;
                    body = ok ? "ok\n" : "dataplane not responding\n";
                }
                case "/readyz" -> {
                    boolean ok = ready.getAsBoolean();
                    status = ok ? 200 : 503;
                    body = ok ? "ready\n" : "not ready\n";
                }
                default -> {
                    status = 404;
                    body = "not found (accepted: /metrics, /healthz, /readyz)\n";
                }
            }
            byte[] b = body.getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
            exchange.sendResponseHeaders(status, b.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(b);
            }
        }
    }

    @Override
    public void close() {
        server.close();
        executor.shutdownNow();
    }
}
