package io.muslin.dataplane.capture;

import java.time.Instant;

/**
 * Wall-clock nanoseconds for packet timestamps from one {@link System#nanoTime} read: the
 * epoch time taken once at the start plus the monotonic time since. Immutable.
 */
final class CaptureClock {
    private final long baseEpochNanos;
    private final long baseNanoTime;

    CaptureClock() {
        Instant now = Instant.now();
        this.baseNanoTime = System.nanoTime();
        this.baseEpochNanos = now.getEpochSecond() * 1_000_000_000L + now.getNano();
    }

    long nowNanos() {
        return baseEpochNanos + (System.nanoTime() - baseNanoTime);
    }
}
