package io.muslin.control.bgp.speaker;

import io.muslin.dataplane.packet.Ipv4Prefix;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/** A listener that keeps the current best routes and every event; tests wait on it (no polling). */
final class RecordingRoutes implements BgpRouteListener {
    private static final long WAIT_MILLIS = 15_000;
    private final Map<Ipv4Prefix, BgpRoute> routes = new HashMap<>();
    private final List<String> events = new ArrayList<>();

    @Override
    public synchronized void changed(BgpRoute best) {
        routes.put(best.prefix(), best);
        events.add("changed " + best);
        notifyAll();
    }

    @Override
    public synchronized void withdrawn(Ipv4Prefix prefix) {
        routes.remove(prefix);
        events.add("withdrawn " + prefix);
        notifyAll();
    }

    synchronized BgpRoute get(String prefix) {
        return routes.get(Ipv4Prefix.parse(prefix));
    }

    synchronized List<String> events() {
        return List.copyOf(events);
    }

    /** Waits (up to 15 s) until {@code condition} holds for the routes; returns whether it did. */
    synchronized boolean await(Predicate<Map<Ipv4Prefix, BgpRoute>> condition) throws InterruptedException {
        long deadline = System.currentTimeMillis() + WAIT_MILLIS;
        while (!condition.test(routes)) {
            long left = deadline - System.currentTimeMillis();
            if (left <= 0) {
                return false;
            }
            wait(left);
        }
        return true;
    }

    boolean awaitRoute(String prefix) throws InterruptedException {
        Ipv4Prefix p = Ipv4Prefix.parse(prefix);
        return await(r -> r.containsKey(p));
    }

    boolean awaitGone(String prefix) throws InterruptedException {
        Ipv4Prefix p = Ipv4Prefix.parse(prefix);
        return await(r -> !r.containsKey(p));
    }
}
