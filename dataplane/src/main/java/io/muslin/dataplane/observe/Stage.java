package io.muslin.dataplane.observe;

/** The dataplane stages whose latency is recorded, per batch. */
public enum Stage {
    /** From the start of a TUN read batch to the end of its send on the underlay. */
    TUN_TO_WIRE("tun_to_wire"),
    /** From a receive batch's arrival to the end of its writes into the TUN device. */
    WIRE_TO_TUN("wire_to_tun");

    private final String label;

    Stage(String label) {
        this.label = label;
    }

    /** The metric label value. */
    public String label() {
        return label;
    }
}
