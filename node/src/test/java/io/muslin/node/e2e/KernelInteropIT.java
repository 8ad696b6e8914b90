package io.muslin.node.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Node 1 runs muslin, node 2 the kernel's VXLAN device {@code flannel.1} programmed exactly as
 * flannel programs it (scripts/lab.sh --kernel-nodes 2): the two must interoperate.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class KernelInteropIT {
    private static final long TRANSFER_BYTES = 20L << 20;

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
        Path data = lab.randomFile("data-20m.bin", TRANSFER_BYTES);
        String expected = Lab.sha256(data);

        Path atKernelPod = lab.transfer(data, 1, 2, 5001, Duration.ofMinutes(2));
        assertEquals(TRANSFER_BYTES, atKernelPod.toFile().length(), "bytes received by pod2 (kernel node)");
        assertEquals(expected, Lab.sha256(atKernelPod), "sha256 at pod2 (kernel node)");

        Path atMuslinPod = lab.transfer(data, 2, 1, 5002, Duration.ofMinutes(2));
        assertEquals(TRANSFER_BYTES, atMuslinPod.toFile().length(), "bytes received by pod1 (muslin node)");
        assertEquals(expected, Lab.sha256(atMuslinPod), "sha256 at pod1 (muslin node)");
    }
}
