package io.muslin.dataplane.capture;

import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * One running capture: a ring and a {@link RingRecorder} per dataplane thread, and the writer
 * loop ({@link #run}) that drains the rings into pcapng on the calling thread until the count or
 * duration is reached, {@link #stop} is called or the sink asks to stop. Then it detaches from
 * the taps, writes what the rings still hold and returns how many packets it wrote and how many
 * the rings could not hold. The pcapng is complete at every write (whole blocks only).
 *
 * <p>Threads: recorders on the dataplane threads; {@link #run} on one writer thread;
 * {@link #stop} from any.
 */
public final class CaptureSession {
    /** How long the writer sleeps when every ring is empty. */
    static final long IDLE_NANOS = TimeUnit.MILLISECONDS.toNanos(2);
    /** Records written between flushes to the sink. */
    private static final int RECORDS_PER_FLUSH = 256;

    private final Capture capture;
    private final CaptureSettings settings;
    private final CaptureRing[] rings;
    private final RingRecorder[] recorders;
    private volatile boolean stop;

    /** How a capture ended. */
    public record Result(long captured, long missed) {
        /** {@code captured N, missed M}. */
        @Override
        public String toString() {
            return "captured " + captured + ", missed " + missed;
        }
    }

    CaptureSession(Capture capture, CaptureSettings settings, int threads) {
        this.capture = capture;
        this.settings = settings;
        this.rings = new CaptureRing[threads];
        this.recorders = new RingRecorder[threads];
        CaptureClock clock = new CaptureClock();
        int bytes = Math.max(64, settings.ringBytes() / threads) & ~7;
        for (int i = 0; i < threads; i++) {
            rings[i] = new CaptureRing(bytes);
            recorders[i] = new RingRecorder(rings[i], settings, capture.context(), clock);
        }
    }

    public CaptureSettings settings() {
        return settings;
    }

    Recorder recorder(int tap) {
        return recorders[tap];
    }

    /** Asks {@link #run} to finish (any thread). */
    public void stop() {
        stop = true;
    }

    /** Packets that matched but found the ring full, so far. */
    public long missed() {
        long m = 0;
        for (RingRecorder r : recorders) {
            m += r.missed();
        }
        return m;
    }

    /**
     * Writes the capture to {@code sink} until it ends (see the class comment); detaches from the
     * taps on every way out.
     *
     * @throws IOException from the sink (the capture is then over)
     */
    public Result run(CaptureSink sink) throws IOException {
        PcapngWriter pcapng = new PcapngWriter();
        RecordWriter writer = new RecordWriter(pcapng, capture.context(), settings);
        try {
            sink.write(pcapng.drain());
            Duration duration = settings.duration();
            long deadline = duration == null ? Long.MAX_VALUE : System.nanoTime() + duration.toNanos();
            while (!stop && !limitReached(writer) && System.nanoTime() - deadline < 0 && !sink.stopRequested()) {
                int records = drain(writer, RECORDS_PER_FLUSH);
                if (pcapng.pending() > 0) {
                    sink.write(pcapng.drain());
                }
                if (records == 0) {
                    LockSupport.parkNanos(IDLE_NANOS);
                }
            }
            capture.detach(this);
            // What the rings hold now was recorded before the end; write it (within the count).
            while (drain(writer, RECORDS_PER_FLUSH) > 0) {
                sink.write(pcapng.drain());
            }
            if (pcapng.pending() > 0) {
                sink.write(pcapng.drain());
            }
            return new Result(writer.written(), missed());
        } finally {
            capture.detach(this);
            writer.close();
        }
    }

    private boolean limitReached(RecordWriter writer) {
        return settings.count() > 0 && writer.written() >= settings.count();
    }

    /** Writes up to {@code max} records from the rings, in turn; returns how many. */
    private int drain(RecordWriter writer, int max) {
        int done = 0;
        boolean any = true;
        while (any && done < max) {
            any = false;
            for (CaptureRing ring : rings) {
                if (limitReached(writer)) {
                    return done;
                }
                int at = ring.peek();
                if (at < 0) {
                    continue;
                }
                long budget = settings.count() > 0 ? settings.count() - writer.written() : Long.MAX_VALUE;
                writer.write(ring, at, budget);
                ring.release(at);
                done++;
                any = true;
            }
        }
        return done;
    }
}
