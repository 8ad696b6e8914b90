package io.muslin.control.bgp.speaker;

/** The FSM states of RFC 4271 §8.2.2, named as BIRD and the RFC write them. */
public enum BgpState {
    /** Not started, or stopped. */
    IDLE("Idle"),
    /** A TCP connection is being made. */
    CONNECT("Connect"),
    /** Waiting to connect again (and listening). */
    ACTIVE("Active"),
    /** Connected, our OPEN sent, waiting for theirs. */
    OPEN_SENT("OpenSent"),
    /** OPENs exchanged, waiting for the KEEPALIVE that confirms ours. */
    OPEN_CONFIRM("OpenConfirm"),
    /** Routes flow. */
    ESTABLISHED("Established");

    private final String text;

    BgpState(String text) {
        this.text = text;
    }

    @Override
    public String toString() {
        return text;
    }
}
