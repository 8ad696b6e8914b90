package io.muslin.node;

import io.muslin.dataplane.capture.Capture;
import io.muslin.dataplane.engine.DataplaneSettings;
import io.muslin.dataplane.observe.DataplaneProbes;
import io.muslin.dataplane.packet.Ipv4Address;
import io.muslin.dataplane.path.Counters;
import io.muslin.dataplane.path.PathMtu;
import io.muslin.dataplane.table.Tables;
import java.io.IOException;
import java.util.List;
import java.util.function.IntConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node's dataplane as the rest of the daemon sees it: one {@link Daemon.Dataplane} whose
 * tables outlive the dataplane running behind it, so that the dataplane can be started again
 * with other settings (a new PublicIP, flannel #760) while the peer programmer, the admin socket
 * and the metrics keep their references. A restart closes the running dataplane (its device and
 * routes go) and starts one on the same tables: pods lose packets for the time it takes, and
 * the counters start again from zero.
 *
 * <p>Threads: {@link #restart} and {@link #close} are called by the daemon's control side, one
 * at a time; the getters may be called by any thread and see one dataplane or the other.
 */
final class RunningDataplane implements Daemon.Dataplane {
    private static final Logger LOG = LoggerFactory.getLogger(RunningDataplane.class);

    private final Daemon.DataplaneStarter starter;
    private final Tables tables = new Tables();
    private volatile Daemon.Dataplane current;
    private volatile DataplaneSettings settings;
    private IntConsumer mtuListener = mtu -> { };

    private RunningDataplane(Daemon.DataplaneStarter starter, DataplaneSettings settings) {
        this.starter = starter;
        this.settings = settings;
    }

    /** Starts the first dataplane; throws (having undone its own partial work) if it cannot. */
    static RunningDataplane start(Daemon.DataplaneStarter starter, DataplaneSettings settings) throws IOException {
        RunningDataplane running = new RunningDataplane(starter, settings);
        running.current = starter.start(settings, running.tables);
        return running;
    }

    /** True when neither the new nor the old settings would start: nothing forwards. */
    boolean stopped() {
        return current instanceof Stopped;
    }

    /** The settings of the dataplane running now. */
    DataplaneSettings settings() {
        return settings;
    }

    /**
     * Replaces the running dataplane by one with {@code next}: closes the old one, starts the
     * new one on the same tables. If the new one cannot start, the old settings are started
     * again and the failure is thrown; if even that fails, there is no dataplane and the
     * exception says so (the daemon then stops).
     */
    synchronized void restart(DataplaneSettings next) throws IOException {
        DataplaneSettings before = settings;
        current.close();
        try {
            current = starter.start(next, tables);
            settings = next;
        } catch (IOException | RuntimeException e) {
            LOG.error("cannot start the dataplane with PublicIP {}: {}; starting it again with {}",
                Ipv4Address.format(next.publicIp()), e.getMessage(), Ipv4Address.format(before.publicIp()));
            try {
                current = starter.start(before, tables);
            } catch (IOException | RuntimeException again) {
                e.addSuppressed(again);
                current = new Stopped(current.mtu());
                throw new IOException("no dataplane: " + e.getMessage() + "; and again with the old settings: "
                    + again.getMessage(), e);
            }
            current.onMtuChange(mtuListener);
            throw e instanceof IOException io ? io : new IOException(e.getMessage(), e);
        }
        current.onMtuChange(mtuListener);
    }

    @Override
    public Tables tables() {
        return tables;
    }

    @Override
    public Counters counters() {
        return current.counters();
    }

    @Override
    public List<PathMtu.Entry> pathMtus() {
        return current.pathMtus();
    }

    @Override
    public int mtu() {
        return current.mtu();
    }

    @Override
    public synchronized void onMtuChange(IntConsumer listener) {
        mtuListener = listener;
        current.onMtuChange(listener);
    }

    @Override
    public Capture capture() {
        return current.capture();
    }

    @Override
    public DataplaneProbes probes() {
        return current.probes();
    }

    @Override
    public boolean responsive(long timeoutMillis) {
        return current.responsive(timeoutMillis);
    }

    @Override
    public int outerLimit(int underlay) {
        return current.outerLimit(underlay);
    }

    @Override
    public synchronized void close() {
        current.close();
    }

    /** What is left when neither the new nor the old settings would start: nothing forwards. */
    private record Stopped(int mtu) implements Daemon.Dataplane {
        private static final Tables NONE = new Tables();

        @Override
        public Tables tables() {
            return NONE;
        }

        @Override
        public Counters counters() {
            return new Counters();
        }

        @Override
        public void close() {
        }
    }
}
