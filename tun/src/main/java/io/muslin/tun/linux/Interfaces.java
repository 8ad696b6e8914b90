package io.muslin.tun.linux;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;

/**
 * Network interface settings through ioctl(2) on a throwaway socket: MTU and the UP flag.
 * Addresses and routes go through {@link RouteNetlink}.
 *
 * <pre>
 *  struct ifreq (40 bytes): ifr_name[16] | union { sockaddr (16) | int mtu | short flags | int ifindex }
 * </pre>
 */
public final class Interfaces {
    static final long SIOCGIFFLAGS = 0x8913;
    static final long SIOCSIFFLAGS = 0x8914;
    static final long SIOCGIFMTU = 0x8921;
    static final long SIOCSIFMTU = 0x8922;
    static final long SIOCSIFTXQLEN = 0x8943;
    static final int IFF_UP = 0x1;
    public static final int IFNAMSIZ = 16;
    static final int IFREQ_SIZE = 40;

    private Interfaces() {
    }

    /** A zeroed {@code struct ifreq} carrying {@code name}. */
    static MemorySegment ifreq(Arena arena, String name) {
        byte[] b = name.getBytes(StandardCharsets.US_ASCII);
        if (b.length == 0 || b.length >= IFNAMSIZ) {
            throw new IllegalArgumentException("interface name must be 1-15 characters: \"" + name + "\"");
        }
        MemorySegment req = arena.allocate(IFREQ_SIZE, 8);
        req.fill((byte) 0);
        MemorySegment.copy(b, 0, req, ValueLayout.JAVA_BYTE, 0, b.length);
        return req;
    }

    public static int mtu(String name) throws LinuxException {
        try (Arena arena = Arena.ofConfined(); Ctl ctl = new Ctl()) {
            MemorySegment req = ifreq(arena, name);
            Libc.ioctl(ctl.fd, SIOCGIFMTU, req, "SIOCGIFMTU " + name);
            return req.get(ValueLayout.JAVA_INT, IFNAMSIZ);
        }
    }

    public static void setMtu(String name, int mtu) throws LinuxException {
        try (Arena arena = Arena.ofConfined(); Ctl ctl = new Ctl()) {
            MemorySegment req = ifreq(arena, name);
            req.set(ValueLayout.JAVA_INT, IFNAMSIZ, mtu);
            Libc.ioctl(ctl.fd, SIOCSIFMTU, req, "SIOCSIFMTU " + name + " " + mtu);
        }
    }

    /** Sets the device's transmit queue length (for a TUN device: the packets the kernel queues for our reads). */
    public static void setTxQueueLength(String name, int packets) throws LinuxException {
        try (Arena arena = Arena.ofConfined(); Ctl ctl = new Ctl()) {
            MemorySegment req = ifreq(arena, name);
            req.set(ValueLayout.JAVA_INT, IFNAMSIZ, packets);
            Libc.ioctl(ctl.fd, SIOCSIFTXQLEN, req, "SIOCSIFTXQLEN " + name + " " + packets);
        }
    }

    public static void setUp(String name, boolean up) throws LinuxException {
        try (Arena arena = Arena.ofConfined(); Ctl ctl = new Ctl()) {
            MemorySegment req = ifreq(arena, name);
            Libc.ioctl(ctl.fd, SIOCGIFFLAGS, req, "SIOCGIFFLAGS " + name);
            short flags = req.get(ValueLayout.JAVA_SHORT, IFNAMSIZ);
            flags = (short) (up ? flags | IFF_UP : flags & ~IFF_UP);
            req.set(ValueLayout.JAVA_SHORT, IFNAMSIZ, flags);
            Libc.ioctl(ctl.fd, SIOCSIFFLAGS, req, "SIOCSIFFLAGS " + name);
        }
    }

    /** Interface index, or 0 when there is no interface of that name. */
    public static int index(String name) {
        return Libc.ifNameToIndex(name);
    }

    /** A datagram socket for interface ioctls. */
    private static final class Ctl implements AutoCloseable {
        final int fd;

        Ctl() throws LinuxException {
            fd = Libc.socket(Libc.AF_INET, Libc.SOCK_DGRAM | Libc.SOCK_CLOEXEC, 0);
        }

        @Override
        public void close() {
            Libc.close(fd);
        }
    }
}
