/**
 * What the dataplane threads report besides their {@link io.muslin.dataplane.path.Counters}, for
 * metrics and capture: {@link io.muslin.dataplane.observe.ThreadProbe} (one per thread, single
 * writer: the capture tap, stage latency, per-peer traffic) and
 * {@link io.muslin.dataplane.observe.DataplaneProbes} (the dataplane's, read by exporters from
 * any thread).
 */
package io.muslin.dataplane.observe;
