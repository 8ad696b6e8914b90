package io.muslin.dataplane.observe;

import io.muslin.dataplane.capture.PacketTap;
import io.muslin.dataplane.capture.Recorder;

/**
 * One dataplane thread's reports besides its counters: the capture tap, the latency of its
 * batches and its traffic per peer. The drivers call it at a few places:
 *
 * <pre>
 *   long start = System.nanoTime();  Recorder capture = probe.capture();   // per batch
 *   ... if (capture != null) capture.tunIn(buf, 0); ...                     // per packet
 *   probe.peerSent(underlay, packets, bytes);                               // per frame / super-packet
 *   probe.sent(start);                                                      // per batch, after the send
 * </pre>
 *
 * Single writer: its thread. Nothing here allocates or locks.
 */
public final class ThreadProbe {
    /** For drivers run without a dataplane (tests): records nothing anyone reads. */
    public static ThreadProbe detached() {
        return new ThreadProbe(PacketTap.NONE);
    }

    private final PacketTap tap;
    private final StageLatency tunToWire = new StageLatency();
    private final StageLatency wireToTun = new StageLatency();
    private final PeerTraffic peers = new PeerTraffic();

    ThreadProbe(PacketTap tap) {
        this.tap = tap;
    }

    /** The recorder of the captures running now, or null (one volatile read: call once per batch). */
    public Recorder capture() {
        return tap.recorder();
    }

    /** A batch read from the TUN device at {@code startNanos} ({@link System#nanoTime}) is sent. */
    public void sent(long startNanos) {
        tunToWire.record(System.nanoTime() - startNanos);
    }

    /** A batch received at {@code startNanos} is written to the TUN device. */
    public void delivered(long startNanos) {
        wireToTun.record(System.nanoTime() - startNanos);
    }

    /** {@code packets} datagrams of {@code bytes} outer bytes staged for peer {@code underlay}. */
    public void peerSent(int underlay, long packets, long bytes) {
        peers.sent(underlay, packets, bytes);
    }

    /** {@code packets} datagrams of {@code bytes} bytes received from peer {@code source}. */
    public void peerReceived(int source, long packets, long bytes) {
        peers.received(source, packets, bytes);
    }

    StageLatency latency(Stage stage) {
        return stage == Stage.TUN_TO_WIRE ? tunToWire : wireToTun;
    }

    PeerTraffic peers() {
        return peers;
    }
}
