package io.muslin.dataplane.engine;

import io.muslin.dataplane.path.Counters;
import io.muslin.dataplane.table.Tables;
import java.io.IOException;

/**
 * One node's VXLAN dataplane: the TUN device, the underlay sockets and the event loop that
 * moves packets between them. {@link #start} installs everything; {@link #close} removes it.
 */
public final class VxlanDataplane implements AutoCloseable {
    private final VxlanSettings settings;
    private final Tables tables = new Tables();
    private final Counters counters = new Counters();

    private VxlanDataplane(VxlanSettings settings) {
        this.settings = settings;
    }

    /** Creates the device (address, MTU, up, route for the network) and starts forwarding. */
    public static VxlanDataplane start(VxlanSettings settings) throws IOException {
        throw new UnsupportedOperationException("not wired yet");
    }

    public VxlanSettings settings() {
        return settings;
    }

    public Tables tables() {
        return tables;
    }

    public Counters counters() {
        return counters;
    }

    /** Stops forwarding and removes the device and every route it added. Idempotent. */
    @Override
    public void close() {
    }
}
