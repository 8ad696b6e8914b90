package io.muslin.node.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
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
 * host-gw: nodes 1 and 2 on one subnet get kernel routes to each other's pods (no device, no
 * encapsulation); node 3, behind a router, is refused with a clear error on both sides; the
 * routes go when the daemon stops.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class HostGwIT {
    private static final long TRANSFER_BYTES = 32L << 20;

    private static Lab lab;

    @BeforeAll
    static void up() {
        Lab.assumeLabCapable();
        Lab.assumeTools(Lab.NETCAT, "ping", "ss");
        lab = Lab.create();
        lab.up(3, "--mode", "muslin", "--backend", "host-gw", "--remote-nodes", "3");
    }

    @AfterAll
    static void down() {
        if (lab != null) {
            lab.close();
        }
    }

    private static String routes(int node) {
        return lab.execOk(lab.nodeNs(node), Duration.ofSeconds(10), "ip", "route", "show", "proto", "109").stdout();
    }

    @Test
    @Order(1)
    void onLinkPeersGetKernelRoutesAndNoDevice() {
        assertEquals("10.244.2.0/24 via " + lab.pubIp(2) + " dev eth0 \n", routes(1));
        assertEquals("10.244.1.0/24 via " + lab.pubIp(1) + " dev eth0 \n", routes(2));
        Lab.Result link = lab.exec(lab.nodeNs(1), Duration.ofSeconds(10), "ip", "link", "show", Lab.OVERLAY_DEVICE);
        assertNotEquals(0, link.exitCode(), "host-gw creates no device");
        assertTrue(Lab.read(lab.subnetEnv(1)).contains("FLANNEL_MTU=1500"), "no encapsulation overhead");
    }

    @Test
    @Order(2)
    void aPeerBehindARouterIsRefusedWithAClearError() {
        assertFalse(routes(1).contains("10.244.3.0/24"));
        assertEquals("", routes(3), "node 3 reaches neither peer on-link");
        String log1 = lab.daemonLog(1);
        assertTrue(log1.contains("refusing host-gw peer 10.244.3.0/24: its PublicIP " + lab.pubIp(3)
                + " is not on-link (the kernel routes it via 192.168.50.254 dev eth0)"), log1);
        String log3 = lab.daemonLog(3);
        assertTrue(log3.contains("refusing host-gw peer 10.244.1.0/24"), log3);
        assertTrue(log3.contains("refusing host-gw peer 10.244.2.0/24"), log3);
        String listed = lab.muslin(1, "routes").stdout();
        assertEquals("10.244.2.0/24 via " + lab.pubIp(2) + " direct\n", listed);
    }

    @Test
    @Order(3)
    void podsOnTheSubnetTalkThroughTheKernelRoutes() {
        lab.assertPing(1, 2);
        lab.assertPing(2, 1);
        Path data = lab.randomFile("data-32m.bin", TRANSFER_BYTES);
        lab.assertTransfersIntactBothWays(data, 1, 2, 5001, Duration.ofMinutes(2));
    }

    /** The config file's Peers are reloaded when it changes: a peer's route goes with it and comes back. */
    @Test
    @Order(4)
    void routesFollowThePeersInTheConfigFile() throws Exception {
        Path config = lab.config(1);
        String original = Lab.read(config);
        String withoutPeer2 = original.replaceAll("\\{\"Subnet\":\"10\\.244\\.2\\.0/24\"[^}]*\\},?", "");
        assertNotEquals(original, withoutPeer2, "peer 2 not found in the config");
        Files.writeString(config, withoutPeer2);
        assertTrue(Lab.waitFor(50, () -> routes(1).isEmpty()), () -> "route to peer 2 removed: " + routes(1));
        assertEquals("", lab.muslin(1, "routes").stdout());

        Files.writeString(config, original);
        assertTrue(Lab.waitFor(50, () -> routes(1).contains("10.244.2.0/24 via " + lab.pubIp(2))),
                () -> "route to peer 2 back: " + routes(1));
        lab.assertPing(1, 2);
    }

    @Test
    @Order(5)
    void stoppingTheDaemonRemovesItsRoutes() {
        lab.stopDaemon(1);
        assertEquals("", routes(1), "no proto 109 route left on node 1");
        assertFalse(Lab.read(lab.subnetEnv(1)).contains("FLANNEL"), "subnet.env removed");
    }
}
