package io.muslin.node.metrics;

import io.prometheus.metrics.model.snapshots.ClassicHistogramBuckets;
import io.prometheus.metrics.model.snapshots.HistogramSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import org.HdrHistogram.Histogram;

/** HdrHistograms (nanoseconds) as Prometheus classic histograms (seconds). */
final class Histograms {
    /** Bucket upper bounds in seconds: 1 µs to 1 s, then +Inf. */
    static final double[] BOUNDS = {
        1e-6, 2.5e-6, 5e-6, 1e-5, 2.5e-5, 5e-5, 1e-4, 2.5e-4, 5e-4, 1e-3, 2.5e-3, 5e-3, 1e-2, 2.5e-2, 0.1, 1,
        Double.POSITIVE_INFINITY,
    };

    private Histograms() {
    }

    /** One data point: per-bucket counts (the exposition makes them cumulative), count and sum. */
    static HistogramSnapshot.HistogramDataPointSnapshot point(Histogram h, Labels labels) {
        long[] counts = new long[BOUNDS.length];
        long below = 0;
        for (int i = 0; i < BOUNDS.length - 1; i++) {
            long upTo = h.getCountBetweenValues(0, (long) (BOUNDS[i] * 1e9));
            counts[i] = upTo - below;
            below = upTo;
        }
        counts[BOUNDS.length - 1] = h.getTotalCount() - below;
        return HistogramSnapshot.HistogramDataPointSnapshot.builder()
            .classicHistogramBuckets(ClassicHistogramBuckets.of(BOUNDS, counts))
            .sum(h.getMean() * h.getTotalCount() / 1e9)
            .labels(labels)
            .build();
    }
}
