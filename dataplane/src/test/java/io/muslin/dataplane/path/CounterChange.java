package io.muslin.dataplane.path;

import java.util.EnumMap;
import java.util.Map;

/** Which counters one call changed, and by how much: taken before the call, read after it. */
final class CounterChange {
    private static final Counter[] ALL = Counter.values();
    private final Counters counters;
    private final long[] before = new long[ALL.length];

    CounterChange(Counters counters) {
        this.counters = counters;
    }

    /** Remembers every counter's value now. */
    CounterChange mark() {
        for (Counter c : ALL) {
            before[c.ordinal()] = counters.get(c);
        }
        return this;
    }

    /** The counters that differ from the mark, with their increase. */
    Map<Counter, Long> since() {
        Map<Counter, Long> out = new EnumMap<>(Counter.class);
        for (Counter c : ALL) {
            long d = counters.get(c) - before[c.ordinal()];
            if (d != 0) {
                out.put(c, d);
            }
        }
        return out;
    }
}
