package io.muslin.dataplane.engine;

import io.muslin.dataplane.Encapsulation;
import io.muslin.dataplane.capture.Capture;
import io.muslin.dataplane.capture.CaptureContext;
import io.muslin.dataplane.observe.DataplaneProbes;
import io.muslin.dataplane.observe.ThreadProbe;
import io.muslin.dataplane.ipip.IpipEncapsulator;
import io.muslin.dataplane.packet.Ipv4;
import io.muslin.dataplane.packet.Ipv4Prefix;
import io.muslin.dataplane.packet.MacAddress;
import io.muslin.dataplane.path.Counter;
import io.muslin.dataplane.path.Counters;
import io.muslin.dataplane.path.MtuGuard;
import io.muslin.dataplane.path.PathMtu;
import io.muslin.dataplane.path.InboundPath;
import io.muslin.dataplane.path.IpipInboundPath;
import io.muslin.dataplane.path.VxlanInboundPath;
import io.muslin.dataplane.path.OutboundPath;
import io.muslin.dataplane.table.FdbEntry;
import io.muslin.dataplane.table.NextHop;
import io.muslin.dataplane.table.Tables;
import io.muslin.dataplane.vxlan.VxlanDecoder;
import io.muslin.dataplane.vxlan.VxlanEncapsulator;
import io.muslin.tun.TunDevice;
import io.muslin.tun.epoll.FdHandle;
import io.muslin.tun.linux.Interfaces;
import io.muslin.tun.linux.Libc;
import io.muslin.tun.linux.LinuxException;
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
import java.util.function.IntConsumer;

/**
 * One node's overlay dataplane, VXLAN or IP-in-IP: the TUN device, the underlay sockets and
 * the event loop that moves packets between them. {@link #start} installs everything;
 * {@link #close} removes it.
 *
 * <p>Threads: one Netty epoll event loop ({@code muslin-dataplane}) owns the TUN descriptor,
 * the receive socket (VXLAN: UDP port 8472; IP-in-IP: a raw socket for IP protocol 4) and the
 * raw IPv4 socket (send), so a packet never changes thread. Tables are written by the control plane through {@link #tables()} and read
 * by the loop as immutable snapshots.
 *
 * <p>Why a raw socket for sending: muslin writes the whole outer header in place, so the outer
 * UDP source port follows the inner flow (RFC 7348 §5, as the kernel's vxlan does) from one
 * socket, and DF/TOS/TTL are ours to set.
 *
 * <p>TUN offloads (system property {@value #OFFLOAD_PROPERTY}, default {@code true}, read once
 * at start): the device is opened with {@code IFF_VNET_HDR} and TSO, so the kernel hands us
 * 64 KB TCP super-packets that {@link OffloadTunReader} cuts into segments, and
 * {@link GroTunWriter} writes received TCP segments back as coalesced super-packets. If the
 * kernel refuses the offloads, the dataplane falls back to a plain device. {@code false} keeps
 * the plain path: one packet per read and per write.
 *
 * <p>IP-in-IP has no UDP offloads (the kernel segments only UDP and TCP for us): with TUN
 * offloads its segments leave one by one on the raw socket.
 *
 * <p>UDP offloads (VXLAN; system property {@value #UDP_OFFLOAD_PROPERTY}, default {@code true},
 * only with TUN offloads): the segments of a super-packet leave as one UDP GSO message on one of
 * {@value #UDP_SENDERS} UDP sockets (picked by the flow's hashed source port, so each flow
 * keeps one outer source port) instead of one raw datagram each ({@link GsoSender}), and the
 * receive socket takes UDP GRO messages: about three times the throughput of TUN offloads
 * alone in the lab. What it changes on the underlay: the outer UDP checksum is set (the kernel
 * requires it for GSO), outer source ports come from the sockets' ports, and a capture on a
 * device that passes GSO through (veth, or a NIC with UDP segmentation offload) sees each
 * message before it is cut into datagrams, as one large datagram holding several VXLAN frames,
 * which Wireshark decodes only in part. To capture datagrams as they are on the wire, turn the
 * device's segmentation offload off while capturing ({@code ethtool -K eth0
 * tx-udp-segmentation off}): the kernel then cuts messages before its taps see them. Without
 * kernel support the segments go out one by one on the raw socket ({@link RawSegmentSender}).
 */
