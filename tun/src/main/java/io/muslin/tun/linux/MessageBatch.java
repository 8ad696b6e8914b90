package io.muslin.tun.linux;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * A reusable vector of {@code struct mmsghdr} for sendmmsg(2) / recvmmsg(2), in native
 * memory, each message with one iovec and room for a socket address. Filling it allocates
 * nothing; the buffers it points at belong to the caller.
 *
 * <pre>
 *  struct mmsghdr (64 bytes, x86_64 / aarch64)
 *   0  msg_name      8   → this slot's sockaddr
 *   8  msg_namelen   4
 *  16  msg_iov       8   → this slot's iovec
 *  24  msg_iovlen    8   = 1
 *  32  msg_control   8   = NULL
 *  40  msg_controllen 8  = 0
 *  48  msg_flags     4
 *  56  msg_len       4   (bytes sent / received)
 *  struct iovec (16): iov_base 8, iov_len 8
 * </pre>
 */
public final class MessageBatch implements AutoCloseable {
    static final int MMSGHDR = 64;
    static final int IOVEC = 16;
    static final int SOCKADDR = 32; // sockaddr_in6 is 28
    private static final int NAME = 0;
    private static final int NAMELEN = 8;
    private static final int IOV = 16;
    private static final int IOVLEN = 24;
    private static final int FLAGS = 48;
    private static final int LEN = 56;

    private final Arena arena = Arena.ofShared();
    private final int capacity;
    private final MemorySegment msgs;
    private final MemorySegment iovs;
    private final MemorySegment addrs;

    public MessageBatch(int capacity) {
        if (capacity <= 0 || capacity > 1024) {
            throw new IllegalArgumentException("batch capacity must be 1-1024, not " + capacity);
        }
        this.capacity = capacity;
        msgs = arena.allocate((long) MMSGHDR * capacity, 64);
        iovs = arena.allocate((long) IOVEC * capacity, 16);
        addrs = arena.allocate((long) SOCKADDR * capacity, 16);
        for (int i = 0; i < capacity; i++) {
            long m = (long) i * MMSGHDR;
            msgs.set(ValueLayout.JAVA_LONG, m + NAME, addrs.address() + (long) i * SOCKADDR);
            msgs.set(ValueLayout.JAVA_INT, m + NAMELEN, SOCKADDR);
            msgs.set(ValueLayout.JAVA_LONG, m + IOV, iovs.address() + (long) i * IOVEC);
            msgs.set(ValueLayout.JAVA_LONG, m + IOVLEN, 1L);
        }
    }

    public int capacity() {
        return capacity;
    }

    /** Native address of message {@code i}, for sendmmsg/recvmmsg starting there. */
    public long address(int i) {
        return msgs.address() + (long) i * MMSGHDR;
    }

    /** Points message {@code i} at {@code len} bytes of native memory. */
    public void setBuffer(int i, long bufferAddress, int len) {
        long v = (long) i * IOVEC;
        iovs.set(ValueLayout.JAVA_LONG, v, bufferAddress);
        iovs.set(ValueLayout.JAVA_LONG, v + 8, len);
    }

    /** Sets message {@code i}'s destination to an IPv4 address and port. */
    public void setDestination(int i, int ipv4, int port) {
        long a = (long) i * SOCKADDR;
        addrs.set(ValueLayout.JAVA_LONG, a, 0L);
        addrs.set(ValueLayout.JAVA_LONG, a + 8, 0L);
        addrs.set(ValueLayout.JAVA_SHORT, a, (short) Libc.AF_INET);
        addrs.set(Libc.NET_SHORT, a + 2, (short) port);
        addrs.set(Libc.NET_INT, a + 4, ipv4);
        msgs.set(ValueLayout.JAVA_INT, (long) i * MMSGHDR + NAMELEN, 16);
    }

    /** Before recvmmsg: message {@code i} receives into the buffer and any source address. */
    public void prepareReceive(int i, long bufferAddress, int capacity) {
        setBuffer(i, bufferAddress, capacity);
        long m = (long) i * MMSGHDR;
        msgs.set(ValueLayout.JAVA_INT, m + NAMELEN, SOCKADDR);
        msgs.set(ValueLayout.JAVA_INT, m + FLAGS, 0);
    }

    /** Bytes received into (or sent from) message {@code i}. */
    public int length(int i) {
        return msgs.get(ValueLayout.JAVA_INT, (long) i * MMSGHDR + LEN);
    }

    /** True when message {@code i} was longer than its buffer (MSG_TRUNC). */
    public boolean truncated(int i) {
        return (msgs.get(ValueLayout.JAVA_INT, (long) i * MMSGHDR + FLAGS) & Libc.MSG_TRUNC) != 0;
    }

    /** The IPv4 source of a received message, or 0 when it was not IPv4. */
    public int sourceIpv4(int i) {
        long a = (long) i * SOCKADDR;
        if (addrs.get(ValueLayout.JAVA_SHORT, a) != Libc.AF_INET) {
            return 0;
        }
        return addrs.get(Libc.NET_INT, a + 4);
    }

    public int sourcePort(int i) {
        return Short.toUnsignedInt(addrs.get(Libc.NET_SHORT, (long) i * SOCKADDR + 2));
    }

    @Override
    public void close() {
        arena.close();
    }
}
