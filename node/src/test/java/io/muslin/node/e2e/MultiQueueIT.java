package io.muslin.node.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.muslin.dataplane.path.Counter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
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
 * Two muslin nodes with two dataplane threads each ({@code Dataplane.Threads} 2: two TUN queues,
 * two sockets on the VXLAN port): parallel TCP flows arrive intact, numbered datagrams of many
 * flows arrive in order per flow, and the counters of {@code muslin stats} add up across the
 * threads, both of which carried traffic.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 6, unit = TimeUnit.MINUTES)
class MultiQueueIT {
    private static final int THREADS = 2;
    private static final int TCP_FLOWS = 4;
    private static final long TCP_BYTES_PER_FLOW = 25L << 20;
    /**
     * Flows of numbered datagrams. The kernel spreads flows over TUN queues and reuse-port
     * sockets by a keyed hash: with 32 flows the chance that all land on one of the two threads
     * is 2^-31 per node.
     */
    private static final int UDP_FLOWS = 32;
    private static final int UDP_PER_FLOW = 200;
    private static final int UDP_PORT = 7100;
    private static final Pattern FLOW = Pattern.compile("flow (\\d+) received (\\d+) outOfOrder (\\d+)");

    private static Lab lab;

    @BeforeAll
    static void up() {
        Lab.assumeLabCapable();
        Lab.assumeTools(Lab.NETCAT, "ping", "ss");
        lab = Lab.create();
        lab.up(2, "--mode", "muslin", "--threads", Integer.toString(THREADS));
    }

    @AfterAll
    static void down() {
        if (lab != null) {
            lab.close();
        }
    }

    @Test
    @Order(1)
    void eachDaemonRunsTwoThreadsOnTwoQueues() {
        lab.assertPing(1, 2);
        for (int node = 1; node <= 2; node++) {
            assertEquals((long) THREADS, lab.stats(node).get("threads"), "threads in muslin stats of node " + node);
            String queues = lab.execOk(lab.nodeNs(node), Duration.ofSeconds(10), "ls", "/sys/class/net/"
                + Lab.OVERLAY_DEVICE + "/queues").stdout();
            assertTrue(queues.contains("tx-1") && !queues.contains("tx-2"),
                () -> "muslin0 should have two queues:\n" + queues);
        }
    }

    @Test
    @Order(2)
    void parallelTcpFlowsArriveIntact() {
        List<CompletableFuture<Void>> flows = new ArrayList<>();
        for (int f = 0; f < TCP_FLOWS; f++) {
            Path data = lab.randomFile("flow-" + f + ".bin", TCP_BYTES_PER_FLOW);
            int port = 5201 + f;
            flows.add(CompletableFuture.runAsync(() -> {
                Path received = lab.transfer(data, 1, 2, port, Duration.ofMinutes(3));
                assertEquals(TCP_BYTES_PER_FLOW, received.toFile().length(), "bytes received on port " + port);
                assertEquals(Lab.sha256(data), Lab.sha256(received), "sha256 of the data received on port " + port);
            }));
        }
        flows.forEach(CompletableFuture::join);
    }

    @Test
    @Order(3)
    void numberedDatagramsOfManyFlowsArriveInOrderAndBothThreadsCarryThem() {
        Map<String, Long> sentBefore = lab.stats(1);
        Map<String, Long> before = lab.stats(2);
        Lab.Spawned receiver = lab.spawn("udp-sequence-receiver", null, Lab.inNs(lab.podNs(2), Lab.javaBinary(), "-cp",
            Lab.testClasspath(), UdpSequence.class.getName(), "receive", Integer.toString(UDP_PORT),
            Integer.toString(UDP_FLOWS), Integer.toString(UDP_PER_FLOW)));
        assertTrue(Lab.waitFor(600, () -> Lab.read(receiver.stdout()).contains("ready")),
            () -> "the receiver never bound its port:\n" + receiver.output());
        Lab.Result sent = lab.run(Duration.ofSeconds(120), Lab.inNs(lab.podNs(1), Lab.javaBinary(), "-cp",
            Lab.testClasspath(), UdpSequence.class.getName(), "send", Lab.podIp(2), Integer.toString(UDP_PORT),
            Integer.toString(UDP_FLOWS), Integer.toString(UDP_PER_FLOW)));
        assertEquals(0, sent.exitCode(), () -> "UdpSequence send:\n" + sent.output());
        assertEquals(0, receiver.await(Duration.ofSeconds(120)), () -> "UdpSequence receive:\n" + receiver.output());

        String report = Lab.read(receiver.stdout());
        Matcher m = FLOW.matcher(report);
        int flows = 0;
        long received = 0;
        while (m.find()) {
            flows++;
            long r = Long.parseLong(m.group(2));
            received += r;
            assertEquals("0", m.group(3), () -> "datagrams out of order in a flow:\n" + report);
            assertTrue(r > 0, () -> "a flow lost every datagram:\n" + report);
        }
        assertEquals(UDP_FLOWS, flows, () -> "one line per flow:\n" + report);

        Map<String, Long> sender = lab.stats(1);
        Map<String, Long> after = lab.stats(2);
        long delivered = grew(before, after, "tunTxPackets");
        long r = received;
        assertTrue(delivered >= received, () -> "node 2 wrote " + delivered + " packets to its TUN, pod 2 got " + r);
        for (int t = 0; t < THREADS; t++) {
            String key = "thread" + t + "." + Counter.TUN_TX_PACKETS.label();
            assertTrue(grew(before, after, key) > 0, () -> "node 2 thread " + key + " delivered none:\n" + after);
            String out = "thread" + t + "." + Counter.TUN_RX_PACKETS.label();
            assertTrue(grew(sentBefore, sender, out) > 0, () -> "node 1 thread " + out + " read none:\n" + sender);
        }
        assertCountersAddUp(sender);
        assertCountersAddUp(after);
    }

    /** Every counter of {@code muslin stats} is the sum of the same counter of each thread. */
    private static void assertCountersAddUp(Map<String, Long> stats) {
        for (Counter c : Counter.values()) {
            long sum = 0;
            for (int t = 0; t < THREADS; t++) {
                sum += stats.getOrDefault("thread" + t + "." + c.label(), 0L);
            }
            long s = sum;
            assertEquals(stats.get(c.label()), s, () -> c.label() + " is not the sum of its threads':\n" + stats);
        }
    }

    private static long grew(Map<String, Long> before, Map<String, Long> after, String counter) {
        return after.getOrDefault(counter, 0L) - before.getOrDefault(counter, 0L);
    }
}
