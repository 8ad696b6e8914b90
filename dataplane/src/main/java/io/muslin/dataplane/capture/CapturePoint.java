package io.muslin.dataplane.capture;

import java.util.Arrays;
import java.util.EnumSet;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Where in the dataplane a packet is captured. Each point is one pcapng interface, so Wireshark
 * shows them apart ({@code frame.interface_name}).
 */
public enum CapturePoint {
    /** An inner packet as read from the TUN device (from the pods), before routing. */
    TUN_IN("tun-in", "inner packets read from the TUN device (from pods)"),
    /** An outer packet as sent on the underlay (VXLAN datagram or IP-in-IP packet). */
    WIRE_OUT("wire-out", "outer packets sent on the underlay"),
    /** An outer packet as received from the underlay. */
    WIRE_IN("wire-in", "outer packets received from the underlay"),
    /** An inner packet as written to the TUN device (to the pods). */
    TUN_OUT("tun-out", "inner packets written to the TUN device (to pods)"),
    /** A packet the dataplane dropped, as it was at the stage that dropped it; the comment says why. */
    DROP("drop", "packets dropped, at the stage that dropped them");

    /** What {@code muslin capture} taps without {@code --point}: all but drops. */
    public static final Set<CapturePoint> DEFAULT = EnumSet.of(TUN_IN, WIRE_OUT, WIRE_IN, TUN_OUT);

    private final String label;
    private final String description;

    CapturePoint(String label, String description) {
        this.label = label;
        this.description = description;
    }

    /** The name on the command line and in the pcapng interface name. */
    public String label() {
        return label;
    }

    public String description() {
        return description;
    }

    /** The point named {@code label}; IllegalArgumentException naming the accepted ones otherwise. */
    public static CapturePoint of(String label) {
        for (CapturePoint p : values()) {
            if (p.label.equals(label)) {
                return p;
            }
        }
        throw new IllegalArgumentException("unknown capture point \"" + label + "\" (accepted: " + accepted() + ")");
    }

    /** {@code tun-in, wire-out, wire-in, tun-out, drop}. */
    public static String accepted() {
        return Arrays.stream(values()).map(CapturePoint::label).collect(Collectors.joining(", "));
    }
}
