package io.muslin.control.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.muslin.control.lease.Lease;
import io.muslin.dataplane.packet.Ipv4Address;
import io.muslin.dataplane.packet.Ipv4Prefix;
import io.muslin.dataplane.packet.MacAddress;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.socket.DatagramPacket;
import io.netty.util.Version;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * jetcd (gRPC on Netty, Vert.x on Netty) and muslin's Netty 4.2 epoll transport in one class
 * path, as they will be in the node's shaded jar: one Netty version throughout, an epoll
 * datagram channel working while the etcd client works, and no thread left after both close.
 */
class EtcdBesideNettyEpollTest {
    @RegisterExtension
    static final EtcdServer ETCD = new EtcdServer();

    /** Threads the etcd client and the store start; all must be gone after close. */
    private static final Pattern CLIENT_THREADS = Pattern.compile("jetcd-.*|vert\\.x-.*|grpc-.*|muslin-etcd-.*");
    private static final Duration BOUND = Duration.ofSeconds(60);

    @Test
    void oneNettyVersionOnTheClassPath() {
        Map<String, Version> versions = Version.identify();
        Set<String> distinct = new TreeSet<>();
        versions.values().forEach(v -> distinct.add(v.artifactVersion()));
        assertEquals(1, distinct.size(), "Netty artifacts of several versions: " + versions);
        assertTrue(distinct.iterator().next().startsWith("4.2."), distinct.toString());
        assertTrue(versions.containsKey("netty-codec-http2"), "gRPC's HTTP/2 codec comes from the same Netty: " + versions.keySet());
    }

    @Test
    void epollLoopAndEtcdClientWorkTogetherAndLeaveNoThreads() throws Exception {
        assertTrue(Epoll.isAvailable(), () -> "epoll: " + Epoll.unavailabilityCause());
        MultiThreadIoEventLoopGroup group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
        LinkedBlockingQueue<String> received = new LinkedBlockingQueue<>();
        try {
            Channel udp = new Bootstrap().group(group).channel(EpollDatagramChannel.class)
                .handler(new SimpleChannelInboundHandler<DatagramPacket>() {
                    @Override
                    protected void channelRead0(ChannelHandlerContext ctx, DatagramPacket packet) {
                        received.add(packet.content().toString(StandardCharsets.US_ASCII));
                    }
                })
                .bind(new InetSocketAddress("127.0.0.1", 0)).sync().channel();
            InetSocketAddress self = (InetSocketAddress) udp.localAddress();

            try (EtcdLeaseStore store = EtcdLeaseStore.open(ETCD.config("/muslin-test/beside-netty"))) {
                RecordingListener events = new RecordingListener();
                LeaseStore.Watch watch = store.watch(store.list().revision() + 1, events);
                Lease lease = Lease.vxlan(Ipv4Prefix.parse("10.244.1.0/24"), Ipv4Address.parse("192.168.50.1"), 1,
                    MacAddress.parse("6e:75:73:00:00:01"));
                assertTrue(store.acquire(lease, Duration.ofMinutes(1)));
                udp.writeAndFlush(new DatagramPacket(Unpooled.copiedBuffer("over epoll", StandardCharsets.US_ASCII), self)).sync();
                assertEquals(lease, ((RecordingListener.Put) events.next()).lease());
                assertEquals("over epoll", received.poll(BOUND.toSeconds(), TimeUnit.SECONDS));
                assertEquals(List.of(lease), store.list().leases());
                List<String> running = clientThreads();
                assertTrue(running.stream().anyMatch(n -> n.startsWith("muslin-etcd-watch"))
                    && running.stream().anyMatch(n -> !n.startsWith("muslin-")), "the client's threads: " + running);
                store.release(lease.subnet(), lease.publicIp());
                watch.close();
            }
            udp.close().sync();
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        }
        awaitNoClientThreads();
    }

    private static List<String> clientThreads() {
        return Thread.getAllStackTraces().keySet().stream()
            .filter(Thread::isAlive).map(Thread::getName).filter(n -> CLIENT_THREADS.matcher(n).matches()).sorted().toList();
    }

    private static void awaitNoClientThreads() throws InterruptedException {
        long deadline = System.nanoTime() + BOUND.toNanos();
        List<String> left;
        do {
            left = clientThreads();
            if (left.isEmpty()) {
                return;
            }
            Thread.sleep(100);
        } while (System.nanoTime() < deadline);
        fail("threads left " + BOUND + " after closing the store: " + left);
    }
}
