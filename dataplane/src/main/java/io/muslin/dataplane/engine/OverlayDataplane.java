package io.muslin.dataplane.engine;

import io.muslin.dataplane.Encapsulation;
import io.muslin.dataplane.capture.Capture;
import io.muslin.dataplane.capture.CaptureContext;
import io.muslin.dataplane.observe.DataplaneProbes;
import io.muslin.dataplane.observe.ThreadProbe;
import io.muslin.dataplane.ipip.IpipEncapsulator;
import io.muslin.dataplane.packet.Ipv4;
import io.muslin.dataplane.packet.Ipv4Prefix;
import io.muslin.dataplane.packet.Ipv6Address;
import io.muslin.dataplane.packet.Ipv6Prefix;
import io.muslin.dataplane.packet.MacAddress;
import io.muslin.dataplane.path.Counter;
import io.muslin.dataplane.path.Counters;
import io.muslin.dataplane.path.MtuGuard;
import io.muslin.dataplane.path.PathMtu;
import io.muslin.dataplane.path.InboundPath;
import io.muslin.dataplane.path.IpipInboundPath;
import io.muslin.dataplane.path.VxlanInboundPath;
import io.muslin.dataplane.path.OutboundPath;
import io.muslin.dataplane.table.Family;
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
import io.netty.util.concurrent.EventExecutor;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.IntConsumer;

