package io.muslin.control.bgp.speaker;

import io.muslin.control.lease.Lease;
import io.muslin.control.program.PeerProgrammer;
import io.muslin.dataplane.packet.Ipv4Prefix;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns the speaker's best routes into flannel leases and programs them through the same
 * {@link PeerProgrammer} the static file, etcd and the hub use. A route's lease has the
 * route's prefix as subnet and its next hop as PublicIP, and this node's backend: for VXLAN
 * this node's VNI (one VNI per cluster, as Calico has) and the route's Router's MAC as VTEP
 * MAC. The programmer then decides as it always does: host-gw (Calico's {@code Never}) routes
 * every peer directly, vxlan/ipip with DirectRouting ({@code CrossSubnet}) the on-link ones,
 * without it ({@code Always}) none; a VXLAN route with no MAC can only be routed directly.
 *
 * <p>Thread: the listener calls come on the speaker's event loop and are handed, in order, to
 * one thread of this feed ({@code muslin-bgp-program}), because programming may wait on
 * rtnetlink.
 */
public final class LeaseFeed implements BgpRouteListener, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(LeaseFeed.class);

    private final PeerProgrammer programmer;
    private final String backendType;
    private final int vni;
    private final BiConsumer<Lease, PeerProgrammer.Result> programmed;
    private final ExecutorService thread = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "muslin-bgp-program");
        t.setDaemon(true);
        return t;
    });
    private final AtomicLong refused = new AtomicLong();

    /**
     * @param backendType this node's backend ({@link Lease#VXLAN}, {@link Lease#IPIP}, {@link Lease#HOST_GW})
     * @param vni         this node's VNI (VXLAN), else {@link Lease#NO_VNI}
     * @param programmed  told after each lease is programmed (for measurements; may be null)
     */
    public LeaseFeed(PeerProgrammer programmer, String backendType, int vni,
                     BiConsumer<Lease, PeerProgrammer.Result> programmed) {
        this.programmer = Objects.requireNonNull(programmer, "programmer");
        this.backendType = Objects.requireNonNull(backendType, "backendType");
        this.vni = vni;
        this.programmed = programmed;
    }

    /** The lease a route stands for on a node of {@code backendType}. */
    public static Lease lease(BgpRoute route, String backendType, int vni) {
        return Lease.VXLAN.equals(backendType)
            ? Lease.vxlan(route.prefix(), route.nextHop(), vni, route.routersMac())
            : Lease.of(backendType, route.prefix(), route.nextHop());
    }

    @Override
    public void changed(BgpRoute best) {
        Lease lease = lease(best, backendType, vni);
        thread.execute(() -> {
            try {
                PeerProgrammer.Result r = programmer.add(lease);
                if (r == PeerProgrammer.Result.REFUSED) {
                    refused.incrementAndGet();
                }
                if (programmed != null) {
                    programmed.accept(lease, r);
                }
            } catch (RuntimeException e) {
                refused.incrementAndGet();
                LOG.warn("bgp: route {} not programmed: {}", best, e.getMessage());
            }
        });
    }

    @Override
    public void withdrawn(Ipv4Prefix prefix) {
        thread.execute(() -> {
            try {
                programmer.remove(prefix);
            } catch (RuntimeException e) {
                LOG.warn("bgp: removing {}: {}", prefix, e.getMessage());
            }
        });
    }

    /** Routes the programmer refused or rejected (not on-link for host-gw, no MAC to tunnel to, overlapping ours). */
    public long refused() {
        return refused.get();
    }

    /** Waits until everything handed over so far is programmed (tests). */
    public void awaitIdle() throws InterruptedException {
        var done = new java.util.concurrent.CountDownLatch(1);
        thread.execute(done::countDown);
        done.await(10, TimeUnit.SECONDS);
    }

    /** Stops after what was handed over (up to 5 s); the programmed peers stay (the daemon removes them). */
    @Override
    public void close() {
        thread.shutdown();
        try {
            thread.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
