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
    /**
     * An IP-in-IP packet whose outer source is not the peer that owns the inner source's subnet:
     * an unknown sender, or a peer sending for a subnet that is not its own.
     */
    DROP_UNKNOWN_SENDER("dropUnknownSender"),
    /**
     * A packet from a known peer whose inner source lies outside every subnet that peer leases
     * (with {@code SourceCheck} strict): a spoofed source, or a peer routing others' prefixes.
     */
    DROP_SPOOFED_SOURCE("dropSpoofedSource"),
    /**
     * A received inner TCP or UDP packet whose checksum is wrong (and not merely left unfinished
     * by the sender's kernel, which {@link #RX_CHECKSUMS_COMPLETED} counts).
     */
    DROP_BAD_CHECKSUM("dropBadChecksum"),
    /**
     * Received inner TCP/UDP packets whose checksum field held only the pseudo-header sum, as a
     * kernel peer sends it when the packet left with {@code CHECKSUM_PARTIAL} over a veth or a
     * virtio NIC (flannel #1279): the checksum was completed before the packet went to the TUN.
     */
    RX_CHECKSUMS_COMPLETED("rxChecksumsCompleted"),
    /**
     * A packet routed into the TUN device for a peer reached directly (host-gw, DirectRouting):
     * the kernel route that should carry it is missing.
     */
    DROP_DIRECT_ROUTE("dropDirectRoute"),
    DROP_WRONG_VNI("dropWrongVni"),
    DROP_NOT_OUR_MAC("dropNotOurMac"),
    DROP_UNSUPPORTED_ETHERTYPE("dropUnsupportedEthertype"),
    DROP_UNSUPPORTED_FAMILY("dropUnsupportedFamily"),
    DROP_TOO_BIG("dropTooBig"),
    /** An inner packet with DF over its peer's path MTU (less the overhead): the sender got ICMP. */
    DROP_PATH_MTU("dropPathMtu"),
    /** ICMP "fragmentation needed" sent back to a local sender through the TUN device. */
    ICMP_FRAG_NEEDED_SENT("icmpFragNeededSent"),
    /** ICMPv6 Packet Too Big sent back to a local IPv6 sender through the TUN device (RFC 4443 §3.2). */
    ICMP6_PACKET_TOO_BIG_SENT("icmp6PacketTooBigSent"),
    /** ICMP errors not sent because of the rate limit. */
    ICMP_RATE_LIMITED("icmpRateLimited"),
    /** Path-MTU estimates learned or changed from the underlay's ICMP "fragmentation needed" or ICMPv6 Packet Too Big. */
    PMTU_LEARNED("pmtuLearned"),
    /** ICMP from the underlay that was not about a packet of ours (ignored). */
    ICMP_IGNORED("icmpIgnored"),
    /** Changes of the underlay device's MTU seen (the TUN MTU follows when automatic). */
    UNDERLAY_MTU_CHANGES("underlayMtuChanges"),
    /** The TUN device refused the MTU that followed an underlay change (it keeps its old one). */
    TUN_MTU_UPDATE_FAILED("tunMtuUpdateFailed"),
    /** TCP SYNs whose MSS option was lowered. */
    MSS_CLAMPED("mssClamped"),
    DROP_TRUNCATED("dropTruncated"),
    DROP_TX_ERROR("dropTxError"),
    DROP_TUN_WRITE("dropTunWrite"),
    // TUN offloads (IFF_VNET_HDR). Packet counters above count what the kernel counts on the TUN
    // device: a super-packet read or written is one packet.
    /** TCP super-packets read from the TUN device (gso_type TCPV4/TCPV6). */
    TUN_RX_SUPER_PACKETS("tunRxSuperPackets"),
    /** Segments cut from those super-packets (each then sent as one VXLAN datagram). */
    TSO_SEGMENTS("tsoSegments"),
    /** Packets read with a checksum left for us to finish (NEEDS_CSUM, no GSO). */
    TUN_RX_CHECKSUMS_COMPLETED("tunRxChecksumsCompleted"),
    /** Coalesced TCP super-packets written to the TUN device. */
    TUN_TX_COALESCED("tunTxCoalesced"),
    /** Received segments that went into those super-packets. */
    GRO_SEGMENTS("groSegments"),
    /** A TUN read with a GSO type we did not ask for (UDP). */
    DROP_UNSUPPORTED_GSO("dropUnsupportedGso"),
    /** UDP GSO messages sent (each several VXLAN datagrams; txPackets counts the datagrams). */
    UDP_TX_GSO_MESSAGES("udpTxGsoMessages"),
    /**
     * Received inner TCP packets longer than the tunnel MTU: super-packets a kernel peer sent
     * whole as one tunnel GSO datagram (veth, virtio), written to the TUN device as GSO (offload)
     * or cut into segments here (plain).
     */
    RX_SUPER_PACKETS("rxSuperPackets"),
    /** UDP GRO messages received (each several VXLAN datagrams; rxPackets counts the datagrams). */
    UDP_RX_GRO_MESSAGES("udpRxGroMessages");

    private final String label;
    private final boolean drop;

    Counter(String label) {
        this.label = label;
        // ARP that is not for us ends the packet's way like a drop does, without being an error.
        this.drop = label.startsWith("drop") || label.equals("arpIgnored");
    }

    /** The name shown by {@code muslin stats}. */
    public String label() {
        return label;
    }

    /** True when counting this means a packet was dropped (the label is its reason). */
    public boolean isDrop() {
        return drop;
    }
}