/**
 * One node's overlay dataplane, VXLAN or IP-in-IP: the TUN device, the underlay sockets and
 * the event loop that moves packets between them. {@link #start} installs everything;
 * {@link #close} removes it.
 *
 * <p>Threads: {@link DataplaneSettings#threads()} Netty epoll event loops ({@code muslin-dataplane-1-N}),
 * one per core by default. Each owns one queue of the TUN device ({@code IFF_MULTI_QUEUE} when
 * there are several), its own receive socket (VXLAN: UDP port 8472, shared by the threads with
 * {@code SO_REUSEPORT}; IP-in-IP: a raw socket for IP protocol 4, on the first thread only,
 * since every raw socket gets a copy of every packet), its raw and GSO send sockets, buffers,
 * batches, paths and counters: a packet is read, handled and sent by one thread, with no
 * hand-off and no lock. The kernel keeps a flow on one thread each way: the TUN device picks a
 * flow's queue by its symmetric hash (and then the queue that last wrote one of its packets),
 * {@code SO_REUSEPORT} a datagram's socket by its addresses and ports, and a flow's outer source
 * port does not depend on the thread that sends it (socket {@code k} of every thread has the same
 * port). The first thread also runs the ICMP listener and the link watcher, whose news reaches
 * the other threads as tasks on their loops. Tables are written by the control plane through
 * {@link #tables()} and read by every loop as immutable snapshots; {@link #counters()} adds up
 * the threads' counters when read.
 *
 * <p>Dual stack ({@link DataplaneSettings#ipv6()}, VXLAN only), as flannel runs {@code flannel.1}
 * beside {@code flannel-v6.1}: the device also gets the IPv6 subnet's network address /128 and a
 * route for the IPv6 network; each thread also has a UDP socket on {@code [::]:8472} (an
 * {@link UnderlayReader} with the IPv6 underlay's inbound path, writing into the same TUN queue),
 * a raw IPv6 socket (ARP replies; frames on the plain path) and, with TUN offloads, UDP GSO
 * sockets on PublicIPv6 (the kernel computes each datagram's UDP checksum, which IPv6 needs);
 * its outbound path has an IPv6 lane (VXLAN over IPv6, 70 bytes, its own {@link PathMtu} and
 * {@link MtuGuard}) beside the IPv4 one, and its TUN driver a {@link FamilySenders}; the first
 * thread also runs an {@link Icmp6Listener} (Packet Too Big from IPv6 routers). Not yet for
 * IPv6: the IPv6 underlay device's MTU changes, per-peer probes and capture comments (they name
 * IPv4 peers).
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
    private final Tables tables;
    /** The sum of every thread's counters (set at the start of {@link #install}). */
    private Counters counters = new Counters();
    private Capture capture;
    private DataplaneProbes probes;
    /** The threads' event loops, in the order of their TUN queues. */
    private IoEventLoop[] loops = new IoEventLoop[0];
    /** One per thread, each written only by its thread's loop; all told the same ICMP news. */
    private PathMtu[] pathMtus;
    /** The IPv6 underlay's, one per thread (empty without IPv6). */
    private PathMtu[] pathMtus6 = new PathMtu[0];
    private volatile int mtu;
    private volatile IntConsumer mtuListener = m -> { };
    private final Deque<AutoCloseable> undo = new ArrayDeque<>();
    private final AtomicBoolean closed = new AtomicBoolean();
    private MultiThreadIoEventLoopGroup group;
    private boolean offload;
    private boolean udpOffload;

    private OverlayDataplane(DataplaneSettings settings, Tables tables) {
        this.settings = settings;
        this.tables = tables;
    }

    /**
     * Creates the device (address, MTU, up, route for the network) and starts forwarding.
     * On failure everything already installed is removed again before the exception leaves.
     */
    public static OverlayDataplane start(DataplaneSettings settings) throws IOException {
        return start(settings, new Tables());
    }

    /**
     * {@link #start(DataplaneSettings)} on tables that outlive this dataplane (the node's, kept
     * across a restart with new settings): their peers forward as soon as the device is up.
     */
    public static OverlayDataplane start(DataplaneSettings settings, Tables tables) throws IOException {
        OverlayDataplane dp = new OverlayDataplane(settings, tables);
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
        int threads = settings.threads();
        List<Counters> parts = new ArrayList<>();
        for (int i = 0; i < threads; i++) {
            parts.add(new Counters());
        }
        counters = Counters.sumOf(parts);
        TunDevice tun = createTun(name, Boolean.parseBoolean(System.getProperty(OFFLOAD_PROPERTY, "true")), threads > 1);
        offload = tun.offload();
        undo.push(tun); // closing the device removes it and every route through it
        TunDevice[] queues = new TunDevice[threads];
        queues[0] = tun;
        for (int i = 1; i < threads; i++) {
            queues[i] = tun.openQueue();
            undo.push(queues[i]);
        }
        int ifindex = tun.index();
        Interfaces.setMtu(name, settings.mtu());
        Interfaces.setTxQueueLength(name, TUN_TX_QUEUE);
        Ipv4Prefix network = settings.network();
        DataplaneSettings.Ipv6 v6 = settings.ipv6();
        try (RouteNetlink netlink = new RouteNetlink()) {
            netlink.addAddress(ifindex, settings.nodeSubnet().address(), 32);
            if (v6 != null) {
                netlink.addAddress6(ifindex, v6.nodeSubnet().hi(), v6.nodeSubnet().lo(), 128);
            }
            Interfaces.setUp(name, true);
            netlink.addRoute(network.address(), network.length(), ifindex, 0, false);
            if (v6 != null) {
                netlink.addRoute6(v6.network().hi(), v6.network().lo(), v6.network().length(), ifindex);
            }
        }
        undo.push(() -> {
            try (RouteNetlink netlink = new RouteNetlink()) {
                netlink.deleteRoute(network.address(), network.length(), ifindex, 0);
                if (v6 != null) {
                    netlink.deleteRoute6(v6.network().hi(), v6.network().lo(), v6.network().length(), ifindex);
                }
            }
        });

        boolean vxlan = settings.encapsulation() == Encapsulation.VXLAN;
        mtu = settings.mtu();
        // VXLAN receives UDP datagrams on its port, one socket per thread sharing it (SO_REUSEPORT);
        // IP-in-IP every protocol-4 packet, outer header included, on one raw socket (each raw
        // socket gets a copy of every packet, so a second one would deliver everything twice).
        NativeSocket[] receivers = new NativeSocket[vxlan ? threads : 1];
        if (vxlan && threads > 1) {
            refuseSharedPort(settings.port());
        }
        for (int i = 0; i < receivers.length; i++) {
            receivers[i] = vxlan ? NativeSocket.udp(0, settings.port(), SOCKET_BUFFER, threads > 1)
                : NativeSocket.rawIpv4Receiver(Libc.IPPROTO_IPIP, SOCKET_BUFFER);
            undo.push(receivers[i]);
        }
        NativeSocket[][] senders = vxlan && offload && Boolean.parseBoolean(System.getProperty(UDP_OFFLOAD_PROPERTY, "true"))
            ? udpSenders(settings.publicIp(), threads) : null;
        if (senders != null) {
            for (NativeSocket[] set : senders) {
                for (NativeSocket sender : set) {
                    undo.push(sender);
                }
            }
        }
        udpOffload = senders != null;
        boolean udpGro = udpOffload;
        for (NativeSocket r : receivers) {
            udpGro = udpGro && enableGro(r);
        }
        Ipv6Underlay ipv6 = v6 == null ? null : openIpv6(v6, threads);

        ByteBufAllocator alloc = PooledByteBufAllocator.DEFAULT;
        NativeSocket icmp = NativeSocket.rawIpv4Receiver(Libc.IPPROTO_ICMP, 1 << 20);
        undo.push(icmp);
        NativeSocket links = settings.underlayIndex() == 0 ? null : NativeSocket.netlinkEvents(NativeSocket.RTMGRP_LINK);
        if (links != null) {
            undo.push(links);
        }

        group = new MultiThreadIoEventLoopGroup(threads, new DefaultThreadFactory("muslin-dataplane", true),
            EpollIoHandler.newFactory(0, IdleStrategy.factory(settings.idleSpinMicros() * 1000L,
                DataplaneSettings.MAX_SPIN_SHARE)));
        IoEventLoop[] loops = new IoEventLoop[threads];
        int n = 0;
        for (EventExecutor e : group) {
            loops[n++] = (IoEventLoop) e;
        }
        undo.push(() -> group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly());
        this.loops = loops;
        // One capture tap and one probe per thread (DataplaneProbes.newThread in startWorker).
        capture = new Capture(new CaptureContext(settings.encapsulation(), settings.publicIp(), settings.port(),
            settings.vni(), name, this::peerOf));
        probes = new DataplaneProbes(capture);

        pathMtus = new PathMtu[threads];
        for (int i = 0; i < threads; i++) {
            pathMtus[i] = new PathMtu(settings.underlayMtu(), PathMtu.DEFAULT_EXPIRY_NANOS);
        }
        pathMtus6 = new PathMtu[v6 == null ? 0 : threads];
        for (int i = 0; i < pathMtus6.length; i++) {
            pathMtus6[i] = new PathMtu(Family.IPV6, v6.underlayMtu(), PathMtu.DEFAULT_EXPIRY_NANOS);
        }
        for (int i = 0; i < threads; i++) {
            startWorker(loops[i], queues[i], i < receivers.length ? receivers[i] : null, senders == null ? null : senders[i],
                udpGro, pathMtus[i], ipv6 == null ? null : ipv6.worker(i, pathMtus6[i]), parts.get(i), alloc);
        }

        // The ICMP listener and the link watcher run on the first thread; what they learn
        // reaches the other threads' path-MTU tables as tasks on their loops.
        IcmpListener icmpListener = new IcmpListener(icmp, (peer, m, now) -> learnPathMtu(loops, peer, m, now),
            parts.get(0), settings.publicIp(), vxlan ? Ipv4.PROTO_UDP : Ipv4.PROTO_IPIP, settings.port(), alloc);
        UnderlayLinkWatcher linkWatcher = links == null ? null : new UnderlayLinkWatcher(links, settings.underlayIndex(),
            settings.underlayMtu(), this::underlayMtuChanged, alloc);
        undo.push(() -> loops[0].submit(() -> {
            try {
                icmpListener.close();
            } finally {
                if (linkWatcher != null) {
                    linkWatcher.close();
                }
            }
        }).syncUninterruptibly());
        if (ipv6 != null) {
            listenIcmp6(ipv6, loops, parts.get(0), alloc);
        }
        FdHandle icmpHandle = FdHandle.register(loops[0], icmp.fd(), icmpListener);
        FdHandle linkHandle = linkWatcher == null ? null : FdHandle.register(loops[0], links.fd(), linkWatcher);
        undo.push(() -> loops[0].submit(() -> {
            icmpHandle.cancel();
            if (linkHandle != null) {
                linkHandle.cancel();
            }
        }).syncUninterruptibly());
    }

    /**
     * The IPv6 underlay's sockets, per thread: the VXLAN receive socket on {@code [::]:port}, a
     * raw IPv6 socket, and with TUN offloads the UDP GSO senders on PublicIPv6 (socket {@code k}
     * of every thread on the same port, as over IPv4).
     */
    private record Ipv6Underlay(DataplaneSettings.Ipv6 settings, NativeSocket[] receivers, NativeSocket[] raws,
                                NativeSocket[][] senders, boolean udpGro, NativeSocket icmp6) {
        Ipv6Worker worker(int thread, PathMtu pathMtu) {
            return new Ipv6Worker(settings, receivers[thread], raws[thread], senders == null ? null : senders[thread],
                udpGro, pathMtu);
        }
    }

    /** One thread's share of {@link Ipv6Underlay}, with its IPv6 path-MTU table. */
    private record Ipv6Worker(DataplaneSettings.Ipv6 settings, NativeSocket receiver, NativeSocket raw,
                              NativeSocket[] senders, boolean udpGro, PathMtu pathMtu) {
    }

    /**
     * Opens the IPv6 underlay's sockets of every thread (each pushed on the undo stack). With TUN
     * offloads the IPv6 lane sends by UDP GSO only: a segment over IPv6 needs its own UDP
     * checksum, which the kernel computes for UDP sockets and not for raw ones.
     */
    private Ipv6Underlay openIpv6(DataplaneSettings.Ipv6 v6, int threads) throws LinuxException {
        boolean shared = threads > 1;
        if (shared) {
            NativeSocket.udp6(settings.port(), 0, false).close(); // as refuseSharedPort, for [::]
        }
        NativeSocket[] receivers = new NativeSocket[threads];
        NativeSocket[] raws = new NativeSocket[threads];
        boolean udpGro = offload;
        for (int i = 0; i < threads; i++) {
            receivers[i] = NativeSocket.udp6(settings.port(), SOCKET_BUFFER, shared);
            undo.push(receivers[i]);
            udpGro = udpGro && enableGro(receivers[i]);
            raws[i] = NativeSocket.rawIpv6(SOCKET_BUFFER);
            undo.push(raws[i]);
        }
        NativeSocket[][] senders = null;
        if (offload) {
            Ipv6Address us = v6.publicIp();
            senders = new NativeSocket[threads][UDP_SENDERS + 1];
            for (int k = 0; k < UDP_SENDERS + 1; k++) {
                senders[0][k] = NativeSocket.udp6Sender(us.hi(), us.lo(), 0, SOCKET_BUFFER, shared);
                undo.push(senders[0][k]);
                int port = shared ? senders[0][k].localPort() : 0;
                for (int t = 1; t < threads; t++) {
                    senders[t][k] = NativeSocket.udp6Sender(us.hi(), us.lo(), port, SOCKET_BUFFER, true);
                    undo.push(senders[t][k]);
                }
            }
        }
        NativeSocket icmp6 = NativeSocket.rawIcmp6Receiver(1 << 20);
        undo.push(icmp6);
        return new Ipv6Underlay(v6, receivers, raws, senders, udpGro, icmp6);
    }

    /**
     * One dataplane thread: its TUN queue, receive socket (none for IP-in-IP past the first
     * thread), raw and GSO send sockets, buffers, paths and counters, all used only on
     * {@code loop}; with {@code ipv6}, the IPv6 underlay's as well. Nothing here is shared with
     * another thread but the tables (immutable snapshots) and the settings.
     */
    private void startWorker(IoEventLoop loop, TunDevice queue, NativeSocket receiver, NativeSocket[] senders,
                             boolean udpGro, PathMtu pathMtu, Ipv6Worker ipv6, Counters counters, ByteBufAllocator alloc)
        throws IOException, InterruptedException {
        boolean vxlan = settings.encapsulation() == Encapsulation.VXLAN;
        NativeSocket raw = NativeSocket.rawIpv4(SOCKET_BUFFER);
        undo.push(raw);
        // These hold buffers; closed from the undo stack, so after the event loop has stopped
        // (or right away when a later step of start fails).
        TunReplyWriter replies = new TunReplyWriter(queue, alloc);
        undo.push(replies);
        MtuGuard guard = new MtuGuard(pathMtu, settings.encapsulation().bytes(4), settings.mssClamp(), replies,
            counters);

        OutboundPath.Lane lane;
        InboundPath inbound;
        if (vxlan) {
            VxlanEncapsulator encapsulator = new VxlanEncapsulator(settings.publicIp(), settings.vtepMac(),
                settings.vni(), settings.port());
            lane = OutboundPath.Lane.vxlan(encapsulator, guard);
            inbound = new VxlanInboundPath(tables, settings.sourceCheck(), this::mtu, new VxlanDecoder(settings.vni(), settings.vtepMac()), encapsulator,
                settings.nodeSubnet().address(), settings.vtepMac(), counters);
        } else {
            lane = OutboundPath.Lane.ipip(new IpipEncapsulator(settings.publicIp()), guard);
            inbound = new IpipInboundPath(tables, settings.sourceCheck(), this::mtu, counters);
        }
        // The IPv6 underlay (dual stack): its lane, inbound path and guard, as flannel-v6.1 beside flannel.1.
        OutboundPath.Lane lane6 = null;
        InboundPath inbound6 = null;
        MtuGuard guard6 = null;
        if (ipv6 != null) {
            DataplaneSettings.Ipv6 v6 = ipv6.settings();
            guard6 = new MtuGuard(ipv6.pathMtu(), Encapsulation.VXLAN.bytes(6), settings.mssClamp(), replies, counters);
            // With TUN offloads the lane's frames leave on UDP sockets, whose kernel computes the
            // outer checksum; ARP replies (raw socket) need ours.
            VxlanEncapsulator replies6 = new VxlanEncapsulator(Family.IPV6, v6.publicIp().hi(), v6.publicIp().lo(),
                v6.vtepMac(), settings.vni(), settings.port());
            VxlanEncapsulator encapsulator6 = new VxlanEncapsulator(Family.IPV6, v6.publicIp().hi(), v6.publicIp().lo(),
                v6.vtepMac(), settings.vni(), settings.port(), !offload);
            lane6 = OutboundPath.Lane.vxlan(encapsulator6, guard6);
            inbound6 = new VxlanInboundPath(tables, settings.sourceCheck(), this::mtu,
                new VxlanDecoder(settings.vni(), v6.vtepMac()), replies6, settings.nodeSubnet().address(),
                v6.vtepMac(), counters);
        }
        OutboundPath outbound = new OutboundPath(lane, lane6, counters);

        ThreadProbe probe = probes.newThread();
        UnderlaySender sender;
        if (!offload) {
            sender = new RawSegmentSender(raw, counters, TunReader.BATCH);
        } else {
            sender = senders != null ? new GsoSender(Family.IPV4, senders, settings.port(), counters)
                : new RawSegmentSender(raw, counters, OffloadTunReader.SLOTS);
        }
        List<NativeSocket> sendSockets = new ArrayList<>(senders != null && offload ? List.of(senders) : List.of(raw));
        if (ipv6 != null) {
            UnderlaySender sender6 = offload ? new GsoSender(Family.IPV6, ipv6.senders(), settings.port(), counters)
                : new RawSegmentSender(ipv6.raw(), counters, TunReader.BATCH);
            sender = new FamilySenders(sender, sender6);
            sendSockets.addAll(offload ? List.of(ipv6.senders()) : List.of(ipv6.raw()));
        }
        TunDriver tunReader = offload ? new OffloadTunReader(queue, sender, outbound, tables, counters, probe, alloc)
            : new TunReader(queue, sender, outbound, tables, counters, probe, settings.mtu(), alloc);
        List<UnderlayReader> underlayReaders = new ArrayList<>();
        List<NativeSocket> receiveSockets = new ArrayList<>();
        if (receiver != null) {
            underlayReaders.add(new UnderlayReader(Family.IPV4, receiver, raw, queue, inbound, guard, counters, probe,
                udpGro, this::mtu, alloc));
            receiveSockets.add(receiver);
        }
        if (ipv6 != null) {
            underlayReaders.add(new UnderlayReader(Family.IPV6, ipv6.receiver(), ipv6.raw(), queue, inbound6, guard6,
                counters, probe, ipv6.udpGro(), this::mtu, alloc));
            receiveSockets.add(ipv6.receiver());
        }
        undo.push(() -> loop.submit(() -> {
            try {
                tunReader.close();
            } finally {
                for (UnderlayReader r : underlayReaders) {
                    r.close();
                }
            }
        }).syncUninterruptibly());

        FdHandle tunHandle = FdHandle.register(loop, queue.fd(), tunReader);
        FdHandle[] sendHandles = new FdHandle[sendSockets.size()];
        for (int i = 0; i < sendHandles.length; i++) {
            FdHandle h = FdHandle.register(loop, sendSockets.get(i).fd(), tunReader);
            loop.submit(() -> h.setInterest(false, false)).sync();
            sendHandles[i] = h;
        }
        FdHandle[] receiveHandles = new FdHandle[underlayReaders.size()];
        for (int i = 0; i < receiveHandles.length; i++) {
            receiveHandles[i] = FdHandle.register(loop, receiveSockets.get(i).fd(), underlayReaders.get(i));
        }
        tunReader.attach(tunHandle, sendHandles);
        undo.push(() -> loop.submit(() -> {
            tunHandle.cancel();
            for (FdHandle h : sendHandles) {
                h.cancel();
            }
            for (FdHandle h : receiveHandles) {
                h.cancel();
            }
        }).syncUninterruptibly());
    }

    /**
     * On the first thread's loop, for the ICMP listener: learns into that thread's path-MTU table
     * and, when it changed, hands the same estimate to every other thread's table on its loop.
     */
    private boolean learnPathMtu(IoEventLoop[] loops, int peer, int m, long now) {
        if (!pathMtus[0].learn(peer, m, now)) {
            return false;
        }
        for (int i = 1; i < loops.length; i++) {
            PathMtu copy = pathMtus[i];
            loops[i].execute(() -> copy.learn(peer, m, now));
        }
        return true;
    }

    /**
     * The IPv6 underlay's Packet Too Big listener, on the first thread like the IPv4 one: what it
     * learns reaches every thread's IPv6 path-MTU table.
     */
    private void listenIcmp6(Ipv6Underlay ipv6, IoEventLoop[] loops, Counters first, ByteBufAllocator alloc)
        throws InterruptedException {
        Ipv6Address us = ipv6.settings().publicIp();
        Icmp6Listener listener = new Icmp6Listener(ipv6.icmp6(), (hi, lo, m, now) -> learnPathMtu6(loops, hi, lo, m, now),
            first, us.hi(), us.lo(), settings.port(), alloc);
        undo.push(() -> loops[0].submit(listener::close).syncUninterruptibly());
        FdHandle handle = FdHandle.register(loops[0], ipv6.icmp6().fd(), listener);
        undo.push(() -> loops[0].submit(handle::cancel).syncUninterruptibly());
    }

    /** {@link #learnPathMtu} for an IPv6 peer, into the IPv6 tables. */
    private boolean learnPathMtu6(IoEventLoop[] loops, long hi, long lo, int m, long now) {
        if (!pathMtus6[0].learn(hi, lo, m, now)) {
            return false;
        }
        for (int i = 1; i < loops.length; i++) {
            PathMtu copy = pathMtus6[i];
            loops[i].execute(() -> copy.learn(hi, lo, m, now));
        }
        return true;
    }

    /**
     * Fails when another socket holds {@code port} (before this dataplane's sockets share it with
     * {@code SO_REUSEPORT}, which would otherwise join another process's sockets that set it too
     * and take part of its traffic): a plain bind must succeed first.
     */
    private static void refuseSharedPort(int port) throws LinuxException {
        NativeSocket.udp(0, port, 0).close();
    }

    /**
     * The UDP sockets GSO sends go out on, per thread, bound to our underlay address; null when
     * the kernel lacks UDP segmentation offload or the address is not local (then segments go
     * out one by one on the raw socket). Socket {@code k} of every thread is bound to the same
     * port ({@code SO_REUSEPORT}), so a flow keeps its outer source port on whichever thread.
     */
    private static NativeSocket[][] udpSenders(int publicIp, int threads) {
        NativeSocket[][] sockets = new NativeSocket[threads][UDP_SENDERS + 1];
        boolean shared = threads > 1;
        try {
            for (int k = 0; k < UDP_SENDERS + 1; k++) {
                // The last one sends without DF, for inner packets without DF (GsoSender).
                boolean df = k < UDP_SENDERS;
                sockets[0][k] = NativeSocket.udpSender(publicIp, 0, SOCKET_BUFFER, df, shared);
                int port = shared ? sockets[0][k].localPort() : 0;
                for (int t = 1; t < threads; t++) {
                    sockets[t][k] = NativeSocket.udpSender(publicIp, port, SOCKET_BUFFER, df, true);
                }
            }
            return sockets;
        } catch (LinuxException e) {
            for (NativeSocket[] set : sockets) {
                for (NativeSocket s : set) {
                    if (s != null) {
                        s.close();
                    }
                }
            }
            return null;
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
    private static TunDevice createTun(String name, boolean offload, boolean multiQueue) throws LinuxException {
        if (offload) {
            try {
                return TunDevice.create(name, true, multiQueue);
            } catch (LinuxException e) {
                if (e.errno() != Libc.EINVAL) {
                    throw e;
                }
                // A kernel without IFF_VNET_HDR offloads: the failed device is gone with its fd.
            }
        }
        return TunDevice.create(name, false, multiQueue);
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
     * True when every event loop runs a task within {@code timeoutMillis}: each dataplane thread
     * is alive and not stuck (for {@code /healthz}). Any thread but the loops'.
     */
    public boolean responsive(long timeoutMillis) {
        IoEventLoop[] ls = loops;
        if (ls.length == 0 || closed.get()) {
            return false;
        }
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        try {
            for (IoEventLoop l : ls) {
                long left = deadline - System.nanoTime();
                if (l.isShuttingDown() || !l.submit(() -> { }).await(Math.max(0, left), TimeUnit.NANOSECONDS)) {
                    return false;
                }
            }
            return true;
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

    /** Each peer's learned path MTU, and the underlay link's MTU (the first thread's table; every thread's learns the same). */
    public PathMtu pathMtu() {
        return pathMtus[0];
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
        for (PathMtu p : pathMtus) {
            p.linkMtu(underlayMtu);
        }
        Counters first = counters.parts().get(0); // this runs on the first thread's loop
        first.inc(Counter.UNDERLAY_MTU_CHANGES);
        int tunnel = underlayMtu - settings.encapsulation().bytes(4);
        if (!settings.autoMtu() || tunnel < MIN_TUNNEL_MTU || tunnel == mtu) {
            return;
        }
        try {
            Interfaces.setMtu(settings.interfaceName(), tunnel);
        } catch (LinuxException e) {
            first.inc(Counter.TUN_MTU_UPDATE_FAILED); // the TUN keeps its MTU; path MTU still caps every peer
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
