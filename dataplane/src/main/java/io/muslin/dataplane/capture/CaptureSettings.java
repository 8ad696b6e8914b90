package io.muslin.dataplane.capture;

import java.time.Duration;
import java.util.EnumSet;
import java.util.Set;

/**
 * What one capture asks for.
 *
 * @param points       the capture points to tap (one pcapng interface each, in enum order)
 * @param filter       which packets: applied to the inner packet, or to the packet as written
 *                     with {@code outer}
 * @param outer        apply the filter to the outer packet at {@code wire-*} and inbound drops
 * @param snapLength   bytes kept of each packet, 1-65535
 * @param count        stop after this many packets written, 0 for no limit
 * @param duration     stop after this long, or null for no limit
 * @param superPackets write TSO reads and UDP GRO messages whole, not as their segments/datagrams
 * @param ringBytes    the ring's size (per dataplane thread)
 */
public record CaptureSettings(Set<CapturePoint> points, BpfFilter filter, boolean outer, int snapLength, long count,
                              Duration duration, boolean superPackets, int ringBytes) {
    public static final int MAX_SNAP_LENGTH = 0xFFFF;
    /** 16 MiB: a second of a 1 Gb/s stream at full snap length, or much more with a short one. */
    public static final int DEFAULT_RING_BYTES = 16 << 20;

    public CaptureSettings {
        if (points.isEmpty()) {
            throw new IllegalArgumentException("no capture point (accepted: " + CapturePoint.accepted() + ")");
        }
        points = Set.copyOf(EnumSet.copyOf(points));
        if (snapLength < 1 || snapLength > MAX_SNAP_LENGTH) {
            throw new IllegalArgumentException("snap length " + snapLength + " is out of range (accepted: 1-"
                + MAX_SNAP_LENGTH + ")");
        }
        if (count < 0) {
            throw new IllegalArgumentException("count " + count + " is negative (accepted: 0 for no limit, or 1+)");
        }
        if (duration != null && (duration.isNegative() || duration.isZero())) {
            throw new IllegalArgumentException("duration " + duration + " (accepted: more than 0 seconds)");
        }
    }

    /** Every default: the default points, no filter, full snap length, no limits. */
    public static CaptureSettings defaults() {
        return new CaptureSettings(CapturePoint.DEFAULT, BpfFilter.ALL_PACKETS, false, MAX_SNAP_LENGTH, 0, null, false,
            DEFAULT_RING_BYTES);
    }
}