public final class OverlayDataplane implements AutoCloseable {
    static final int SOCKET_BUFFER = 4 << 20;
    /** Name of the system property that switches TUN offloads (default true). */
    public static final String OFFLOAD_PROPERTY = "muslin.offload";
    /** Name of the system property that switches UDP GSO/GRO under TUN offloads (default true). */
    public static final String UDP_OFFLOAD_PROPERTY = "muslin.offload.udp";
    /** UDP sockets (so outer source ports) GSO sends spread flows over. */
    static final int UDP_SENDERS = 16;
    /**
     * Packets the kernel may queue in the TUN device for us. The kernel's default (500) overflows
     * during a TCP burst while the loop is busy sending, and each overflow is a retransmission
     * (measured: 5% of a single stream's packets); 2000 removed them in the lab.
     */
    static final int TUN_TX_QUEUE = 2000;
    /** The smallest MTU every IPv4 host must accept (RFC 791): the TUN MTU never follows the underlay below it. */
    static final int MIN_TUNNEL_MTU = 576;

    private final DataplaneSettings settings;
    private final Tables tables = new Tables();
    private final Counters counters = new Counters();
    private Capture capture;
    private DataplaneProbes probes;
    private IoEventLoop loop;
    private PathMtu pathMtu;
    private volatile int mtu;
    private volatile IntConsumer mtuListener = m -> { };
    private final Deque<AutoCloseable> undo = new ArrayDeque<>();
    private final AtomicBoolean closed = new AtomicBoolean();
    private MultiThreadIoEventLoopGroup group;
    private boolean offload;
    private boolean udpOffload;

    private OverlayDataplane(DataplaneSettings settings) {
        this.settings = settings;
    }

