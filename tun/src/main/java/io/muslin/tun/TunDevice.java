package io.muslin.tun;

import io.muslin.tun.linux.Interfaces;
import io.muslin.tun.linux.IoVector;
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
 *
 * <p><b>Offload mode</b> ({@link #create(String, boolean) create(name, true)}): the device is
 * opened with {@code IFF_VNET_HDR} and {@code TUNSETOFFLOAD(TUN_F_CSUM | TUN_F_TSO4 |
 * TUN_F_TSO6)}, as wireguard-go does. Every read then starts with a
 * {@value #VNET_HEADER_LENGTH}-byte {@code struct virtio_net_hdr} and may return a TCP
 * super-packet of up to 64 KB (the kernel skipped segmentation) or a packet whose transport
 * checksum is left for us to finish; every write must start with such a header too (all zero
 * for a plain packet, or describing a coalesced TCP super-packet). The header's layout and
 * meaning belong to the dataplane ({@code io.muslin.dataplane.offload.VirtioNetHeader}); this
 * class only moves bytes. UDP segmentation offloads ({@code TUN_F_UFO}, {@code TUN_F_USO4/6})
 * are not requested.
 *
 * <p><b>Several queues</b> ({@link #create(String, boolean, boolean) create(name, offload, true)},
 * then {@link #openQueue()} once per further queue): the device is opened with
 * {@code IFF_MULTI_QUEUE}, and each queue is a descriptor of its own that one thread reads and
 * writes. The kernel picks the queue of each packet it sends into the device by the flow's
 * symmetric hash, and remembers for each flow the queue that last wrote one of its packets
 * ({@code tun_flow_update}), so a flow stays on one queue each way. The device lives until its
 * last queue is closed.
 *
 * <pre>
 *  struct virtio_net_hdr (10 bytes, little-endian)
 *   0 flags  1 gso_type  2 hdr_len  4 gso_size  6 csum_start  8 csum_offset
 * </pre>
 */
public final class TunDevice implements AutoCloseable {
    static final long TUNSETIFF = 0x400454caL;
    static final long TUNSETOFFLOAD = 0x400454d0L;
    public static final short IFF_TUN = 0x0001;
    public static final short IFF_NO_PI = 0x1000;
    public static final short IFF_MULTI_QUEUE = 0x0100;
    public static final short IFF_VNET_HDR = 0x4000;

    /** {@code TUNSETOFFLOAD} bits (linux/if_tun.h). */
    public static final int TUN_F_CSUM = 0x01;
    public static final int TUN_F_TSO4 = 0x02;
    public static final int TUN_F_TSO6 = 0x04;
    public static final int TUN_F_TSO_ECN = 0x08;
    public static final int TUN_F_UFO = 0x10;
    public static final int TUN_F_USO4 = 0x20;
    public static final int TUN_F_USO6 = 0x40;

    /** Length of the {@code struct virtio_net_hdr} before every packet in offload mode. */
    public static final int VNET_HEADER_LENGTH = 10;
    /** The offloads offload mode asks for. */
    public static final int OFFLOADS = TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6;

    private final int fd;
    private final String name;
    private final boolean offload;
    private final boolean multiQueue;
    private final AtomicBoolean closed = new AtomicBoolean();

    private TunDevice(int fd, String name, boolean offload, boolean multiQueue) {
        this.fd = fd;
        this.name = name;
        this.offload = offload;
        this.multiQueue = multiQueue;
    }

    /** Creates a plain TUN device {@code name}: {@link #create(String, boolean) create(name, false)}. */
    public static TunDevice create(String name) throws LinuxException {
        return create(name, false);
    }

    /**
     * Creates TUN device {@code name}, in offload mode when {@code offload} (see the class
     * comment). Fails if an interface of that name already exists (another daemon's, or a
     * kernel device), so a second daemon never takes over the first's.
     */
    public static TunDevice create(String name, boolean offload) throws LinuxException {
        return create(name, offload, false);
    }

    /**
     * Creates TUN device {@code name}, in offload mode when {@code offload}, and with
     * {@code IFF_MULTI_QUEUE} when {@code multiQueue} (this is its first queue; add more with
     * {@link #openQueue()}). Fails if an interface of that name already exists.
     */
    public static TunDevice create(String name, boolean offload, boolean multiQueue) throws LinuxException {
        if (Interfaces.index(name) != 0) {
            throw new LinuxException("create TUN device " + name + ": an interface of that name already exists;"
                + " create", Libc.EEXIST);
        }
        return attach(name, offload, multiQueue);
    }

    /**
     * Opens one more queue of this multi-queue device: a descriptor of its own, with the same
     * flags, for another thread. Closing it detaches the queue; the device stays while any
     * queue is open.
     */
    public TunDevice openQueue() throws LinuxException {
        if (!multiQueue) {
            throw new IllegalStateException("TUN device " + name + " was not created with IFF_MULTI_QUEUE");
        }
        if (closed.get()) {
            throw new IllegalStateException("TUN device " + name + " is closed");
        }
        return attach(name, offload, true);
    }

    private static TunDevice attach(String name, boolean offload, boolean multiQueue) throws LinuxException {
        byte[] b = name.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        if (b.length == 0 || b.length >= Interfaces.IFNAMSIZ) {
            throw new IllegalArgumentException("interface name must be 1-15 characters: \"" + name + "\"");
        }
        int fd = Libc.open("/dev/net/tun", Libc.O_RDWR | Libc.O_NONBLOCK | Libc.O_CLOEXEC);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment req = arena.allocate(40, 8);
            req.fill((byte) 0);
            MemorySegment.copy(b, 0, req, ValueLayout.JAVA_BYTE, 0, b.length);
            short flags = (short) (IFF_TUN | IFF_NO_PI | (offload ? IFF_VNET_HDR : 0) | (multiQueue ? IFF_MULTI_QUEUE : 0));
            req.set(ValueLayout.JAVA_SHORT, Interfaces.IFNAMSIZ, flags);
            Libc.ioctl(fd, TUNSETIFF, req, "TUNSETIFF " + name);
            String actual = req.getString(0);
            if (offload) {
                Libc.ioctl(fd, TUNSETOFFLOAD, OFFLOADS, "TUNSETOFFLOAD " + name);
            }
            return new TunDevice(fd, actual, offload, multiQueue);
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

    /** True when every read and write starts with a {@value #VNET_HEADER_LENGTH}-byte virtio_net_hdr. */
    public boolean offload() {
        return offload;
    }

    /**
     * Reads one packet into native memory. Returns its length (in offload mode: the
     * virtio_net_hdr plus the packet), 0 when none is waiting, or {@code -errno}. A packet longer
     * than {@code capacity} is cut short by the kernel. Allocates nothing.
     */
    public int read(MemorySegment errno, long address, int capacity) {
        long n = Libc.read(errno, fd, address, capacity);
        if (n == -Libc.EAGAIN || n == -Libc.EINTR) {
            return 0;
        }
        return (int) n;
    }

    /**
     * Writes one packet from native memory (in offload mode starting with its virtio_net_hdr).
     * Returns bytes written or {@code -errno}.
     */
    public int write(MemorySegment errno, long address, int length) {
        long n;
        do {
            n = Libc.write(errno, fd, address, length);
        } while (n == -Libc.EINTR);
        return (int) n;
    }

    /**
     * Writes one packet gathered from the first {@code count} pieces of {@code iov} (in offload
     * mode the first bytes are its virtio_net_hdr). Returns bytes written or {@code -errno}.
     * Allocates nothing.
     */
    public int writev(MemorySegment errno, IoVector iov, int count) {
        long n;
        do {
            n = Libc.writev(errno, fd, iov.address(), count);
        } while (n == -Libc.EINTR);
        return (int) n;
    }

    /** True when the device has {@code IFF_MULTI_QUEUE} and this is one of its queues. */
    public boolean multiQueue() {
        return multiQueue;
    }

    public boolean isOpen() {
        return !closed.get();
    }

    /**
     * Closes the descriptor; the kernel removes the device and its routes (for a multi-queue
     * device, when its last queue closes). Idempotent.
     */
    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            Libc.close(fd);
        }
    }
}
