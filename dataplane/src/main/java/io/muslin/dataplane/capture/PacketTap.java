package io.muslin.dataplane.capture;

/**
 * The packet path's one view of capturing: a dataplane thread reads {@link #recorder()} once
 * per batch and, when it is not null, calls it at each capture point for that batch:
 *
 * <pre>
 *   Recorder capture = tap.recorder();          // one volatile read per batch
 *   ...
 *   if (capture != null) capture.tunIn(buf, 0); // per packet, only while a capture runs
 * </pre>
 *
 * With no capture running that is all it costs: no allocation, no lock, no other check. One tap
 * per dataplane thread ({@link Capture#newTap}); {@link #NONE} for drivers without one.
 */
@FunctionalInterface
public interface PacketTap {
    /** A tap that never records. */
    PacketTap NONE = () -> null;

    /** The recorder of the captures running now, or null when none runs. */
    Recorder recorder();
}
