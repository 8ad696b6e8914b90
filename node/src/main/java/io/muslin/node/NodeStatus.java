package io.muslin.node;

import io.muslin.dataplane.table.Tables;
import io.muslin.node.metrics.ControlState;
import io.muslin.node.metrics.NodeCollector;
import java.util.List;

/**
 * What the metrics listener shows of a node whose daemon may not have started yet: the
 * {@link Daemon} fills it in as it starts (the dataplane, the peer source) and says when it is
 * ready; until then the listener answers {@code /readyz} with 503 and shows no dataplane. Any
 * thread reads; the daemon's thread writes.
 */
final class NodeStatus {
    /** How long {@code /healthz} waits for the dataplane's event loop to run a task. */
    static final long HEALTH_TIMEOUT_MILLIS = 1000;
    private static final Tables EMPTY = new Tables();

    private volatile Daemon.Dataplane dataplane;
    private volatile PeerSource peers;
    private volatile boolean ready;
    private volatile String waitingFor;

    void started(Daemon.Dataplane dataplane, PeerSource peers) {
        this.peers = peers;
        this.dataplane = dataplane;
    }

    /** The store ({@code etcd}, {@code hub}) the start is waiting for, or null: shown as {@code muslin_control_up 0}. */
    void waitingFor(String source) {
        this.waitingFor = source;
    }

    void ready(boolean ready) {
        this.ready = ready;
    }

    void stopped() {
        ready = false;
        dataplane = null;
    }

    boolean ready() {
        return ready;
    }

    /** The process answers; once the dataplane runs, its threads must too. */
    boolean alive() {
        Daemon.Dataplane d = dataplane;
        return d == null || d.responsive(HEALTH_TIMEOUT_MILLIS);
    }

    private ControlState controlState() {
        PeerSource p = peers;
        String waiting = waitingFor;
        if (p != null) {
            return p.controlState();
        }
        return waiting != null ? new ControlState(waiting, false, -1, -1) : ControlState.STATIC;
    }

    NodeCollector.Sources sources() {
        return new NodeCollector.Sources(
            () -> dataplane == null ? null : dataplane.counters(),
            () -> dataplane == null ? null : dataplane.probes(),
            () -> dataplane == null ? EMPTY.snapshot() : dataplane.tables().snapshot(),
            () -> dataplane == null ? List.of() : dataplane.pathMtus(),
            () -> dataplane == null ? 0 : dataplane.mtu(),
            () -> dataplane == null ? null : dataplane.capture(),
            this::controlState,
            this::ready);
    }
}
