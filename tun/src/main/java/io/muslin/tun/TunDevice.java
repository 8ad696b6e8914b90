package io.muslin.tun;

import io.muslin.tun.linux.Interfaces;
import io.muslin.tun.linux.Libc;
import io.muslin.tun.linux.LinuxException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A Linux TUN device ({@code IFF_TUN | IFF_NO_PI}): each read returns one IP packet, each
 * write takes one. The device is not persistent, so the kernel deletes it, with every route
 * through it, when the file descriptor closes, including when the process dies.
 *
 * <p>Reads and writes are non-blocking and allocate nothing; they are meant for the one
 * event-loop thread that owns the device ({@link io.muslin.tun.epoll.FdHandle}).
 * {@code IFF_VNET_HDR} offloads and {@code IFF_MULTI_QUEUE} are the planned additions: the
 * flags are here and the read/write contract does not change for them.
 */
public final class TunDevice implements AutoCloseable {
    static final long TUNSETIFF = 0x400454caL;
    public static final short IFF_TUN = 0x0001;
    public static final short IFF_NO_PI = 0x1000;
    public static final short IFF_MULTI_QUEUE = 0x0100;
    public static final short IFF_VNET_HDR = 0x4000;

    private final int fd;
    private final String name;
    private final AtomicBoolean closed = new AtomicBoolean();

    private TunDevice(int fd, String name) {
        this.fd = fd;
        this.name = name;
    }

    /**
     * Creates TUN device {@code name}. Fails if an interface of that name already exists
     * (another daemon's, or a kernel device), so a second daemon never takes over the first's.
     */
    public static TunDevice create(String name) throws LinuxException {
        if (Interfaces.index(name) != 0) {
            throw new LinuxException("create TUN device " + name + ": an interface of that name already exists;"
                + " create", Libc.EEXIST);
        }
        int fd = Libc.open("/dev/net/tun", Libc.O_RDWR | Libc.O_NONBLOCK | Libc.O_CLOEXEC);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment req = arena.allocate(40, 8);
            req.fill((byte) 0);
            byte[] b = name.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
            if (b.length == 0 || b.length >= Interfaces.IFNAMSIZ) {
                throw new IllegalArgumentException("interface name must be 1-15 characters: \"" + name + "\"");
            }
            MemorySegment.copy(b, 0, req, ValueLayout.JAVA_BYTE, 0, b.length);
            req.set(ValueLayout.JAVA_SHORT, Interfaces.IFNAMSIZ, (short) (IFF_TUN | IFF_NO_PI));
            Libc.ioctl(fd, TUNSETIFF, req, "TUNSETIFF " + name);
            String actual = req.getString(0);
            return new TunDevice(fd, actual);
        } catch (LinuxException | RuntimeException e) {
            Libc.close(fd);
            throw e;
        }
    }

    public String name() {
        return name;
    }

    public int fd() {
        return fd;
    }

    public int index() {
        return Interfaces.index(name);
    }

    /**
     * Reads one packet into native memory. Returns its length, 0 when none is waiting, or
     * {@code -errno}. Allocates nothing.
     */
    public int read(MemorySegment errno, long address, int capacity) {
        long n = Libc.read(errno, fd, address, capacity);
        if (n == -Libc.EAGAIN || n == -Libc.EINTR) {
            return 0;
        }
        return (int) n;
    }

    /** Writes one packet from native memory. Returns bytes written or {@code -errno}. */
    public int write(MemorySegment errno, long address, int length) {
        long n;
        do {
            n = Libc.write(errno, fd, address, length);
        } while (n == -Libc.EINTR);
        return (int) n;
    }

    public boolean isOpen() {
        return !closed.get();
    }

    /** Closes the descriptor; the kernel removes the device and its routes. Idempotent. */
    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            Libc.close(fd);
        }
    }
}
