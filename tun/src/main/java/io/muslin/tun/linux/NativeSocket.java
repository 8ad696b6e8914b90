package io.muslin.tun.linux;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A non-blocking socket owned by muslin, used with batched sendmmsg / recvmmsg from one
 * event-loop thread. Factories: {@link #udp} (underlay receive), {@link #rawIpv4Receiver}
 * (IP-in-IP receive), {@link #rawIpv4}
 * (underlay send: muslin writes the outer IPv4 header itself, so it picks the outer UDP
 * source port per flow and sets DF/TOS/TTL as it wants) and {@link #udpSender} (underlay
 * send with UDP segmentation offload: the kernel writes outer IPv4 and UDP headers and cuts
 * one message into many datagrams; the source port is the socket's).
 */
public final class NativeSocket implements AutoCloseable {
    /** rtnetlink multicast group of link changes (RTM_NEWLINK/RTM_DELLINK). */
    public static final int RTMGRP_LINK = 1;

    private final int fd;
    private final String description;
    private final AtomicBoolean closed = new AtomicBoolean();

    private NativeSocket(int fd, String description) {
        this.fd = fd;
        this.description = description;
    }

    /** A UDP socket bound to {@code ipv4:port} (0 = any address) with a receive buffer of {@code rcvbuf} bytes. */
    public static NativeSocket udp(int ipv4, int port, int rcvbuf) throws LinuxException {
        return udp(ipv4, port, rcvbuf, false);
    }

    /**
     * A UDP socket bound to {@code ipv4:port} with a receive buffer of {@code rcvbuf} bytes; with
     * {@code reusePort}, {@code SO_REUSEPORT} is set first, so that several sockets (one per
     * thread) share the port and the kernel spreads datagrams over them by a hash of their
     * addresses and ports: a flow always lands on the same socket.
     */
    public static NativeSocket udp(int ipv4, int port, int rcvbuf, boolean reusePort) throws LinuxException {
        int fd = Libc.socket(Libc.AF_INET, Libc.SOCK_DGRAM | Libc.SOCK_NONBLOCK | Libc.SOCK_CLOEXEC, Libc.IPPROTO_UDP);
        String what = "udp " + formatIpv4(ipv4) + ":" + port;
        try {
            setBuffer(fd, Libc.SO_RCVBUFFORCE, Libc.SO_RCVBUF, rcvbuf, what);
            if (reusePort) {
                Libc.setsockoptInt(fd, Libc.SOL_SOCKET, Libc.SO_REUSEPORT, 1, what + " SO_REUSEPORT");
            }
            try (Arena arena = Arena.ofConfined()) {
                Libc.bind(fd, Libc.sockaddrIn(arena, ipv4, port), what);
            }
            return new NativeSocket(fd, what);
        } catch (LinuxException e) {
            Libc.close(fd);
            throw e;
        }
    }

    /**
     * A UDP socket on {@code [::]:port} for IPv6 only ({@code IPV6_V6ONLY}, so an IPv4 socket may
     * hold the same port beside it), with a receive buffer of {@code rcvbuf} bytes; with
     * {@code reusePort} as {@link #udp(int, int, int, boolean)}.
     */
    public static NativeSocket udp6(int port, int rcvbuf, boolean reusePort) throws LinuxException {
        int fd = Libc.socket(Libc.AF_INET6, Libc.SOCK_DGRAM | Libc.SOCK_NONBLOCK | Libc.SOCK_CLOEXEC, Libc.IPPROTO_UDP);
        String what = "udp [::]:" + port;
        try {
            setBuffer(fd, Libc.SO_RCVBUFFORCE, Libc.SO_RCVBUF, rcvbuf, what);
            Libc.setsockoptInt(fd, Libc.IPPROTO_IPV6, Libc.IPV6_V6ONLY, 1, what + " IPV6_V6ONLY");
            if (reusePort) {
                Libc.setsockoptInt(fd, Libc.SOL_SOCKET, Libc.SO_REUSEPORT, 1, what + " SO_REUSEPORT");
            }
            try (Arena arena = Arena.ofConfined()) {
                Libc.bind(fd, Libc.sockaddrIn6(arena, 0, 0, port), what);
            }
            return new NativeSocket(fd, what);
        } catch (LinuxException e) {
            Libc.close(fd);
            throw e;
        }
    }

    /**
     * A raw IPv6 socket for sending whole IPv6 packets ({@code IPPROTO_RAW} implies
     * {@code IPV6_HDRINCL} on Linux: the caller writes the IPv6 header, the kernel adds nothing
     * and does not fragment), with a send buffer of {@code sndbuf} bytes. Destinations are
     * {@code sockaddr_in6} with port 0 ({@link MessageBatch#setDestination6}).
     */
    public static NativeSocket rawIpv6(int sndbuf) throws LinuxException {
        int fd = Libc.socket(Libc.AF_INET6, Libc.SOCK_RAW | Libc.SOCK_NONBLOCK | Libc.SOCK_CLOEXEC, Libc.IPPROTO_RAW);
        try {
            setBuffer(fd, Libc.SO_SNDBUFFORCE, Libc.SO_SNDBUF, sndbuf, "raw ipv6");
            return new NativeSocket(fd, "raw ipv6");
        } catch (LinuxException e) {
            Libc.close(fd);
            throw e;
        }
    }

    /**
     * As {@link #udpSender(int, int, int, boolean, boolean)} over IPv6: bound to
     * {@code [hi:lo]:port}, every datagram unfragmented and the kernel's path-MTU cache ignored
     * ({@code IPV6_PMTUDISC_PROBE}: IPv6 routers never fragment, and muslin keeps its own path
     * MTU per peer); the kernel computes each datagram's UDP checksum (RFC 8200 §8.1).
     */
    public static NativeSocket udp6Sender(long hi, long lo, int port, int sndbuf, boolean reusePort)
        throws LinuxException {
        int fd = Libc.socket(Libc.AF_INET6, Libc.SOCK_DGRAM | Libc.SOCK_NONBLOCK | Libc.SOCK_CLOEXEC, Libc.IPPROTO_UDP);
        String what = "udp6 sender" + (port == 0 ? "" : " port " + port);
        try {
            setBuffer(fd, Libc.SO_SNDBUFFORCE, Libc.SO_SNDBUF, sndbuf, what);
            Libc.setsockoptInt(fd, Libc.IPPROTO_IPV6, Libc.IPV6_V6ONLY, 1, what + " IPV6_V6ONLY");
            if (reusePort) {
                Libc.setsockoptInt(fd, Libc.SOL_SOCKET, Libc.SO_REUSEPORT, 1, what + " SO_REUSEPORT");
            }
            Libc.setsockoptInt(fd, Libc.SOL_UDP, Libc.UDP_SEGMENT, 0, what + " UDP_SEGMENT");
            Libc.setsockoptInt(fd, Libc.IPPROTO_IPV6, Libc.IPV6_MTU_DISCOVER, Libc.IPV6_PMTUDISC_PROBE,
                what + " IPV6_MTU_DISCOVER");
            try (Arena arena = Arena.ofConfined()) {
                Libc.bind(fd, Libc.sockaddrIn6(arena, hi, lo, port), what);
            }
            return new NativeSocket(fd, what);
        } catch (LinuxException e) {
            Libc.close(fd);
            throw e;
        }
    }

    /** A raw IPv4 socket (IPPROTO_RAW: the caller writes the IP header) with a send buffer of {@code sndbuf} bytes. */
    public static NativeSocket rawIpv4(int sndbuf) throws LinuxException {
        int fd = Libc.socket(Libc.AF_INET, Libc.SOCK_RAW | Libc.SOCK_NONBLOCK | Libc.SOCK_CLOEXEC, Libc.IPPROTO_RAW);
        try {
            setBuffer(fd, Libc.SO_SNDBUFFORCE, Libc.SO_SNDBUF, sndbuf, "raw ipv4");
            return new NativeSocket(fd, "raw ipv4");
        } catch (LinuxException e) {
            Libc.close(fd);
            throw e;
        }
    }

    /**
     * A raw IPv4 socket that receives every packet of IP protocol {@code protocol} addressed to
     * this host (e.g. {@link Libc#IPPROTO_IPIP}), each with its IPv4 header, with a receive
     * buffer of {@code rcvbuf} bytes. The kernel reassembles fragments before it delivers. It
     * needs no kernel module for the protocol: without one, the kernel hands the packet to the
     * raw socket and sends no "protocol unreachable".
     */
    public static NativeSocket rawIpv4Receiver(int protocol, int rcvbuf) throws LinuxException {
        int fd = Libc.socket(Libc.AF_INET, Libc.SOCK_RAW | Libc.SOCK_NONBLOCK | Libc.SOCK_CLOEXEC, protocol);
        String what = "raw ipv4 protocol " + protocol;
        try {
            setBuffer(fd, Libc.SO_RCVBUFFORCE, Libc.SO_RCVBUF, rcvbuf, what);
            return new NativeSocket(fd, what);
        } catch (LinuxException e) {
            Libc.close(fd);
            throw e;
        }
    }

    /**
     * A raw ICMPv6 socket: every ICMPv6 message to this host, each without its IPv6 header (unlike
     * IPv4's raw sockets), with a receive buffer of {@code rcvbuf} bytes; for Packet Too Big from
     * routers on an IPv6 underlay.
     */
    public static NativeSocket rawIcmp6Receiver(int rcvbuf) throws LinuxException {
        int fd = Libc.socket(Libc.AF_INET6, Libc.SOCK_RAW | Libc.SOCK_NONBLOCK | Libc.SOCK_CLOEXEC, Libc.IPPROTO_ICMPV6);
        String what = "raw icmpv6";
        try {
            setBuffer(fd, Libc.SO_RCVBUFFORCE, Libc.SO_RCVBUF, rcvbuf, what);
            return new NativeSocket(fd, what);
        } catch (LinuxException e) {
            Libc.close(fd);
            throw e;
        }
    }

    /**
     * A non-blocking rtnetlink socket subscribed to the multicast {@code groups} (e.g.
     * {@link #RTMGRP_LINK}): the kernel's notifications arrive as datagrams, one or more
     * netlink messages each; read them with {@link #read}.
     */
    public static NativeSocket netlinkEvents(int groups) throws LinuxException {
        int fd = Libc.socket(Libc.AF_NETLINK, Libc.SOCK_RAW | Libc.SOCK_NONBLOCK | Libc.SOCK_CLOEXEC, 0);
        String what = "rtnetlink groups 0x" + Integer.toHexString(groups);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment nl = arena.allocate(12, 4);
            nl.set(ValueLayout.JAVA_SHORT, 0, (short) Libc.AF_NETLINK);
            nl.set(ValueLayout.JAVA_INT, 8, groups);
            Libc.bind(fd, nl, what);
            return new NativeSocket(fd, what);
        } catch (LinuxException e) {
            Libc.close(fd);
            throw e;
        }
    }

    /** One datagram into {@code len} bytes at {@code address}: its length, 0 when none is waiting, or {@code -errno}. */
    public long read(MemorySegment errno, long address, int len) {
        long n;
        do {
            n = Libc.read(errno, fd, address, len);
        } while (n == -Libc.EINTR);
        return n == -Libc.EAGAIN ? 0 : n;
    }

    /**
     * A UDP socket for sending with {@code UDP_SEGMENT} (udp(7), Linux 4.18+), bound to an
     * ephemeral port of {@code ipv4} (0 = any address), with a send buffer of {@code sndbuf}
     * bytes. With {@code dontFragment} every datagram has DF and the kernel's path-MTU cache is
     * ignored ({@code IP_PMTUDISC_PROBE}: the caller keeps its own); without, no datagram has DF
     * ({@code IP_PMTUDISC_DONT}). Fails when the kernel has no UDP segmentation offload.
     */
    public static NativeSocket udpSender(int ipv4, int sndbuf, boolean dontFragment) throws LinuxException {
        return udpSender(ipv4, 0, sndbuf, dontFragment, false);
    }

    /**
     * As {@link #udpSender(int, int, boolean)}, bound to {@code port} (0: an ephemeral one); with
     * {@code reusePort}, {@code SO_REUSEPORT} is set first, so that each dataplane thread can
     * have its own socket on the same port (a flow then keeps its outer source port whichever
     * thread sends it).
     */
    public static NativeSocket udpSender(int ipv4, int port, int sndbuf, boolean dontFragment, boolean reusePort)
        throws LinuxException {
        int fd = Libc.socket(Libc.AF_INET, Libc.SOCK_DGRAM | Libc.SOCK_NONBLOCK | Libc.SOCK_CLOEXEC, Libc.IPPROTO_UDP);
        String what = "udp sender " + formatIpv4(ipv4) + (port == 0 ? "" : ":" + port);
        try {
            setBuffer(fd, Libc.SO_SNDBUFFORCE, Libc.SO_SNDBUF, sndbuf, what);
            if (reusePort) {
                Libc.setsockoptInt(fd, Libc.SOL_SOCKET, Libc.SO_REUSEPORT, 1, what + " SO_REUSEPORT");
            }
            Libc.setsockoptInt(fd, Libc.SOL_UDP, Libc.UDP_SEGMENT, 0, what + " UDP_SEGMENT"); // probe: 0 = per message
            Libc.setsockoptInt(fd, Libc.IPPROTO_IP, Libc.IP_MTU_DISCOVER,
                dontFragment ? Libc.IP_PMTUDISC_PROBE : Libc.IP_PMTUDISC_DONT, what + " IP_MTU_DISCOVER");
            try (Arena arena = Arena.ofConfined()) {
                Libc.bind(fd, Libc.sockaddrIn(arena, ipv4, port), what);
            }
            return new NativeSocket(fd, what);
        } catch (LinuxException e) {
            Libc.close(fd);
            throw e;
        }
    }

    /**
     * Turns on {@code UDP_GRO} (udp(7), Linux 5.0+): the kernel may hand over several datagrams
     * of one flow as one message, with their size in a {@code UDP_GRO} control message
     * ({@link MessageBatch#segmentSize}). Receive buffers must then hold 64 KB.
     */
    public void enableGro() throws LinuxException {
        Libc.setsockoptInt(fd, Libc.SOL_UDP, Libc.UDP_GRO, 1, description + " UDP_GRO");
    }

    /** The local port the socket is bound to. */
    public int localPort() throws LinuxException {
        return Libc.localPort(fd, description);
    }

    private static void setBuffer(int fd, int forced, int plain, int bytes, String what) throws LinuxException {
        if (bytes <= 0) {
            return;
        }
        try {
            Libc.setsockoptInt(fd, Libc.SOL_SOCKET, forced, bytes, what); // root may exceed rmem_max
        } catch (LinuxException e) {
            Libc.setsockoptInt(fd, Libc.SOL_SOCKET, plain, bytes, what);
        }
    }

    public int fd() {
        return fd;
    }

    /**
     * Sends messages {@code from .. from+count-1} of {@code batch}. Returns how many were sent
     * (0 when the socket buffer is full), or {@code -errno} when the first message failed.
     */
    public int send(MessageBatch batch, int from, int count, MemorySegment errno) {
        int n;
        do {
            n = Libc.sendmmsg(errno, fd, batch.address(from), count);
        } while (n == -Libc.EINTR);
        if (n == -Libc.EAGAIN || n == -Libc.ENOBUFS) {
            return 0;
        }
        return n;
    }

    /** Receives up to {@code count} messages into {@code batch}; 0 when none is waiting, {@code -errno} on failure. */
    public int receive(MessageBatch batch, int count, MemorySegment errno) {
        int n;
        do {
            n = Libc.recvmmsg(errno, fd, batch.address(0), count);
        } while (n == -Libc.EINTR);
        return n == -Libc.EAGAIN ? 0 : n;
    }

    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            Libc.close(fd);
        }
    }

    @Override
    public String toString() {
        return description;
    }

    static String formatIpv4(int a) {
        return ((a >>> 24) & 0xFF) + "." + ((a >>> 16) & 0xFF) + "." + ((a >>> 8) & 0xFF) + "." + (a & 0xFF);
    }
}
