package io.muslin.dataplane.engine;

import io.muslin.dataplane.packet.Ipv4Prefix;
import io.muslin.dataplane.path.Counters;
import io.muslin.dataplane.path.InboundPath;
import io.muslin.dataplane.path.OutboundPath;
import io.muslin.dataplane.table.Tables;
import io.muslin.dataplane.vxlan.VxlanDecoder;
import io.muslin.dataplane.vxlan.VxlanEncapsulator;
import io.muslin.tun.TunDevice;
import io.muslin.tun.epoll.FdHandle;
import io.muslin.tun.linux.Interfaces;
import io.muslin.tun.linux.NativeSocket;
import io.muslin.tun.linux.RouteNetlink;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.IoEventLoop;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One node's VXLAN dataplane: the TUN device, the underlay sockets and the event loop that
 * moves packets between them. {@link #start} installs everything; {@link #close} removes it.
 *
 * <p>Threads: one Netty epoll event loop ({@code muslin-dataplane}) owns the TUN descriptor,
 * the UDP socket (receive, port 8472) and the raw IPv4 socket (send), so a packet never
 * changes thread. Tables are written by the control plane through {@link #tables()} and read
 * by the loop as immutable snapshots.
 *
 * <p>Why a raw socket for sending: muslin writes the whole outer header in place, so the outer
 * UDP source port follows the inner flow (RFC 7348 §5, as the kernel's vxlan does) from one
 * socket, and DF/TOS/TTL are ours to set.
 */
public final class VxlanDataplane implements AutoCloseable {
    static final int SOCKET_BUFFER = 4 << 20;
    /**
     * Packets the kernel may queue in the TUN device for us. The kernel's default (500) overflows
     * during a TCP burst while the loop is busy sending, and each overflow is a retransmission
     * (measured: 5% of a single stream's packets); 2000 removed them in the lab.
     */
    static final int TUN_TX_QUEUE = 2000;

    private final VxlanSettings settings;
    private final Tables tables = new Tables();
    private final Counters counters = new Counters();
    private final Deque<AutoCloseable> undo = new ArrayDeque<>();
    private final AtomicBoolean closed = new AtomicBoolean();
    private MultiThreadIoEventLoopGroup group;

    private VxlanDataplane(VxlanSettings settings) {
        this.settings = settings;
    }

    /**
     * Creates the device (address, MTU, up, route for the network) and starts forwarding.
     * On failure everything already installed is removed again before the exception leaves.
     */
    public static VxlanDataplane start(VxlanSettings settings) throws IOException {
        VxlanDataplane dp = new VxlanDataplane(settings);
        try {
            dp.install();
            return dp;
        } catch (IOException | RuntimeException e) {
            dp.close();
            throw e;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            dp.close();
            throw new IOException("interrupted while starting the dataplane", e);
        }
    }

    private void install() throws IOException, InterruptedException {
        String name = settings.interfaceName();
        TunDevice tun = TunDevice.create(name);
        undo.push(tun); // closing the device removes it and every route through it
        int ifindex = tun.index();
        Interfaces.setMtu(name, settings.mtu());
        Interfaces.setTxQueueLength(name, TUN_TX_QUEUE);
        Ipv4Prefix network = settings.network();
        try (RouteNetlink netlink = new RouteNetlink()) {
            netlink.addAddress(ifindex, settings.nodeSubnet().address(), 32);
            Interfaces.setUp(name, true);
            netlink.addRoute(network.address(), network.length(), ifindex, 0, false);
        }
        undo.push(() -> {
            try (RouteNetlink netlink = new RouteNetlink()) {
                netlink.deleteRoute(network.address(), network.length(), ifindex, 0);
            }
        });

        NativeSocket udp = NativeSocket.udp(0, settings.port(), SOCKET_BUFFER);
        undo.push(udp);
        NativeSocket raw = NativeSocket.rawIpv4(SOCKET_BUFFER);
        undo.push(raw);

        VxlanEncapsulator encapsulator = new VxlanEncapsulator(settings.publicIp(), settings.vtepMac(),
            settings.vni(), settings.port());
        OutboundPath outbound = new OutboundPath(encapsulator, counters);
        InboundPath inbound = new InboundPath(new VxlanDecoder(settings.vni(), settings.vtepMac()), encapsulator,
            settings.nodeSubnet().address(), settings.vtepMac(), counters);

        group = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("muslin-dataplane", true),
            EpollIoHandler.newFactory());
        IoEventLoop loop = (IoEventLoop) group.next();
        ByteBufAllocator alloc = PooledByteBufAllocator.DEFAULT;
        TunReader tunReader = new TunReader(tun, raw, outbound, tables, counters, settings.mtu(), alloc);
        UnderlayReader underlayReader = new UnderlayReader(udp, raw, tun, inbound, counters, settings.port(), alloc);
        undo.push(() -> group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly());
        undo.push(() -> loop.submit(() -> {
            tunReader.close();
            underlayReader.close();
        }).syncUninterruptibly());

        FdHandle tunHandle = FdHandle.register(loop, tun.fd(), tunReader);
        FdHandle rawHandle = FdHandle.register(loop, raw.fd(), tunReader);
        loop.submit(() -> rawHandle.setInterest(false, false)).sync();
        FdHandle udpHandle = FdHandle.register(loop, udp.fd(), underlayReader);
        tunReader.attach(tunHandle, rawHandle);
        undo.push(() -> loop.submit(() -> {
            tunHandle.cancel();
            rawHandle.cancel();
            udpHandle.cancel();
        }).syncUninterruptibly());
    }

    public VxlanSettings settings() {
        return settings;
    }

    public Tables tables() {
        return tables;
    }

    public Counters counters() {
        return counters;
    }

    /**
     * Stops forwarding and removes the device and every route it added. Idempotent; keeps
     * going past a failing step and reports the first failure only as a suppressed log-free
     * exception to the caller's handler (there is nothing left to roll back to).
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        RuntimeException first = null;
        while (!undo.isEmpty()) {
            try {
                undo.pop().close();
            } catch (Exception e) {
                if (first == null) {
                    first = new IllegalStateException("dataplane teardown: " + e.getMessage(), e);
                }
            }
        }
        if (first != null) {
            throw first;
        }
    }

    /** True when a device named {@code name} exists in this network namespace. */
    public static boolean deviceExists(String name) {
        return Interfaces.index(name) != 0;
    }

}
