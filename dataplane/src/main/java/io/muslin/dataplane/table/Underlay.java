package io.muslin.dataplane.table;

import io.muslin.dataplane.packet.Ipv6Text;

import io.muslin.dataplane.packet.Ipv4Address;

/**
 * An underlay (public) address a packet is sent to or came from: IPv4 or IPv6, as
 * {@link #family} says, in the key layout of {@link Family} (IPv4 {@code a.b.c.d} is
 * {@code hi = 0xaabbccdd_00000000L, lo = 0}). What the outbound path resolves an inner
 * destination to; implemented by the table entries that hold one ({@link FdbEntry} for VXLAN,
 * {@link NextHop} for IP-in-IP and direct routes), so resolving allocates nothing.
 */
public interface Underlay extends Addressed {
    Family family();

    /** The IPv4 address (the top 32 bits of {@link #addressHi}); meaningless for IPv6. */
    default int ipv4() {
        return (int) (addressHi() >>> 32);
    }

    /**
     * The IPv4 address, or 0 for an IPv6 underlay: what the per-peer probes and the capture's
     * comments, which know IPv4 peers only so far, are given.
     */
    default int ipv4OrZero() {
        return family() == Family.IPV4 ? ipv4() : 0;
    }

    /** True when this is the address {@code (family, hi, lo)}. */
    default boolean is(Family family, long hi, long lo) {
        return family() == family && addressHi() == hi && addressLo() == lo;
    }

    /** The address as text: {@code 192.168.50.2} or {@code fd00:50::2}. */
    static String format(Family family, long hi, long lo) {
        return family == Family.IPV4 ? Ipv4Address.format((int) (hi >>> 32)) : Ipv6Text.format(hi, lo);
    }

    /** {@link #format(Family, long, long)} of {@code u}. */
    static String format(Underlay u) {
        return format(u.family(), u.addressHi(), u.addressLo());
    }
}