    /**
     * Creates the device (address, MTU, up, route for the network) and starts forwarding.
     * On failure everything already installed is removed again before the exception leaves.
     */
    public static OverlayDataplane start(DataplaneSettings settings) throws IOException {
        OverlayDataplane dp = new OverlayDataplane(settings);
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
        TunDevice tun = createTun(name, Boolean.parseBoolean(System.getProperty(OFFLOAD_PROPERTY, "true")));
        offload = tun.offload();
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

        boolean vxlan = settings.encapsulation() == Encapsulation.VXLAN;
        pathMtu = new PathMtu(settings.underlayMtu(), PathMtu.DEFAULT_EXPIRY_NANOS);
        mtu = settings.mtu();
        // VXLAN receives UDP datagrams on its port; IP-in-IP every protocol-4 packet, outer header included.
        NativeSocket receiver = vxlan ? NativeSocket.udp(0, settings.port(), SOCKET_BUFFER)
            : NativeSocket.rawIpv4Receiver(Libc.IPPROTO_IPIP, SOCKET_BUFFER);
        undo.push(receiver);
        NativeSocket raw = NativeSocket.rawIpv4(SOCKET_BUFFER);
        undo.push(raw);
        NativeSocket[] senders = vxlan && offload && Boolean.parseBoolean(System.getProperty(UDP_OFFLOAD_PROPERTY, "true"))
            ? udpSenders(settings.publicIp()) : new NativeSocket[0];
        for (NativeSocket sender : senders) {
            undo.push(sender);
        }
        boolean udpGro = senders.length > 0 && enableGro(receiver);
        udpOffload = senders.length > 0;

        ByteBufAllocator alloc = PooledByteBufAllocator.DEFAULT;
        NativeSocket icmp = NativeSocket.rawIpv4Receiver(Libc.IPPROTO_ICMP, 1 << 20);
        undo.push(icmp);
        // These hold buffers; closed from the undo stack, so after the event loop has stopped
        // (or right away when a later step of start fails).
        TunReplyWriter replies = new TunReplyWriter(tun, alloc);
        undo.push(replies);
        IcmpListener icmpListener = new IcmpListener(icmp, pathMtu, counters, settings.publicIp(),
            vxlan ? Ipv4.PROTO_UDP : Ipv4.PROTO_IPIP, settings.port(), alloc);
        undo.push(icmpListener);
        NativeSocket links = settings.underlayIndex() == 0 ? null : NativeSocket.netlinkEvents(NativeSocket.RTMGRP_LINK);
        UnderlayLinkWatcher linkWatcher = null;
        if (links != null) {
            undo.push(links);
            linkWatcher = new UnderlayLinkWatcher(links, settings.underlayIndex(), settings.underlayMtu(),
                this::underlayMtuChanged, alloc);
            undo.push(linkWatcher);
        }
        MtuGuard guard = new MtuGuard(pathMtu, settings.encapsulation().bytes(4), settings.mssClamp(), replies,
            counters);

        OutboundPath outbound;
        InboundPath inbound;
        if (vxlan) {
            VxlanEncapsulator encapsulator = new VxlanEncapsulator(settings.publicIp(), settings.vtepMac(),
                settings.vni(), settings.port());
            outbound = OutboundPath.vxlan(encapsulator, counters, guard);
            inbound = new VxlanInboundPath(tables, settings.sourceCheck(), this::mtu, new VxlanDecoder(settings.vni(), settings.vtepMac()), encapsulator,
                settings.nodeSubnet().address(), settings.vtepMac(), counters);
        } else {
            outbound = OutboundPath.ipip(new IpipEncapsulator(settings.publicIp()), counters, guard);
            inbound = new IpipInboundPath(tables, settings.sourceCheck(), this::mtu, counters);
        }

        capture = new Capture(new CaptureContext(settings.encapsulation(), settings.publicIp(), settings.port(),
            settings.vni(), name, this::peerOf));
        probes = new DataplaneProbes(capture);
        ThreadProbe probe = probes.newThread();
        group = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("muslin-dataplane", true),
            EpollIoHandler.newFactory());
        IoEventLoop loop = (IoEventLoop) group.next();
        this.loop = loop;
        NativeSocket[] sendSockets = udpOffload ? senders : new NativeSocket[] {raw};
        TunDriver tunReader;
        if (!offload) {
            tunReader = new TunReader(tun, raw, outbound, tables, counters, probe, settings.mtu(), alloc);
        } else {
            UnderlaySender sender = udpOffload ? new GsoSender(senders, settings.port(), counters)
                : new RawSegmentSender(raw, counters, OffloadTunReader.SLOTS);
            tunReader = new OffloadTunReader(tun, sender, outbound, tables, counters, probe, alloc);
        }
        UnderlayReader underlayReader = new UnderlayReader(receiver, raw, tun, inbound, guard, counters, probe, udpGro,
            this::mtu, alloc);
        undo.push(() -> group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly());
        undo.push(() -> loop.submit(() -> {
            try {
                tunReader.close();
            } finally {
                underlayReader.close();
            }
        }).syncUninterruptibly());

