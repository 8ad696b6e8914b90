package io.muslin.dataplane.path;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Counters written by the one event-loop thread that owns the path and read by anyone.
 * Writes are plain-read, opaque-write (no fence on the packet path); readers see a recent value.
 *
 * <p>With several dataplane threads each thread counts into counters of its own, and the
 * dataplane's counters are {@link #sumOf} them: a read adds up the parts (and anything counted
 * into the sum itself, by its own single writer), so nothing is shared on the packet path and
 * readers keep one API.
 */
public final class Counters {
    private static final Counter[] ALL = Counter.values();
    private final AtomicLongArray values = new AtomicLongArray(ALL.length);
    private final List<Counters> parts;
    /** The writer's own: the reason of the last drop it counted (for the capture's drop point). */
    private Counter lastDrop;

    public Counters() {
        this.parts = List.of();
    }

    private Counters(List<Counters> parts) {
        this.parts = List.copyOf(parts);
    }

    /**
     * Counters that read as the sum of {@code parts} (one per dataplane thread, each with its
     * own writer) and of their own increments (one more writer).
     */
    public static Counters sumOf(List<Counters> parts) {
        for (Counters p : parts) {
            if (!p.parts.isEmpty()) {
                throw new IllegalArgumentException("a part of a sum cannot be a sum itself");
            }
        }
        return new Counters(parts);
    }

    /** Single-writer increment. */
    public void inc(Counter c) {
        int i = c.ordinal();
        values.setOpaque(i, values.getPlain(i) + 1);
        if (c.isDrop()) {
            lastDrop = c;
        }
    }

    /** Single-writer add. */
    public void add(Counter c, long delta) {
        int i = c.ordinal();
        values.setOpaque(i, values.getPlain(i) + delta);
        if (c.isDrop() && delta > 0) {
            lastDrop = c;
        }
    }

    /**
     * The writer thread only: the drop counter it incremented last, or null. After a path
     * returned "dropped", this is why (what {@code muslin capture --point drop} writes).
     */
    public Counter lastDrop() {
        return lastDrop;
    }

    /** The count: this object's own plus, for a {@link #sumOf sum}, every part's. */
    public long get(Counter c) {
        int i = c.ordinal();
        long v = values.getOpaque(i);
        for (Counters p : parts) {
            v += p.values.getOpaque(i);
        }
        return v;
    }

    /** The parts of a {@link #sumOf sum}, one per dataplane thread; empty otherwise. */
    public List<Counters> parts() {
        return parts;
    }

    /** All counters by label, in declaration order. */
    public Map<String, Long> snapshot() {
        Map<String, Long> out = new LinkedHashMap<>();
        for (Counter c : ALL) {
            out.put(c.label(), get(c));
        }
        return out;
    }

    /**
     * One read of every counter of this object and of each part: element 0 is the total
     * (own plus the parts as read here, so it is their exact sum), element {@code 1 + k} part
     * {@code k}'s values; each indexed by {@link Counter#ordinal()}.
     */
    public long[][] read() {
        long[][] out = new long[1 + parts.size()][ALL.length];
        for (int i = 0; i < ALL.length; i++) {
            long total = values.getOpaque(i);
            for (int k = 0; k < parts.size(); k++) {
                long v = parts.get(k).values.getOpaque(i);
                out[1 + k][i] = v;
                total += v;
            }
            out[0][i] = total;
        }
        return out;
    }
}
