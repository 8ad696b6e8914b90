package io.muslin.control.hub.server;

import io.muslin.control.lease.Lease;
import io.muslin.control.store.LeaseListener;
import io.muslin.control.store.LeaseStore;
import io.muslin.dataplane.packet.Ipv4Prefix;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A store whose watches lag behind it while {@link #hold()} is in force: writes take effect and
 * return at once, but their events reach the watch's listener only after {@link #release()}.
 * It makes the window between a store write and the hub's view seeing it as wide as a test needs.
 */
final class LaggingStore implements LeaseStore {
    private final LeaseStore store;
    private final List<Gate> gates = new ArrayList<>();
    private boolean holding;

    LaggingStore(LeaseStore store) {
        this.store = store;
    }

    /** From now on, watch events wait. */
    synchronized void hold() {
        holding = true;
        gates.forEach(Gate::hold);
    }

    /** Delivers what waited, in order, and lets events through again. */
    synchronized void release() {
        holding = false;
        gates.forEach(Gate::release);
    }

    @Override
    public Optional<String> networkConfig() throws IOException {
        return store.networkConfig();
    }

    @Override
    public Written acquireWritten(Lease lease, Duration ttl) throws IOException {
        return store.acquireWritten(lease, ttl);
    }

    @Override
    public Written renewWritten(Lease lease) throws IOException {
        return store.renewWritten(lease);
    }

    @Override
    public Written releaseWritten(Ipv4Prefix subnet, int publicIp) throws IOException {
        return store.releaseWritten(subnet, publicIp);
    }

    @Override
    public Snapshot list() throws IOException {
        return store.list();
    }

    @Override
    public synchronized Watch watch(long fromRevision, LeaseListener listener) {
        Gate gate = new Gate(listener);
        if (holding) {
            gate.hold();
        }
        gates.add(gate);
        return store.watch(fromRevision, gate);
    }

    @Override
    public void close() {
        store.close();
    }

    /** One watch's listener: events queue while held; delivered in order, one at a time, under its lock. */
    private static final class Gate implements LeaseListener {
        private final LeaseListener listener;
        private final List<Runnable> waiting = new ArrayList<>();
        private boolean held;

        Gate(LeaseListener listener) {
            this.listener = listener;
        }

        synchronized void hold() {
            held = true;
        }

        synchronized void release() {
            held = false;
            waiting.forEach(Runnable::run);
            waiting.clear();
        }

        private synchronized void pass(Runnable event) {
            if (held) {
                waiting.add(event);
            } else {
                event.run();
            }
        }

        @Override
        public void put(Lease lease, long revision) {
            pass(() -> listener.put(lease, revision));
        }

        @Override
        public void delete(Ipv4Prefix subnet, long revision) {
            pass(() -> listener.delete(subnet, revision));
        }

        @Override
        public void resync(Snapshot snapshot) {
            pass(() -> listener.resync(snapshot));
        }
    }
}
