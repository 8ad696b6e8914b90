package io.muslin.node.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.muslin.dataplane.ipip.IpipEncapsulator;
import io.muslin.dataplane.packet.Ipv4;
import io.muslin.dataplane.packet.Ipv4Address;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;

/**
 * The IP-in-IP backend across a router: nodes 1 and 2 on 192.168.50.0/24, node 3 on
 * 192.168.60.0/24. Pods reach each other, TCP arrives intact, the wire is RFC 2003 as Wireshark
 * reads it, and packets from unknown senders or for someone else's subnet are dropped.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class IpipIT {
    private static final long TRANSFER_BYTES = 32L << 20;
    private static final String[] FIELDS = {"frame.number", "ip.src", "ip.dst", "ip.proto", "ip.dsfield",
        "ip.flags.df", "ip.ttl", "icmp.type"};

    private static Lab lab;

    @BeforeAll
    static void up() {
        Lab.assumeLabCapable();
        Lab.assumeTools(Lab.NETCAT, "ping", "ss", "tcpdump", "tshark");
        lab = Lab.create();
        lab.up(3, "--mode", "muslin", "--backend", "ipip", "--remote-nodes", "3");
    }

    @AfterAll
    static void down() {
        if (lab != null) {
            lab.close();
        }
    }

    @Test
    @Order(1)
    void podsOnAllThreeNodesReachEachOther() {
        lab.assertAllPodsReachEachOther(3);
    }

    @Test
    @Order(2)
    void tcpArrivesIntactAcrossTheRouterAndOnTheSubnet() {
        Path data = lab.randomFile("data-32m.bin", TRANSFER_BYTES);
        lab.assertTransfersIntactBothWays(data, 1, 3, 5001, Duration.ofMinutes(2));
        lab.assertTransfersIntactBothWays(data, 2, 3, 5003, Duration.ofMinutes(2));
        lab.assertTransfersIntactBothWays(data, 1, 2, 5005, Duration.ofMinutes(2));
    }

    /** Outer header per RFC 2003 §3.1 as muslin documents it: protocol 4, TOS and DF copied, TTL 64. */
    @Test
    @Order(3)
    void wireIsIpInIpWithTosAndDfCopiedAndTtl64() {
        Path pcap = lab.capture(1, "ipip", "ip proto 4", () -> {
            lab.execOk(lab.podNs(1), Duration.ofSeconds(30), "ping", "-n", "-c", "3", "-i", "0.2", "-W", "2",
                    "-M", "do", "-Q", "0xb8", Lab.podIp(3));
            lab.execOk(lab.podNs(1), Duration.ofSeconds(30), "ping", "-n", "-c", "3", "-i", "0.2", "-W", "2",
                    "-M", "dont", "-Q", "0x20", Lab.podIp(3));
        }, file -> lab.count(file, "icmp.type == 0") >= 6);

        List<String[]> frames = lab.decode(pcap, List.of(), null, FIELDS);
        int requests = 0;
        int replies = 0;
        for (String[] f : frames) {
            String where = "frame " + String.join(" | ", f);
            String[] src = f[1].split(",");
            String[] dst = f[2].split(",");
            String[] proto = f[3].split(",");
            String[] tos = f[4].split(",");
            String[] df = f[5].split(",");
            String[] ttl = f[6].split(",");
            assertEquals(2, src.length, () -> "an outer and an inner IPv4 header, " + where);
            assertEquals("4", proto[0], () -> "outer protocol 4, " + where);
            assertEquals(tos[1], tos[0], () -> "outer TOS = inner TOS, " + where);
            assertEquals(df[1], df[0], () -> "outer DF = inner DF, " + where);
            if (src[0].equals(lab.pubIp(1))) {
                requests++;
                assertEquals(lab.pubIp(3), dst[0], () -> "outer destination, " + where);
                assertEquals(Lab.podIp(1), src[1], () -> "inner source, " + where);
                assertEquals(Lab.podIp(3), dst[1], () -> "inner destination, " + where);
                assertEquals("64", ttl[0], () -> "outer TTL as sent, " + where);
            } else {
                replies++;
                assertEquals(lab.pubIp(3), src[0], () -> "outer source of a reply, " + where);
                assertEquals(Lab.podIp(3), src[1], () -> "inner source of a reply, " + where);
                assertEquals("63", ttl[0], () -> "outer TTL 64 less the router's hop, " + where);
            }
        }
        assertTrue(requests >= 6 && replies >= 6, "6 echo requests and 6 replies in the capture: " + frames.size());
        assertTrue(frames.stream().anyMatch(f -> f[4].startsWith("0xb8") && f[5].startsWith("1")),
                "a frame with TOS 0xb8 and DF");
        assertTrue(frames.stream().anyMatch(f -> f[4].startsWith("0x20") && f[5].startsWith("0")),
                "a frame with TOS 0x20 and no DF");
        Lab.Result problems = lab.tshark("-r", pcap.toString(), "-Y", "_ws.malformed || _ws.expert.severity >= warning");
        assertEquals(0, problems.exitCode(), problems::output);
        assertEquals("", problems.stdout().strip(), "frames Wireshark finds malformed or warns about");
    }

    /**
     * A stranger (the router) and a peer sending for a subnet it does not own: each counted under
     * its reason, neither delivered.
     */
    @Test
    @Order(4)
    void unknownSendersAndSpoofedSourcesAreDropped() {
        Map<String, Long> before = lab.stats(1);
        MuslinCapture drops = MuslinCapture.start(lab, 1, "ipip-drops", "--point", "drop");
        send(lab.routerNs(), "192.168.50.254", Lab.podIp(3));
        send(lab.nodeNs(2), lab.pubIp(2), Lab.podIp(3));
        send(lab.nodeNs(2), lab.pubIp(2), "10.244.77.7");
        boolean counted = Lab.waitFor(50, () -> {
            Map<String, Long> now = lab.stats(1);
            return now.get("dropUnknownSender") >= before.get("dropUnknownSender") + 1
                && now.get("dropSpoofedSource") >= before.get("dropSpoofedSource") + 2;
        });
        assertTrue(counted, () -> "node 1 counts all three: " + lab.stats(1));
        drops.stop();
        Map<String, Long> after = lab.stats(1);
        assertEquals(before.get("tunTxPackets"), after.get("tunTxPackets"), "nothing reached the TUN device");
        // Each drop is in the capture as received (outer IPv4 header, protocol 4), with its reason and sender.
        List<String[]> unknown = lab.decode(drops.file, List.of(), "frame.comment contains \"reason=dropUnknownSender\"",
                "ip.src", "ip.proto", "frame.comment");
        assertEquals(after.get("dropUnknownSender") - before.get("dropUnknownSender"), unknown.size(),
                () -> "captured unknown-sender drops: " + unknown.size());
        assertTrue(unknown.stream().anyMatch(f -> f[0].startsWith("192.168.50.254,") && f[1].startsWith("4,")),
                "the stranger's packet, outer and inner");
        List<String[]> spoofed = lab.decode(drops.file, List.of(), "frame.comment contains \"reason=dropSpoofedSource\"",
                "ip.src", "ip.proto", "frame.comment");
        assertEquals(after.get("dropSpoofedSource") - before.get("dropSpoofedSource"), spoofed.size(),
                () -> "captured spoofed-source drops: " + spoofed.size());
        assertTrue(spoofed.stream().allMatch(f -> f[2].startsWith("point=drop peer=" + lab.pubIp(2) + " ")),
                "the spoofing peer's packets, named in the comment");
        lab.assertPing(3, 1); // and the real peer still gets through
    }

    /** With {@code "SourceCheck": "off"} a peer may send for any address; a stranger still may not. */
    @Test
    @Order(5)
    void withTheSourceCheckOffAPeersForeignSourcesPass() {
        lab.stopDaemon(1);
        String config = Lab.read(lab.config(1));
        Lab.write(lab.config(1), config.replaceFirst("\\{", "{\"SourceCheck\": \"off\", "));
        try {
            lab.startDaemon(1);
            lab.awaitPeerRoutes(1, 2);
            Map<String, Long> before = lab.stats(1);
            send(lab.nodeNs(2), lab.pubIp(2), Lab.podIp(3));
            send(lab.nodeNs(2), lab.pubIp(2), "10.244.77.7");
            send(lab.routerNs(), "192.168.50.254", Lab.podIp(3));
            boolean passed = Lab.waitFor(50, () -> lab.stats(1).get("tunTxPackets") >= before.get("tunTxPackets") + 2
                && lab.stats(1).get("dropUnknownSender") >= before.get("dropUnknownSender") + 1);
            assertTrue(passed, () -> "two delivered, the stranger dropped: " + lab.stats(1));
            assertEquals(before.get("dropSpoofedSource"), lab.stats(1).get("dropSpoofedSource"));
        } finally {
            lab.stopDaemon(1);
            Lab.write(lab.config(1), config);
            lab.startDaemon(1);
            lab.awaitPeerRoutes(1, 2);
        }
        lab.assertPing(1, 3);
    }

    /** Sends, from namespace {@code ns}, an IP-in-IP packet from {@code outerSrc} holding UDP from {@code innerSrc} to pod 1. */
    private static void send(String ns, String outerSrc, String innerSrc) {
        ByteBuf packet = Unpooled.buffer(100);
        try {
            int innerLength = Ipv4.MIN_HEADER + 8 + 4;
            packet.writeZero(IpipEncapsulator.OVERHEAD + innerLength).readerIndex(IpipEncapsulator.OVERHEAD);
            Ipv4.writeHeader(packet, IpipEncapsulator.OVERHEAD, 0, innerLength, true, 64, Ipv4.PROTO_UDP,
                    Ipv4Address.parse(innerSrc), Ipv4Address.parse(Lab.podIp(1)));
            packet.setInt(IpipEncapsulator.OVERHEAD + 20, (9 << 16) | 9); // ports 9 > 9 (discard)
            packet.setInt(IpipEncapsulator.OVERHEAD + 24, 12 << 16);
            new IpipEncapsulator(Ipv4Address.parse(outerSrc)).encapsulate(packet, Ipv4Address.parse(lab.pubIp(1)));
            List<String> cmd = new ArrayList<>(Lab.inNs(ns, Lab.javaBinary(), "-cp", Lab.classpathWithMuslin(),
                    "--enable-native-access=ALL-UNNAMED", RawIpSend.class.getName(), lab.pubIp(1),
                    ByteBufUtil.hexDump(packet)));
            Lab.Result r = lab.run(Duration.ofSeconds(60), cmd);
            assertEquals(0, r.exitCode(), () -> "RawIpSend:\n" + r.output());
        } finally {
            packet.release();
        }
    }
}
