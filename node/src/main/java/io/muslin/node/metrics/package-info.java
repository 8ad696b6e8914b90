/**
 * The node's (and the hub's) Prometheus metrics and health endpoints: collectors that read the
 * dataplane's counters, probes and tables at scrape time (nothing is added to the packet path),
 * and one HTTP listener ({@code Metrics.Listen}) serving {@code /metrics}, {@code /healthz} and
 * {@code /readyz} through the Prometheus Java client's exporter.
 */
package io.muslin.node.metrics;
