package io.muslin.dataplane.path;

/** Everything the packet path counts. Drops are counted by reason; nothing on the path logs. */
public enum Counter {
    TUN_RX_PACKETS("tunRxPackets"),
    TUN_RX_BYTES("tunRxBytes"),
    TX_PACKETS("txPackets"),
    TX_BYTES("txBytes"),
    RX_PACKETS("rxPackets"),
    RX_BYTES("rxBytes"),
    TUN_TX_PACKETS("tunTxPackets"),
    TUN_TX_BYTES("tunTxBytes"),
    ARP_REPLIES("arpReplies"),
    ARP_IGNORED("arpIgnored"),
    TX_STALLS("txStalls"),
    DROP_MALFORMED("dropMalformed"),
    DROP_NO_ROUTE("dropNoRoute"),
    DROP_NO_NEIGHBOR("dropNoNeighbor"),
    DROP_UNKNOWN_VTEP("dropUnknownVtep"),
    DROP_WRONG_VNI("dropWrongVni"),
    DROP_NOT_OUR_MAC("dropNotOurMac"),
    DROP_UNSUPPORTED_ETHERTYPE("dropUnsupportedEthertype"),
    DROP_UNSUPPORTED_FAMILY("dropUnsupportedFamily"),
    DROP_TOO_BIG("dropTooBig"),
    DROP_TRUNCATED("dropTruncated"),
    DROP_TX_ERROR("dropTxError"),
    DROP_TUN_WRITE("dropTunWrite");

    private final String label;

    Counter(String label) {
        this.label = label;
    }

    /** The name shown by {@code muslin stats}. */
    public String label() {
        return label;
    }
}
