package io.muslin.tun.linux;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/** Route queries (no privileges needed): {@code ip route get} and a filtered dump. */
class RouteNetlinkTest {
    private static final int LOOPBACK = 0x7F000001;

    @Test
    void looksUpHowTheKernelRoutesAnAddress() throws Exception {
        try (RouteNetlink netlink = new RouteNetlink()) {
            RouteNetlink.RouteInfo local = netlink.lookup(LOOPBACK);
            assertEquals(LOOPBACK, local.dst());
            assertEquals(32, local.dstLen());
            assertEquals(2, local.type(), "RTN_LOCAL: " + local);
            assertNotEquals(0, local.oif(), "lo: " + local);
            assertFalse(local.onLink(), "a local address is not an on-link neighbour: " + local);
        }
    }

    @Test
    void oneSocketServesCallersOnDifferentThreads() throws Exception {
        try (RouteNetlink netlink = new RouteNetlink()) {
            netlink.lookup(LOOPBACK);
            RouteNetlink.RouteInfo other = CompletableFuture.supplyAsync(() -> {
                try {
                    return netlink.lookup(LOOPBACK);
                } catch (LinuxException e) {
                    throw new IllegalStateException(e);
                }
            }).get();
            assertEquals(2, other.type());
        }
    }

    @Test
    void dumpsOnlyTheRoutesOfAProtocol() throws Exception {
        try (RouteNetlink netlink = new RouteNetlink()) {
            List<RouteNetlink.RouteInfo> kernel = netlink.routes(2); // RTPROT_KERNEL: the address routes
            for (RouteNetlink.RouteInfo r : kernel) {
                assertEquals(2, r.protocol(), r::toString);
                assertEquals(254, r.table(), r::toString);
            }
            assertTrue(netlink.routes(RouteNetlink.RTPROT_MUSLIN).stream().allMatch(r -> r.protocol() == 109));
        }
    }
}
