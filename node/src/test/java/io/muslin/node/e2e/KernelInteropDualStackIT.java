package io.muslin.node.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;

/**
 * Node 1 runs muslin with EnableIPv6, node 2 the kernel's {@code flannel.1} and
 * {@code flannel-v6.1} programmed as flannel programs them for a dual-stack network
 * ({@code lab.sh --ipv6 --kernel-nodes 2}): both families pass both ways, the IPv6 pods' traffic
 * through the kernel's VXLAN device on the IPv6 underlay, on veths and a bridge left as the
 * kernel sets them up (the kernel then hands muslin unfinished inner checksums and whole TSO
 * frames over IPv6 too).
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class KernelInteropDualStackIT {
    private static final long TRANSFER_BYTES = 16L << 20;
    private static final Pattern RX_PACKETS = Pattern.compile("RX:[^\\n]*\\n\\s*\\d+\\s+(\\d+)");

    private static Lab lab;

    @BeforeAll
    static void up() {
        Lab.assumeLabCapable();
        Lab.assumeTools(Lab.NETCAT, "ping", "ss");
        lab = Lab.create();
        lab.up(2, "--mode", "muslin", "--kernel-nodes", "2", "--ipv6");
    }

    @AfterAll
    static void down() {
        if (lab != null) {
            lab.close();
        }
    }

    @Test
    @Order(1)
    void ipv6PodsPingThroughTheKernelsFlannelV6Device() {
        long before = rxPackets("flannel-v6.1");
        lab.assertPing6(1, 2);
        lab.assertPing6(2, 1);
        assertTrue(rxPackets("flannel-v6.1") >= before + 6, "the kernel received our echoes on flannel-v6.1");
        lab.assertPing(1, 2);
        lab.assertPing(2, 1);
    }

    @Test
    @Order(2)
    void tcpOverBothFamiliesBetweenMuslinAndKernelArrivesIntact() {
        Path data = lab.randomFile("data-16m.bin", TRANSFER_BYTES);
        String expected = Lab.sha256(data);
        for (int[] d : new int[][] {{1, 2}, {2, 1}}) {
            CompletableFuture<Path> ipv4 = CompletableFuture.supplyAsync(
                () -> lab.transfer(data, d[0], d[1], 5100 + d[0], Duration.ofMinutes(2)));
            Path received6 = lab.transfer6(data, d[0], d[1], 5200 + d[0], Duration.ofMinutes(2));
            Path received4 = ipv4.join();
            assertEquals(expected, Lab.sha256(received6), "sha256 over IPv6, pod" + d[0] + " -> pod" + d[1]);
            assertEquals(expected, Lab.sha256(received4), "sha256 over IPv4, pod" + d[0] + " -> pod" + d[1]);
        }
        Map<String, Long> stats = lab.stats(1);
        // The kernel's unfinished checksums arrived and were completed; nothing was refused.
        assertTrue(stats.getOrDefault("rxChecksumsCompleted", 0L) > 0, () -> "completed checksums: " + stats);
        for (String drop : List.of("dropBadChecksum", "dropSpoofedSource", "dropUnknownSender", "dropNotOurMac",
            "dropMalformed", "dropUnsupportedFamily")) {
            assertEquals(0L, stats.getOrDefault(drop, 0L), () -> drop + ": " + stats);
        }
    }

    /** Packets the kernel node's device {@code device} has received ({@code ip -s link}). */
    private static long rxPackets(String device) {
        String out = lab.execOk(lab.nodeNs(2), Duration.ofSeconds(10), "ip", "-s", "link", "show", device).stdout();
        Matcher m = RX_PACKETS.matcher(out);
        assertTrue(m.find(), () -> "no RX counters in: " + out);
        return Long.parseLong(m.group(1));
    }
}
