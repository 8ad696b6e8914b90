package io.muslin.node.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;

/**
 * Garbage sent from node 2's namespace to node 1's VXLAN port (192.168.50.1:8472): each kind is
 * dropped and counted under its reason, nothing reaches the TUN device, and pods still talk.
 * The datagrams come from node 2's public IP, a known peer, so only the defect under test is wrong
 * (but for the stranger, which sends from another address in that namespace). Then the sender
 * checks: inner sources outside node 2's subnet, with {@code SourceCheck} strict and off.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class MalformedTrafficIT {
    private static final int VNI = 1;
    private static final int I_FLAG = 0x08;
    private static final int COPIES = 3;
    private static final int ETHERTYPE_IPV4 = 0x0800;
    /** Not a peer: an address node 2's namespace takes for one test. */
    private static final String STRANGER = "192.168.50.77";

    private static Lab lab;

    @BeforeAll
    static void up() {
        Lab.assumeLabCapable();
        Lab.assumeTools("ping");
        lab = Lab.create();
        lab.up(2, "--mode", "muslin");
        lab.assertPing(1, 2);
    }

    @AfterAll
    static void down() {
        if (lab != null) {
            lab.close();
        }
    }

    /** The positive control: the crafted frame, with nothing wrong, is delivered to pod 1. */
    @Test
    @Order(0)
    void wellFormedCraftedFrameIsDelivered() {
        sendAndAwait(List.of(vxlan(I_FLAG, VNI, innerEcho(Lab.vtepMac(1), ETHERTYPE_IPV4))), lab.stats(1),
                "tunTxPackets");
    }

    @Test
    @Order(1)
    void truncatedVxlanHeaderIsDroppedAsMalformed() {
        byte[] fourBytes = {I_FLAG, 0, 0, 0};
        byte[] headerOnly = vxlan(I_FLAG, VNI, new byte[0]);
        byte[] shortFrame = vxlan(I_FLAG, VNI, new byte[] {0x6e, 0x75, 0x73, 0, 0, 1, 0x6e});
        assertDropped(List.of(fourBytes, headerOnly, shortFrame), "dropMalformed", "dropTruncated");
    }

    @Test
    @Order(2)
    void wrongVniIsDropped() {
        assertDropped(List.of(vxlan(I_FLAG, VNI + 1, innerEcho(Lab.vtepMac(1), ETHERTYPE_IPV4))), "dropWrongVni");
    }

    @Test
    @Order(3)
    void clearIFlagIsDroppedAsMalformed() {
        assertDropped(List.of(vxlan(0, VNI, innerEcho(Lab.vtepMac(1), ETHERTYPE_IPV4))), "dropMalformed");
    }

    @Test
    @Order(4)
    void foreignInnerMacIsDropped() {
        assertDropped(List.of(vxlan(I_FLAG, VNI, innerEcho("02:00:00:00:00:99", ETHERTYPE_IPV4))), "dropNotOurMac");
    }

    @Test
    @Order(5)
    void unsupportedInnerEthertypeIsDropped() {
        assertDropped(List.of(vxlan(I_FLAG, VNI, innerEcho(Lab.vtepMac(1), 0x88b5))), "dropUnsupportedEthertype");
    }

    @Test
    @Order(6)
    void spoofedInnerSourcesFromAPeerAreDropped() {
        assertDropped(List.of(
            vxlan(I_FLAG, VNI, innerEcho(Lab.vtepMac(1), ETHERTYPE_IPV4, "10.244.7.7")),
            vxlan(I_FLAG, VNI, innerEcho(Lab.vtepMac(1), ETHERTYPE_IPV4, Lab.podIp(1))),
            vxlan(I_FLAG, VNI, innerEcho(Lab.vtepMac(1), ETHERTYPE_IPV4, "172.16.0.9"))), "dropSpoofedSource");
    }

    @Test
    @Order(7)
    void aStrangerIsDroppedWhateverItSends() {
        lab.execOk(lab.nodeNs(2), Duration.ofSeconds(10), "ip", "addr", "add", STRANGER + "/24", "dev", "eth0");
        try {
            Map<String, Long> before = lab.stats(1);
            send(STRANGER, List.of(vxlan(I_FLAG, VNI, innerEcho(Lab.vtepMac(1), ETHERTYPE_IPV4, Lab.podIp(2)))));
            Map<String, Long> after = await(before, COPIES, "dropUnknownSender");
            assertEquals(before.get("tunTxPackets"), after.get("tunTxPackets"), "a stranger's packets reached the TUN");
        } finally {
            lab.exec(lab.nodeNs(2), Duration.ofSeconds(10), "ip", "addr", "del", STRANGER + "/24", "dev", "eth0");
        }
    }

    @Test
    @Order(8)
    void aWrongInnerChecksumIsDroppedAndAnUnfinishedOneCompleted() {
        assertDropped(List.of(vxlan(I_FLAG, VNI, innerUdp(Lab.podIp(2), 0x1234))), "dropBadChecksum");
        Map<String, Long> before = lab.stats(1);
        send(List.of(vxlan(I_FLAG, VNI, innerUdp(Lab.podIp(2), -1))));
        Map<String, Long> after = await(before, COPIES, "rxChecksumsCompleted");
        assertTrue(after.get("tunTxPackets") >= before.get("tunTxPackets") + COPIES, "delivered: " + after);
    }

    /** With {@code "SourceCheck": "off"}, node 2 may send for addresses outside its subnet; a stranger still may not. */
    @Test
    @Order(9)
    void withTheSourceCheckOffAPeersForeignSourcesPass() {
        lab.stopDaemon(1);
        String config = Lab.read(lab.config(1));
        Lab.write(lab.config(1), config.replaceFirst("\\{", "{\"SourceCheck\": \"off\", "));
        try {
            lab.startDaemon(1);
            lab.awaitPeerRoutes(1, 1);
            Map<String, Long> before = lab.stats(1);
            send(List.of(vxlan(I_FLAG, VNI, innerEcho(Lab.vtepMac(1), ETHERTYPE_IPV4, "10.244.7.7"))));
            Map<String, Long> after = await(before, COPIES, "tunTxPackets");
            assertEquals(before.get("dropSpoofedSource"), after.get("dropSpoofedSource"));
        } finally {
            lab.stopDaemon(1);
            Lab.write(lab.config(1), config);
            lab.startDaemon(1);
            lab.awaitPeerRoutes(1, 1);
        }
    }

    @Test
    @Order(20)
    void podsStillTalkAfterTheGarbage() {
        lab.assertPing(1, 2);
        lab.assertPing(2, 1);
    }

    /**
     * Sends each datagram {@link #COPIES} times and waits until one of {@code counters} on node 1
     * grew by at least that many, and checks that nothing was written into node 1's TUN device.
     */
    private static void assertDropped(List<byte[]> datagrams, String... counters) {
        Map<String, Long> before = lab.stats(1);
        if (Arrays.stream(counters).noneMatch(before::containsKey)) {
            fail("muslin stats has none of " + List.of(counters) + ": " + before);
        }
        Map<String, Long> after = sendAndAwait(datagrams, before, counters);
        assertEquals(before.get("tunTxPackets"), after.get("tunTxPackets"),
                "packets written into node 1's TUN device by garbage");
    }

    /** Sends {@link #COPIES} of each datagram; waits until {@code counters} grew by that many in all. */
    private static Map<String, Long> sendAndAwait(List<byte[]> datagrams, Map<String, Long> before,
            String... counters) {
        send(datagrams);
        return await(before, (long) datagrams.size() * COPIES, counters);
    }

    /** Waits until {@code counters} grew by {@code expected} in all since {@code before}. */
    private static Map<String, Long> await(Map<String, Long> before, long expected, String... counters) {
        AtomicReference<Map<String, Long>> after = new AtomicReference<>(before);
        boolean counted = Lab.waitFor(50, () -> {
            after.set(lab.stats(1));
            return grew(before, after.get(), counters) >= expected;
        });
        if (!counted) {
            fail("after " + expected + " datagrams, " + String.join(" + ", counters) + " grew by "
                    + grew(before, after.get(), counters) + "\nbefore: " + before + "\nafter:  " + after.get());
        }
        return after.get();
    }

    private static long grew(Map<String, Long> before, Map<String, Long> after, String... counters) {
        long sum = 0;
        for (String c : counters) {
            sum += after.getOrDefault(c, 0L) - before.getOrDefault(c, 0L);
        }
        return sum;
    }

    /** Sends the datagrams from node 2's namespace (its public IP) to node 1's VXLAN port. */
    private static void send(List<byte[]> datagrams) {
        send(Lab.nodeIp(2), datagrams);
    }

    /** Sends the datagrams from node 2's namespace, from address {@code from}, to node 1's VXLAN port. */
    private static void send(String from, List<byte[]> datagrams) {
        List<String> cmd = new ArrayList<>(Lab.inNs(lab.nodeNs(2), Lab.javaBinary(), "-cp", Lab.testClasspath(),
                UdpSend.class.getName(), "--from", from, Lab.nodeIp(1), Integer.toString(Lab.VXLAN_PORT)));
        for (int i = 0; i < COPIES; i++) {
            datagrams.forEach(d -> cmd.add(HexFormat.of().formatHex(d)));
        }
        Lab.Result r = lab.run(Duration.ofSeconds(60), cmd);
        assertEquals(0, r.exitCode(), () -> "UdpSend:\n" + r.output());
    }

    // ------------------------------------------------------------------ packet crafting

    /** A VXLAN header (RFC 7348 §5: flags, 24 reserved bits, VNI, 8 reserved bits) and a payload. */
    static byte[] vxlan(int flags, int vni, byte[] inner) {
        return ByteBuffer.allocate(8 + inner.length).put((byte) flags).put(new byte[3]).putInt(vni << 8).put(inner)
                .array();
    }

    /** An Ethernet frame from node 2's VTEP to {@code dstMac} holding a valid ICMP echo pod2 -> pod1. */
    static byte[] innerEcho(String dstMac, int ethertype) {
        return innerEcho(dstMac, ethertype, Lab.podIp(2));
    }

    /** The same from inner source {@code src}. */
    static byte[] innerEcho(String dstMac, int ethertype, String src) {
        byte[] icmp = ByteBuffer.allocate(8 + 32).put((byte) 8).put((byte) 0).putShort((short) 0)
                .putShort((short) 0x4d55).putShort((short) 1).put(new byte[32]).array();
        putChecksum(icmp, 0, icmp.length, 2);
        byte[] ip = ByteBuffer.allocate(20 + icmp.length).put((byte) 0x45).put((byte) 0)
                .putShort((short) (20 + icmp.length)).putShort((short) 0x1234).putShort((short) 0x4000)
                .put((byte) 64).put((byte) 1).putShort((short) 0)
                .put(ipv4(src)).put(ipv4(Lab.podIp(1))).put(icmp).array();
        putChecksum(ip, 0, 20, 10);
        return ByteBuffer.allocate(14 + ip.length).put(mac(dstMac)).put(mac(Lab.vtepMac(2))).putShort((short) ethertype)
                .put(ip).array();
    }

    /**
     * An Ethernet frame from node 2's VTEP to node 1's holding UDP {@code src}:9 -> pod1:9 (discard)
     * whose checksum field is {@code checksum}, or, for -1, the folded pseudo-header sum a kernel
     * leaves for the NIC (CHECKSUM_PARTIAL).
     */
    static byte[] innerUdp(String src, int checksum) {
        byte[] payload = "muslin checksum".getBytes(StandardCharsets.US_ASCII);
        int udpLength = 8 + payload.length;
        byte[] ip = ByteBuffer.allocate(20 + udpLength).put((byte) 0x45).put((byte) 0)
                .putShort((short) (20 + udpLength)).putShort((short) 0x4321).putShort((short) 0x4000)
                .put((byte) 64).put((byte) 17).putShort((short) 0)
                .put(ipv4(src)).put(ipv4(Lab.podIp(1)))
                .putShort((short) 9).putShort((short) 9).putShort((short) udpLength).putShort((short) 0)
                .put(payload).array();
        putChecksum(ip, 0, 20, 10);
        int field = checksum;
        if (checksum < 0) {
            long sum = 17 + udpLength;
            for (int i = 12; i < 20; i += 2) {
                sum += ((ip[i] & 0xff) << 8) | (ip[i + 1] & 0xff);
            }
            while ((sum >> 16) != 0) {
                sum = (sum & 0xffff) + (sum >> 16);
            }
            field = (int) sum;
        }
        ip[26] = (byte) (field >> 8);
        ip[27] = (byte) field;
        return ByteBuffer.allocate(14 + ip.length).put(mac(Lab.vtepMac(1))).put(mac(Lab.vtepMac(2)))
                .putShort((short) ETHERTYPE_IPV4).put(ip).array();
    }

    private static void putChecksum(byte[] b, int from, int length, int at) {
        long sum = 0;
        for (int i = from; i < from + length; i += 2) {
            sum += ((b[i] & 0xff) << 8) | (i + 1 < from + length ? b[i + 1] & 0xff : 0);
        }
        while ((sum >> 16) != 0) {
            sum = (sum & 0xffff) + (sum >> 16);
        }
        int c = (int) ~sum & 0xffff;
        b[from + at] = (byte) (c >> 8);
        b[from + at + 1] = (byte) c;
    }

    private static byte[] mac(String s) {
        return HexFormat.ofDelimiter(":").parseHex(s);
    }

    private static byte[] ipv4(String s) {
        String[] p = s.split("\\.");
        byte[] b = new byte[4];
        for (int i = 0; i < 4; i++) {
            b[i] = (byte) Integer.parseInt(p[i]);
        }
        return b;
    }
}
