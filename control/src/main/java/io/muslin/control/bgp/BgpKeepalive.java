package io.muslin.control.bgp;

/** KEEPALIVE (RFC 4271 §4.4): the header alone, 19 octets. */
public enum BgpKeepalive implements BgpMessage {
    INSTANCE;

    @Override
    public int type() {
        return Bgp.KEEPALIVE;
    }

    @Override
    public String toString() {
        return "KEEPALIVE";
    }
}
