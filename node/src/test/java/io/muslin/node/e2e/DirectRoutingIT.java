package io.muslin.node.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * DirectRouting (flannel) / CrossSubnet (Calico): nodes 1 and 2 share 192.168.50.0/24, node 3
 * is behind a router. The same-subnet pair talks without encapsulation over a kernel route, the
 * cross-subnet pair through the tunnel — proven from a capture of node 1's underlay.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class DirectRoutingIT {
    private static final long TRANSFER_BYTES = 16L << 20;
    private static final String[] FIELDS = {"frame.number", "ip.src", "ip.dst", "ip.proto", "udp.dstport"};

    @BeforeAll
    static void assumeLab() {
        Lab.assumeLabCapable();
        Lab.assumeTools(Lab.NETCAT, "ping", "ss", "tcpdump", "tshark");
    }

    @ParameterizedTest
    @ValueSource(strings = {"vxlan", "ipip"})
    void sameSubnetPeersAreDirectAndCrossSubnetPeersEncapsulated(String backend) {
        try (Lab lab = Lab.create()) {
            lab.up(3, "--mode", "muslin", "--backend", backend, "--direct-routing", "--remote-nodes", "3");

            String routes = lab.execOk(lab.nodeNs(1), Duration.ofSeconds(10), "ip", "route", "show", "proto", "109")
                    .stdout();
            assertTrue(routes.contains("10.244.2.0/24 via " + lab.pubIp(2) + " dev eth0"),
                    () -> "a kernel route to the on-link peer:\n" + routes);
            assertFalse(routes.contains("10.244.3.0/24"), () -> "no kernel route to the peer behind the router:\n" + routes);
            String muslinRoutes = lab.muslin(1, "routes").stdout();
            assertTrue(muslinRoutes.contains("10.244.2.0/24 via " + lab.pubIp(2) + " direct"), muslinRoutes);

            Path pcap = lab.capture(1, "direct-" + backend, "icmp or udp port " + Lab.VXLAN_PORT + " or ip proto 4", () -> {
                for (int to : new int[] {2, 3}) {
                    lab.execOk(lab.podNs(1), Duration.ofSeconds(30), "ping", "-n", "-c", "3", "-i", "0.2", "-W", "2",
                            Lab.podIp(to));
                }
            }, file -> lab.count(file, "icmp.type == 0") >= 6);

            int direct = 0;
            int tunnelled = 0;
            for (String[] f : lab.decode(pcap, List.of("udp.port==" + Lab.VXLAN_PORT + ",vxlan"), "icmp", FIELDS)) {
                String where = "frame " + String.join(" | ", f);
                String[] src = f[1].split(",");
                String[] dst = f[2].split(",");
                boolean toOrFromPod2 = List.of(src[src.length - 1], dst[dst.length - 1]).contains(Lab.podIp(2));
                if (toOrFromPod2) {
                    direct++;
                    assertEquals(1, src.length, () -> "pod 1 <-> pod 2 is not encapsulated, " + where);
                    assertTrue(List.of(Lab.podIp(1), Lab.podIp(2)).contains(src[0]), () -> "pod addresses, " + where);
                } else {
                    tunnelled++;
                    assertEquals(2, src.length, () -> "pod 1 <-> pod 3 is encapsulated, " + where);
                    assertTrue(List.of(lab.pubIp(1), lab.pubIp(3)).contains(src[0]), () -> "outer addresses, " + where);
                    String expected = backend.equals("vxlan") ? Integer.toString(Lab.VXLAN_PORT) : "";
                    assertEquals(expected, f[4], () -> "outer UDP port, " + where);
                    assertEquals(backend.equals("vxlan") ? "17" : "4", f[3].split(",")[0], () -> "outer protocol, " + where);
                }
            }
            assertTrue(direct >= 6, "echo requests and replies to pod 2 in the capture: " + direct);
            assertTrue(tunnelled >= 6, "echo requests and replies to pod 3 in the capture: " + tunnelled);

            Path data = lab.randomFile("data-16m.bin", TRANSFER_BYTES);
            lab.assertTransfersIntactBothWays(data, 1, 2, 5001, Duration.ofMinutes(2));
            lab.assertTransfersIntactBothWays(data, 1, 3, 5003, Duration.ofMinutes(2));
            assertEquals(0L, lab.stats(1).get("dropDirectRoute"), "no packet for a direct peer reached the TUN");
        }
    }
}
