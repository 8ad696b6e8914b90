package io.muslin.dataplane.vxlan;

import io.muslin.dataplane.packet.MacAddress;
import io.muslin.dataplane.packet.Ipv4Address;

/**
 * VXLAN frames sent by the Linux vxlan driver (kernel 6.18), captured with tcpdump on the
 * underlay veth of two network namespaces programmed the way flannel programs
 * {@code flannel.1}:
 * <pre>
 * ip link add flannel.1 address 02:aa:00:00:00:01 type vxlan id 1 local 192.168.77.1 \
 *     dev mcva nolearning dstport 8472            # node A, 10.244.1.0/32, fd00:1::1/64
 * ip link add flannel.1 address 02:bb:00:00:00:02 type vxlan id 1 local 192.168.77.2 \
 *     dev mcvb nolearning dstport 8472            # node B, 10.244.2.0/32, fd00:1::2/64
 * + permanent neighbour, FDB and onlink route entries for the peer (DESIGN.md §1)
 * </pre>
 * Each constant is the outer IPv4 datagram (the underlay Ethernet header removed), sent
 * from A to B. The kernel picked the outer IPv4 ID and UDP source port itself, left DF
 * clear, TTL 64, outer TOS 0 ({@code tos} not set to inherit), and the UDP checksum field
 * holds only the pseudo-header sum (checksum offload on veth, {@code udpcsum} default on).
 */
final class KernelFrames {
    static final int NODE_A_IP = Ipv4Address.parse("192.168.77.1");
    static final int NODE_B_IP = Ipv4Address.parse("192.168.77.2");
    static final long NODE_A_MAC = MacAddress.parse("02:aa:00:00:00:01");
    static final long NODE_B_MAC = MacAddress.parse("02:bb:00:00:00:02");
    static final int VNI = 1;

    /** Bytes of outer IPv4 + UDP before the VXLAN header. */
    static final int UDP_PAYLOAD_OFFSET = 28;

    /** {@code ping -s 24 -I 10.244.1.0 10.244.2.0}: ICMP echo request, inner IPv4 of 52 bytes. */
    static final String ICMP_ECHO = """
        45 00 00 66 ec 39 00 00 40 11 72 f9 c0 a8 4d 01 c0 a8 4d 02
        b4 d5 21 18 00 52 1b b8
        08 00 00 00 00 00 01 00
        02 bb 00 00 00 02 02 aa 00 00 00 01 08 00
        45 00 00 34 7b 55 40 00 40 01 a6 8c 0a f4 01 00 0a f4 02 00
        08 00 7f 40 18 6a 00 01 d4 5f 02 6b 00 00 00 00 31 39 0c 00
        00 00 00 00 10 11 12 13 14 15 16 17
        """;

    /** UDP 10.244.1.0:40000 -> 10.244.2.0:9999, TOS 0xb8 (DSCP EF), payload "muslin". */
    static final String UDP_EF = """
        45 00 00 54 ec 44 00 00 40 11 73 00 c0 a8 4d 01 c0 a8 4d 02
        95 86 21 18 00 40 30 1a
        08 00 00 00 00 00 01 00
        02 bb 00 00 00 02 02 aa 00 00 00 01 08 00
        45 b8 00 22 d6 44 40 00 40 11 4a e7 0a f4 01 00 0a f4 02 00
        9c 40 27 0f 00 0e 19 07 6d 75 73 6c 69 6e
        """;

    /** UDP [fd00:1::1]:40001 -> [fd00:1::2]:9999, payload "muslin6". */
    static final String UDP6 = """
        45 00 00 69 ec 45 00 00 40 11 72 ea c0 a8 4d 01 c0 a8 4d 02
        81 1f 21 18 00 55 b3 6e
        08 00 00 00 00 00 01 00
        02 bb 00 00 00 02 02 aa 00 00 00 01 86 dd
        60 09 87 cb 00 0f 11 40
        fd 00 00 01 00 00 00 00 00 00 00 00 00 00 00 01
        fd 00 00 01 00 00 00 00 00 00 00 00 00 00 00 02
        9c 41 27 0f 00 0f fa 26 6d 75 73 6c 69 6e 36
        """;

    /** Broadcast "who has 10.244.2.0? tell 10.244.1.0" (A without a neighbour entry). No padding. */
    static final String ARP_REQUEST = """
        45 00 00 4e fd 55 00 00 40 11 61 f5 c0 a8 4d 01 c0 a8 4d 02
        c1 63 21 18 00 3a 1b a0
        08 00 00 00 00 00 01 00
        ff ff ff ff ff ff 02 aa 00 00 00 01 08 06
        00 01 08 00 06 04 00 01 02 aa 00 00 00 01 0a f4 01 00
        00 00 00 00 00 00 0a f4 02 00
        """;

    /** B's kernel answering {@link #ARP_REQUEST}: the ARP packet alone (28 bytes). */
    static final String ARP_REPLY_PACKET = """
        00 01 08 00 06 04 00 02 02 bb 00 00 00 02 0a f4 02 00
        02 aa 00 00 00 01 0a f4 01 00
        """;

    private KernelFrames() {
    }
}
