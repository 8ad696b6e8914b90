package io.muslin.dataplane.path;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Counters written by the one event-loop thread that owns the path and read by anyone.
 * Writes are plain-read, opaque-write (no fence on the packet path); readers see a recent value.
 */
public final class Counters {
    private static final Counter[] ALL = Counter.values();
    private final AtomicLongArray values = new AtomicLongArray(ALL.length);
    /** The writer's own: the reason of the last drop it counted (for the capture's drop point). */
    private Counter lastDrop;

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

    public long get(Counter c) {
        return values.getOpaque(c.ordinal());
    }

    /** All counters by label, in declaration order. */
    public Map<String, Long> snapshot() {
        Map<String, Long> out = new LinkedHashMap<>();
        for (Counter c : ALL) {
            out.put(c.label(), get(c));
        }
        return out;
    }
}
