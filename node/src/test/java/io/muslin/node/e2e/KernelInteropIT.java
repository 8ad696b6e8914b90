package io.muslin.node.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Node 1 runs muslin, node 2 the kernel's VXLAN device {@code flannel.1} programmed exactly as
 * flannel programs it (scripts/lab.sh --kernel-nodes 2): the two must interoperate, on an
 * underlay of veths and a bridge left as the kernel sets them up. The kernel then sends inner
 * checksums unfinished (CHECKSUM_PARTIAL survives a veth), which muslin must complete.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class KernelInteropIT {
    private static final long TRANSFER_BYTES = 100L << 20;

    private static Lab lab;

    @BeforeAll
    static void up() {
        Lab.assumeLabCapable();
        Lab.assumeTools(Lab.NETCAT, "ping", "ss");
        lab = Lab.create();
        lab.up(2, "--mode", "muslin", "--kernel-nodes", "2");
    }

    @AfterAll
    static void down() {
        if (lab != null) {
            lab.close();
        }
    }

    @Test
    void muslinAndKernelPodsPingEachOther() {
        lab.assertPing(1, 2);
        lab.assertPing(2, 1);
    }

    @Test
    void tcpTransferBetweenMuslinAndKernelArrivesIntact() {
        Path data = lab.randomFile("data-100m.bin", TRANSFER_BYTES);
        // pod2 is on the kernel (flannel.1) node, pod1 on the muslin node.
        lab.assertTransfersIntactBothWays(data, 1, 2, 5001, Duration.ofMinutes(3));
        Map<String, Long> stats = lab.stats(1);
        // The kernel's unfinished checksums arrived (the SYN, the ACKs at least) and were completed.
        assertTrue(stats.getOrDefault("rxChecksumsCompleted", 0L) > 0, "completed checksums: " + stats);
        assertEquals(0L, stats.getOrDefault("dropBadChecksum", -1L), "no checksum was refused: " + stats);
        assertEquals(0L, stats.getOrDefault("dropSpoofedSource", -1L), stats.toString());
        assertEquals(0L, stats.getOrDefault("dropUnknownSender", -1L), stats.toString());
    }

    /**
     * A kernel peer that has no static neighbor entry for us, only a default FDB entry
     * (00:00:00:00:00:00 → our PublicIP), broadcasts an ARP request over VXLAN; muslin answers it
     * for its VTEP address, and the kernel learns our VTEP MAC from the reply.
     */
    @Test
    void kernelPeerWithoutStaticNeighborResolvesUsByArp() {
        String kernelNs = lab.nodeNs(2);
        String ourVtep = "10.244.1.0";
        Duration t = Duration.ofSeconds(10);
        long repliesBefore = lab.stats(1).getOrDefault("arpReplies", 0L);
        lab.execOk(kernelNs, t, "ip", "neigh", "del", ourVtep, "dev", "flannel.1");
        lab.execOk(kernelNs, t, "bridge", "fdb", "append", "00:00:00:00:00:00", "dev", "flannel.1",
            "dst", Lab.nodeIp(1));
        try {
            lab.assertPing(2, 1);
            String neigh = lab.execOk(kernelNs, t, "ip", "neigh", "show", ourVtep, "dev", "flannel.1").stdout();
            assertTrue(neigh.contains("lladdr " + Lab.vtepMac(1)), "kernel learned our VTEP MAC: " + neigh);
            assertTrue(lab.stats(1).get("arpReplies") > repliesBefore, "muslin counted its ARP replies");
        } finally {
            lab.exec(kernelNs, t, "bridge", "fdb", "del", "00:00:00:00:00:00", "dev", "flannel.1",
                "dst", Lab.nodeIp(1));
            lab.exec(kernelNs, t, "ip", "neigh", "replace", ourVtep, "lladdr", Lab.vtepMac(1), "dev", "flannel.1",
                "nud", "permanent");
        }
    }
}
