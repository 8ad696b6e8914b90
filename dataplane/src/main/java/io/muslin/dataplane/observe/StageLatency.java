package io.muslin.dataplane.observe;

import org.HdrHistogram.Histogram;
import org.HdrHistogram.SingleWriterRecorder;

/**
 * One thread's latency of one stage, recorded with HdrHistogram's {@link SingleWriterRecorder}:
 * the dataplane thread records (wait-free, no allocation: a fixed-size histogram, values
 * clamped to its range), a reader takes interval histograms and adds them to a running total
 * (Prometheus histograms are cumulative).
 */
final class StageLatency {
    /** Highest value kept: 10 s; longer batches are recorded as 10 s. */
    static final long MAX_NANOS = 10_000_000_000L;
    private static final int SIGNIFICANT_DIGITS = 2;

    private final SingleWriterRecorder recorder = new SingleWriterRecorder(1, MAX_NANOS, SIGNIFICANT_DIGITS);
    private final Histogram total = new Histogram(1, MAX_NANOS, SIGNIFICANT_DIGITS);
    private Histogram interval;

    /** Writer thread: one sample of {@code nanos}. */
    void record(long nanos) {
        recorder.recordValue(Math.max(1, Math.min(nanos, MAX_NANOS)));
    }

    /** Any reader (serialized by the caller): adds what was recorded since the last call to the total and returns it. */
    Histogram cumulative() {
        interval = recorder.getIntervalHistogram(interval);
        total.add(interval);
        return total;
    }
}
