package io.muslin.dataplane.engine;

import io.muslin.dataplane.Encapsulation;
import io.muslin.dataplane.packet.Ipv4Prefix;
import io.muslin.dataplane.path.SourceCheck;

/**
 * What the overlay dataplane of one node needs, already validated by the caller.
 *
 * @param interfaceName TUN device name (e.g. {@code muslin0})
 * @param encapsulation VXLAN or IP-in-IP
 * @param network       the cluster pod network (kernel route via the device)
 * @param nodeSubnet    this node's subnet; the device gets its network address /32
 * @param publicIp      this node's underlay IPv4 address (outer source)
 * @param vtepMac       this node's VTEP MAC (inner Ethernet source; VXLAN only)
 * @param vni           VXLAN network identifier, 0..16777215 (VXLAN only)
 * @param port          UDP destination port we listen on and send to, 8472 (VXLAN only)
 * @param mtu           TUN MTU (underlay MTU minus the encapsulation's overhead, or configured)
 * @param autoMtu       the TUN MTU follows the underlay device's (else {@code mtu} was configured)
 * @param underlayIndex interface index of the underlay device, whose MTU changes are followed (0: none)
 * @param underlayMtu   MTU of the underlay device: the path MTU of every peer until ICMP says less
 * @param mssClamp      {@link io.muslin.dataplane.path.MtuGuard#NO_MSS_CLAMP}, {@link
 *                      io.muslin.dataplane.path.MtuGuard#AUTO_MSS} or a fixed MSS
 * @param sourceCheck   how received packets' senders are checked ({@link SourceCheck})
 * @param threads       dataplane threads, {@value #MIN_THREADS}-{@value #MAX_THREADS}: each owns a TUN
 *                      queue and its own underlay sockets
 * @param idleSpinMicros how long a dataplane thread keeps polling after work before it blocks
 *                      (0-{@value #MAX_IDLE_SPIN_MICROS}; 0 blocks at once), see {@link IdleStrategy}
 */
public record DataplaneSettings(String interfaceName, Encapsulation encapsulation, Ipv4Prefix network,
                                Ipv4Prefix nodeSubnet, int publicIp, long vtepMac, int vni, int port, int mtu,
                                boolean autoMtu, int underlayIndex, int underlayMtu, int mssClamp,
                                SourceCheck.Mode sourceCheck, int threads, int idleSpinMicros) {
    public static final int MIN_THREADS = 1;
    /** The kernel allows 256 TUN queues; 64 keeps the sockets and buffers of an idle daemon bounded. */
    public static final int MAX_THREADS = 64;
    /** Long enough to catch the answer to a packet just forwarded across a quiet lab (its round trip is ~100 µs). */
    public static final int DEFAULT_IDLE_SPIN_MICROS = 200;
    public static final int MAX_IDLE_SPIN_MICROS = 10_000;
    /** The most of each second a thread may spend polling with nothing to do. */
    public static final double MAX_SPIN_SHARE = 0.05;

    public DataplaneSettings {
        if (threads < MIN_THREADS || threads > MAX_THREADS) {
            throw new IllegalArgumentException("dataplane threads must be " + MIN_THREADS + "-" + MAX_THREADS + ", not "
                + threads);
        }
        if (idleSpinMicros < 0 || idleSpinMicros > MAX_IDLE_SPIN_MICROS) {
            throw new IllegalArgumentException("idle spin must be 0-" + MAX_IDLE_SPIN_MICROS + " µs, not " + idleSpinMicros);
        }
    }
}
