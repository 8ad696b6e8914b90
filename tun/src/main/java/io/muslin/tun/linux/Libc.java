package io.muslin.tun.linux;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * The libc calls muslin makes, as FFM downcalls (no JNI, no C build step). Every call
 * captures {@code errno}; failures surface as {@link LinuxException} naming the call.
 *
 * <p>Calls on the packet path ({@link #sendmmsg}, {@link #recvmmsg}, {@link #read},
 * {@link #write}, {@link #writev}) take a caller-owned
 * errno segment so that they allocate nothing. All other calls are control-plane calls.
 */
public final class Libc {
    // fcntl.h / socket.h / in.h constants (x86_64 / aarch64 Linux).
    public static final int O_RDWR = 0x2;
    public static final int O_NONBLOCK = 0x800;
    public static final int O_CLOEXEC = 0x80000;
    public static final int AF_INET = 2;
    public static final int AF_INET6 = 10;
    public static final int AF_NETLINK = 16;
    public static final int SOCK_DGRAM = 2;
    public static final int SOCK_RAW = 3;
    public static final int SOCK_NONBLOCK = O_NONBLOCK;
    public static final int SOCK_CLOEXEC = O_CLOEXEC;
    public static final int IPPROTO_IP = 0;
    public static final int IPPROTO_ICMP = 1;
    public static final int IPPROTO_IPIP = 4;
    public static final int IPPROTO_UDP = 17;
    public static final int IPPROTO_RAW = 255;
    public static final int IPPROTO_IPV6 = 41;
    public static final int IPPROTO_ICMPV6 = 58;
    public static final int IPV6_V6ONLY = 26;
    public static final int IPV6_MTU_DISCOVER = 23;
    public static final int IPV6_PMTUDISC_PROBE = 3;
    public static final int IPV6_TCLASS = 67;
    public static final int SOL_SOCKET = 1;
    public static final int SO_REUSEADDR = 2;
    public static final int SO_REUSEPORT = 15;
    public static final int EADDRINUSE = 98;
    public static final int SO_SNDBUF = 7;
    public static final int SO_RCVBUF = 8;
    public static final int SO_SNDBUFFORCE = 32;
    public static final int SO_RCVBUFFORCE = 33;
    public static final int SOL_UDP = 17;
    public static final int UDP_SEGMENT = 103;
    public static final int UDP_GRO = 104;
    public static final int IP_TOS = 1;
    public static final int IP_MTU_DISCOVER = 10;
    public static final int IP_PMTUDISC_DONT = 0;
    public static final int IP_PMTUDISC_PROBE = 3;
    public static final int MSG_DONTWAIT = 0x40;
    public static final int MSG_TRUNC = 0x20;

    public static final int EINTR = 4;
    public static final int EINVAL = 22;
    public static final int EAGAIN = 11;
    public static final int ENOBUFS = 105;
    public static final int EEXIST = 17;
    public static final int ESRCH = 3;
    public static final int ENOENT = 2;
    public static final int EBUSY = 16;

    private static final Linker LINKER = Linker.nativeLinker();
    private static final SymbolLookup LIBC = LINKER.defaultLookup();
    private static final StructLayout CAPTURE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = CAPTURE.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    private static final Linker.Option CAPTURE_ERRNO = Linker.Option.captureCallState("errno");

    private static final MethodHandle OPEN = downcall("open", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle CLOSE = downcall("close", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
    private static final MethodHandle IOCTL = downcall("ioctl", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, ADDRESS));
    private static final MethodHandle SOCKET = downcall("socket", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT));
    private static final MethodHandle GETSOCKNAME = downcall("getsockname", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, ADDRESS));
    private static final MethodHandle BIND = downcall("bind", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle SETSOCKOPT = downcall("setsockopt",
        FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle SENDTO = downcall("sendto",
        FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle RECV = downcall("recv", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT));
    private static final MethodHandle SENDMMSG = downcall("sendmmsg", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_INT, JAVA_INT));
    private static final MethodHandle RECVMMSG = downcall("recvmmsg",
        FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_INT, JAVA_INT, JAVA_LONG));
    private static final MethodHandle READ = downcall("read", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, JAVA_LONG, JAVA_LONG));
    private static final MethodHandle WRITE = downcall("write", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, JAVA_LONG, JAVA_LONG));
    private static final MethodHandle WRITEV = downcall("writev", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, JAVA_LONG, JAVA_INT));
    private static final MethodHandle IOCTL_VALUE = downcall("ioctl", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_LONG));
    private static final MethodHandle IF_NAMETOINDEX = downcall("if_nametoindex", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    private static final MethodHandle STRERROR = LINKER.downcallHandle(
        LIBC.find("strerror").orElseThrow(), FunctionDescriptor.of(ADDRESS, JAVA_INT));

    private Libc() {
    }

    private static MethodHandle downcall(String name, FunctionDescriptor fd) {
        return LINKER.downcallHandle(LIBC.find(name).orElseThrow(() -> new UnsatisfiedLinkError("libc has no " + name)),
            fd, CAPTURE_ERRNO);
    }

    /** A segment to receive errno from a downcall; allocate one per thread and reuse it. */
    public static MemorySegment newErrnoSegment(Arena arena) {
        return arena.allocate(CAPTURE);
    }

    public static int errno(MemorySegment state) {
        return (int) ERRNO.get(state, 0L);
    }

    /** The C library's text for an errno value, e.g. "No such device". */
    public static String strerror(int errno) {
        try {
            MemorySegment s = (MemorySegment) STRERROR.invokeExact(errno);
            return s.reinterpret(256).getString(0);
        } catch (Throwable t) {
            return "errno " + errno;
        }
    }

    private static LinuxException fail(String call, MemorySegment state) {
        return new LinuxException(call, errno(state));
    }

    public static int open(String path, int flags) throws LinuxException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment st = newErrnoSegment(arena);
            int fd = (int) OPEN.invokeExact(st, arena.allocateFrom(path), flags);
            if (fd < 0) {
                throw new LinuxException("open(" + path + ")", errno(st));
            }
            return fd;
        } catch (LinuxException e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    public static void close(int fd) {
        try (Arena arena = Arena.ofConfined()) {
            int rc = (int) CLOSE.invokeExact(newErrnoSegment(arena), fd);
            assert rc == 0 || rc == -1;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /** ioctl with a pointer argument. Returns the call's result; throws on -1. */
    public static int ioctl(int fd, long request, MemorySegment arg, String what) throws LinuxException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment st = newErrnoSegment(arena);
            int rc = (int) IOCTL.invokeExact(st, fd, request, arg);
            if (rc < 0) {
                throw fail(what, st);
            }
            return rc;
        } catch (LinuxException e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /** ioctl whose argument is a value, not a pointer (e.g. {@code TUNSETOFFLOAD}). Throws on -1. */
    public static int ioctl(int fd, long request, long value, String what) throws LinuxException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment st = newErrnoSegment(arena);
            int rc = (int) IOCTL_VALUE.invokeExact(st, fd, request, value);
            if (rc < 0) {
                throw fail(what, st);
            }
            return rc;
        } catch (LinuxException e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    public static int socket(int domain, int type, int protocol) throws LinuxException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment st = newErrnoSegment(arena);
            int fd = (int) SOCKET.invokeExact(st, domain, type, protocol);
            if (fd < 0) {
                throw fail("socket(" + domain + ", " + type + ", " + protocol + ")", st);
            }
            return fd;
        } catch (LinuxException e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    public static void bind(int fd, MemorySegment addr, String what) throws LinuxException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment st = newErrnoSegment(arena);
            int rc = (int) BIND.invokeExact(st, fd, addr, (int) addr.byteSize());
            if (rc < 0) {
                throw fail("bind(" + what + ")", st);
            }
        } catch (LinuxException e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /** The port (host order) an IPv4 socket is bound to, from getsockname(2). */
    public static int localPort(int fd, String what) throws LinuxException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment st = newErrnoSegment(arena);
            MemorySegment sa = arena.allocate(16);
            MemorySegment len = arena.allocateFrom(JAVA_INT, 16);
            int rc = (int) GETSOCKNAME.invokeExact(st, fd, sa, len);
            if (rc < 0) {
                throw fail("getsockname(" + what + ")", st);
            }
            return Short.toUnsignedInt(sa.get(NET_SHORT, 2));
        } catch (LinuxException e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    public static void setsockoptInt(int fd, int level, int name, int value, String what) throws LinuxException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment st = newErrnoSegment(arena);
            MemorySegment v = arena.allocateFrom(JAVA_INT, value);
            int rc = (int) SETSOCKOPT.invokeExact(st, fd, level, name, v, 4);
            if (rc < 0) {
                throw fail("setsockopt(" + what + ")", st);
            }
        } catch (LinuxException e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /** sendto with a whole buffer; returns bytes sent. */
    public static long sendto(int fd, MemorySegment buf, long len, MemorySegment addr, String what) throws LinuxException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment st = newErrnoSegment(arena);
            long rc = (long) SENDTO.invokeExact(st, fd, buf, len, 0, addr, addr == MemorySegment.NULL ? 0 : (int) addr.byteSize());
            if (rc < 0) {
                throw fail(what, st);
            }
            return rc;
        } catch (LinuxException e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /** Blocking recv into {@code buf}; returns bytes received. */
    public static long recv(int fd, MemorySegment buf, String what) throws LinuxException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment st = newErrnoSegment(arena);
            long rc;
            do {
                rc = (long) RECV.invokeExact(st, fd, buf, buf.byteSize(), 0);
            } while (rc < 0 && errno(st) == EINTR);
            if (rc < 0) {
                throw fail(what, st);
            }
            return rc;
        } catch (LinuxException e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /**
     * sendmmsg(2), non-blocking. Returns the number of messages sent (may be fewer than
     * {@code count}), or {@code -errno} on failure. {@code msgvec} is the native address of the
     * first {@code struct mmsghdr}. Allocates nothing.
     */
    public static int sendmmsg(MemorySegment errnoState, int fd, long msgvec, int count) {
        try {
            int n = (int) SENDMMSG.invokeExact(errnoState, fd, msgvec, count, MSG_DONTWAIT);
            return n >= 0 ? n : -errno(errnoState);
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /** recvmmsg(2), non-blocking. Returns messages received or {@code -errno}. Allocates nothing. */
    public static int recvmmsg(MemorySegment errnoState, int fd, long msgvec, int count) {
        try {
            int n = (int) RECVMMSG.invokeExact(errnoState, fd, msgvec, count, MSG_DONTWAIT, 0L);
            return n >= 0 ? n : -errno(errnoState);
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /** read(2) into native memory at {@code address}; returns bytes or {@code -errno}. Allocates nothing. */
    public static long read(MemorySegment errnoState, int fd, long address, long len) {
        try {
            long n = (long) READ.invokeExact(errnoState, fd, address, len);
            return n >= 0 ? n : -errno(errnoState);
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /** write(2) from native memory at {@code address}; returns bytes or {@code -errno}. */
    public static long write(MemorySegment errnoState, int fd, long address, long len) {
        try {
            long n = (long) WRITE.invokeExact(errnoState, fd, address, len);
            return n >= 0 ? n : -errno(errnoState);
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /**
     * writev(2): gathers {@code count} {@code struct iovec} starting at native address {@code iov}
     * into one write; returns bytes or {@code -errno}. Allocates nothing.
     */
    public static long writev(MemorySegment errnoState, int fd, long iov, int count) {
        try {
            long n = (long) WRITEV.invokeExact(errnoState, fd, iov, count);
            return n >= 0 ? n : -errno(errnoState);
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /** Interface index of {@code name}, or 0 when there is no such interface. */
    public static int ifNameToIndex(String name) {
        try (Arena arena = Arena.ofConfined()) {
            return (int) IF_NAMETOINDEX.invokeExact(newErrnoSegment(arena), arena.allocateFrom(name));
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /** A {@code struct sockaddr_in} for {@code ipv4:port} (both host order in, network order out). */
    public static MemorySegment sockaddrIn(Arena arena, int ipv4, int port) {
        MemorySegment sa = arena.allocate(16);
        writeSockaddrIn(sa, 0, ipv4, port);
        return sa;
    }

    public static void writeSockaddrIn(MemorySegment seg, long offset, int ipv4, int port) {
        seg.asSlice(offset, 16).fill((byte) 0);
        seg.set(ValueLayout.JAVA_SHORT, offset, (short) AF_INET);        // host order
        seg.set(NET_SHORT, offset + 2, (short) port);                      // network order
        seg.set(NET_INT, offset + 4, ipv4);                                // network order
    }

    /**
     * A {@code struct sockaddr_in6} (28 bytes) for the address ({@code hi}, {@code lo}: its first
     * and last eight bytes, big-endian) and {@code port}.
     */
    public static MemorySegment sockaddrIn6(Arena arena, long hi, long lo, int port) {
        MemorySegment sa = arena.allocate(28);
        writeSockaddrIn6(sa, 0, hi, lo, port);
        return sa;
    }

    /**
     * <pre>
     *  struct sockaddr_in6 (28): family 2 (host order), port 2, flowinfo 4, addr 16, scope_id 4
     * </pre>
     */
    public static void writeSockaddrIn6(MemorySegment seg, long offset, long hi, long lo, int port) {
        seg.asSlice(offset, 28).fill((byte) 0);
        seg.set(ValueLayout.JAVA_SHORT, offset, (short) AF_INET6);
        seg.set(NET_SHORT, offset + 2, (short) port);
        seg.set(NET_LONG, offset + 8, hi);
        seg.set(NET_LONG, offset + 16, lo);
    }

    static final ValueLayout.OfLong NET_LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(java.nio.ByteOrder.BIG_ENDIAN);
    static final ValueLayout.OfShort NET_SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(java.nio.ByteOrder.BIG_ENDIAN);
    static final ValueLayout.OfInt NET_INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(java.nio.ByteOrder.BIG_ENDIAN);
}
