package io.muslin.dataplane.capture;

import io.muslin.dataplane.Encapsulation;
import java.util.function.IntUnaryOperator;

/**
 * What a capture needs to know of its dataplane to write packets as they are on the wire.
 *
 * @param encapsulation VXLAN or IP-in-IP
 * @param localIp       this node's underlay address (outer destination of what it receives)
 * @param port          the VXLAN UDP port (outer destination port)
 * @param vni           this node's VNI (VXLAN)
 * @param device        the TUN device's name (for the interface descriptions)
 * @param peerOf        an inner destination to the underlay address of the peer it goes to, or 0
 *                      (a route lookup; called on the writer thread)
 */
public record CaptureContext(Encapsulation encapsulation, int localIp, int port, int vni, String device,
                             IntUnaryOperator peerOf) {
    public boolean vxlan() {
        return encapsulation == Encapsulation.VXLAN;
    }

    /** Outer header bytes muslin writes before an inner packet (50 or 20). */
    public int overhead() {
        return encapsulation.bytes(4);
    }
}
