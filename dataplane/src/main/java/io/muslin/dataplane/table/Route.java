package io.muslin.dataplane.table;

import io.muslin.dataplane.packet.Ipv4Address;
import io.muslin.dataplane.packet.Ipv4Prefix;

/**
 * An IPv4 route: packets for the prefix go to {@code nextHop} (flannel's peer-subnet network
 * address, e.g. {@code 10.244.2.0}, which the ARP table maps to a VTEP MAC), handled as the
 * flags say ({@link #ENCAP} by default, {@link #DIRECT} for an on-link underlay next hop).
 *
 * <p>Immutable, compared by value. What the control plane writes and the tools list: the route
 * table does not keep these objects (it packs each route into a {@code long} and shares one
 * {@link NextHop} per distinct next hop), and makes one again when asked. The prefix is two
 * primitives; {@link #prefix()} makes an {@link Ipv4Prefix} when asked, off the packet path.
 */
public final class Route implements RouteEntry {
    /** Encapsulate in VXLAN to the next hop's VTEP (flannel's vxlan backend): the default. */
    public static final int ENCAP = 0;
    /** The next hop is on-link in the underlay: send the inner packet as is (DirectRouting, host-gw). */
    public static final int DIRECT = 1;

    private final int address;
    private final int nextHop;
    private final byte length;
    private final byte flags;

    public Route(Ipv4Prefix prefix, int nextHop) {
        this(prefix, nextHop, ENCAP);
    }

    public Route(Ipv4Prefix prefix, int nextHop, int flags) {
        this(prefix.address(), prefix.length(), nextHop, flags);
    }

    /** A route to {@code address/length}; the address must be the network address. */
    public Route(int address, int length, int nextHop, int flags) {
        Family.IPV4.checkLength(length);
        if ((address & ~Ipv4Address.mask(length)) != 0) {
            throw new IllegalArgumentException("host bits set in " + Ipv4Address.format(address) + "/" + length);
        }
        if (flags < 0 || flags > 0xFF) {
            throw new IllegalArgumentException("route flags must be 0-255, not " + flags);
        }
        this.address = address;
        this.length = (byte) length;
        this.nextHop = nextHop;
        this.flags = (byte) flags;
    }

    /** The destination prefix (a new object each call). */
    public Ipv4Prefix prefix() {
        return new Ipv4Prefix(address, length);
    }

    /** The prefix's network address. */
    public int address() {
        return address;
    }

    @Override
    public int length() {
        return length;
    }

    public int nextHop() {
        return nextHop;
    }

    @Override
    public long nextHopHi() {
        return Family.ipv4Key(nextHop);
    }

    @Override
    public long nextHopLo() {
        return 0;
    }

    @Override
    public int flags() {
        return flags;
    }

    /** True when the packet goes to the next hop without encapsulation. */
    public boolean direct() {
        return (flags & DIRECT) != 0;
    }

    @Override
    public long keyHi() {
        return Family.ipv4Key(address);
    }

    @Override
    public long keyLo() {
        return 0;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Route r && r.address == address && r.length == length && r.nextHop == nextHop
            && r.flags == flags;
    }

    @Override
    public int hashCode() {
        return ((address * 31 + length) * 31 + nextHop) * 31 + flags;
    }

    @Override
    public String toString() {
        return Ipv4Address.format(address) + "/" + length + " via " + Ipv4Address.format(nextHop)
            + (direct() ? " direct" : "");
    }
}
