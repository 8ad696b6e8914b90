package io.muslin.node.e2e;

import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;

/**
 * The VXLAN backend across a router: nodes 1 and 2 on 192.168.50.0/24, node 3 on
 * 192.168.60.0/24 (the topology of {@link IpipIT} and {@link DirectRoutingIT}).
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class RoutedVxlanIT {
    private static final long TRANSFER_BYTES = 32L << 20;

    private static Lab lab;

    @BeforeAll
    static void up() {
        Lab.assumeLabCapable();
        Lab.assumeTools(Lab.NETCAT, "ping", "ss");
        lab = Lab.create();
        lab.up(3, "--mode", "muslin", "--remote-nodes", "3");
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
    void tcpArrivesIntactAcrossTheRouter() {
        Path data = lab.randomFile("data-32m.bin", TRANSFER_BYTES);
        lab.assertTransfersIntactBothWays(data, 1, 3, 5001, Duration.ofMinutes(2));
        lab.assertTransfersIntactBothWays(data, 2, 3, 5003, Duration.ofMinutes(2));
    }
}
