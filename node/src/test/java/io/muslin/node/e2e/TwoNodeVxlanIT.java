package io.muslin.node.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;

/** Two muslin nodes: pods reach each other, bulk TCP arrives intact, counters add up. */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class TwoNodeVxlanIT {
    private static final long TRANSFER_BYTES = 100L << 20;

    private static Lab lab;

    @BeforeAll
    static void up() {
        Lab.assumeLabCapable();
        Lab.assumeTools(Lab.NETCAT, "ping", "ss");
        lab = Lab.create();
        lab.up(2, "--mode", "muslin");
    }

    @AfterAll
    static void down() {
        if (lab != null) {
            lab.close();
        }
    }

    @Test
    @Order(1)
    void podsPingEachOther() {
        lab.assertPing(1, 2);
        lab.assertPing(2, 1);
    }

    @Test
    @Order(2)
    void tcpTransferArrivesIntactBothWays() {
        Path data = lab.randomFile("data-100m.bin", TRANSFER_BYTES);
        lab.assertTransfersIntactBothWays(data, 1, 2, 5001, Duration.ofMinutes(2));
    }

    @Test
    @Order(3)
    void statsCountTrafficAndNoMalformedPackets() {
        lab.assertPing(1, 2);
        for (int node = 1; node <= 2; node++) {
            Map<String, Long> stats = lab.stats(node);
            int n = node;
            assertTrue(stats.getOrDefault("txPackets", 0L) > 0, () -> "node " + n + " txPackets > 0: " + stats);
            assertTrue(stats.getOrDefault("rxPackets", 0L) > 0, () -> "node " + n + " rxPackets > 0: " + stats);
            assertEquals(0L, stats.get("dropMalformed"), () -> "node " + n + " dropMalformed: " + stats);
        }
    }
}