        FdHandle tunHandle = FdHandle.register(loop, tun.fd(), tunReader);
        FdHandle[] sendHandles = new FdHandle[sendSockets.length];
        for (int i = 0; i < sendSockets.length; i++) {
            FdHandle h = FdHandle.register(loop, sendSockets[i].fd(), tunReader);
            loop.submit(() -> h.setInterest(false, false)).sync();
            sendHandles[i] = h;
        }
        FdHandle udpHandle = FdHandle.register(loop, receiver.fd(), underlayReader);
        FdHandle icmpHandle = FdHandle.register(loop, icmp.fd(), icmpListener);
        FdHandle linkHandle = linkWatcher == null ? null : FdHandle.register(loop, links.fd(), linkWatcher);
        tunReader.attach(tunHandle, sendHandles);
        undo.push(() -> loop.submit(() -> {
            tunHandle.cancel();
            for (FdHandle h : sendHandles) {
                h.cancel();
            }
            udpHandle.cancel();
            icmpHandle.cancel();
            if (linkHandle != null) {
                linkHandle.cancel();
            }
        }).syncUninterruptibly());
    }

    /**
     * The UDP sockets GSO sends go out on, bound to our underlay address; none when the kernel
     * lacks UDP segmentation offload or the address is not local (then segments go out one by
     * one on the raw socket).
     */
    private static NativeSocket[] udpSenders(int publicIp) {
        NativeSocket[] sockets = new NativeSocket[UDP_SENDERS + 1];
        try {
            for (int i = 0; i < sockets.length; i++) {
                // The last one sends without DF, for inner packets without DF (GsoSender).
                sockets[i] = NativeSocket.udpSender(publicIp, SOCKET_BUFFER, i < UDP_SENDERS);
            }
            return sockets;
        } catch (LinuxException e) {
            for (NativeSocket s : sockets) {
                if (s != null) {
                    s.close();
                }
            }
            return new NativeSocket[0];
        }
    }

    /** Turns on UDP GRO on the receive socket; false when the kernel has none. */
    private static boolean enableGro(NativeSocket udp) {
        try {
            udp.enableGro();
            return true;
        } catch (LinuxException e) {
            return false;
        }
    }

    /** Opens the device with offloads when asked and the kernel agrees, else plain. */
    private static TunDevice createTun(String name, boolean offload) throws LinuxException {
        if (offload) {
            try {
                return TunDevice.create(name, true);
            } catch (LinuxException e) {
                if (e.errno() != Libc.EINVAL) {
                    throw e;
                }
                // A kernel without IFF_VNET_HDR offloads: the failed device is gone with its fd.
            }
        }
        return TunDevice.create(name, false);
    }

    /** True when the device runs with TUN offloads (TSO reads, coalesced writes). */
    public boolean offload() {
        return offload;
    }

    /** True when segments leave by UDP GSO (and the receive socket asked for UDP GRO). */
    public boolean udpOffload() {
        return udpOffload;
    }

    public DataplaneSettings settings() {
        return settings;
    }

    public Tables tables() {
        return tables;
    }

    public Counters counters() {
        return counters;
    }

    /** Packet capture at the dataplane's capture points ({@code muslin capture}). */
    public Capture capture() {
        return capture;
    }

    /** Stage latency and per-peer traffic, for metrics. */
    public DataplaneProbes probes() {
        return probes;
    }

    /**
     * True when the event loop runs a task within {@code timeoutMillis}: the dataplane thread is
     * alive and not stuck (for {@code /healthz}). Any thread but the loop's.
     */
    public boolean responsive(long timeoutMillis) {
        IoEventLoop l = loop;
        if (l == null || closed.get() || l.isShuttingDown()) {
            return false;
        }
        try {
            return l.submit(() -> { }).await(timeoutMillis, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        } catch (java.util.concurrent.RejectedExecutionException e) {
            return false;
        }
    }

    /** The underlay address the packet path would send a packet for {@code innerDestination} to, or 0. */
    private int peerOf(int innerDestination) {
        Tables.Snapshot t = tables.snapshot();
        NextHop via = t.lookupNextHop(innerDestination);
        if (via == null || via.direct()) {
            return 0;
        }
        if (settings.encapsulation() != Encapsulation.VXLAN) {
            return via.address();
        }
        long mac = t.lookupArp(via.address());
        FdbEntry vtep = mac == MacAddress.NONE ? null : t.lookupFdb(mac);
        return vtep == null ? 0 : vtep.underlay();
    }

    /** Each peer's learned path MTU, and the underlay link's MTU. */
    public PathMtu pathMtu() {
        return pathMtu;
    }

    /** The TUN device's MTU now (it follows the underlay's when the MTU is automatic). */
    public int mtu() {
        return mtu;
    }

    /**
     * Called, on the event loop, with the new TUN MTU whenever the underlay device's MTU
     * changes it (automatic MTU only); e.g. to rewrite subnet.env.
     */
    public void onMtuChange(IntConsumer listener) {
        this.mtuListener = listener;
    }

    /**
     * The underlay device's MTU changed (event loop): it caps every peer's path MTU, and with an
     * automatic MTU the TUN device's MTU follows (not below the IPv4 minimum of 576).
     */
    private void underlayMtuChanged(int underlayMtu) {
        pathMtu.linkMtu(underlayMtu);
        counters.inc(Counter.UNDERLAY_MTU_CHANGES);
        int tunnel = underlayMtu - settings.encapsulation().bytes(4);
        if (!settings.autoMtu() || tunnel < MIN_TUNNEL_MTU || tunnel == mtu) {
            return;
        }
        try {
            Interfaces.setMtu(settings.interfaceName(), tunnel);
        } catch (LinuxException e) {
            counters.inc(Counter.TUN_MTU_UPDATE_FAILED); // the TUN keeps its MTU; path MTU still caps every peer
            return;
        }
        mtu = tunnel;
        mtuListener.accept(tunnel);
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
        if (capture != null) {
            capture.stopAll();
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
