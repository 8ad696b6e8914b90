package io.muslin.control.bgp;

/**
 * One BGP-4 message (RFC 4271 §4), as {@link BgpDecoder} reads it and {@link BgpEncoder}
 * writes it. The messages are immutable values holding no buffers: nothing to release.
 */
public sealed interface BgpMessage permits BgpOpen, BgpUpdate, BgpNotification, BgpKeepalive, BgpRouteRefresh {
    /** The type octet of the header ({@link Bgp#OPEN} ...). */
    int type();
}
