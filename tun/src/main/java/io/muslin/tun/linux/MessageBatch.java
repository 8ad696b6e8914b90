package io.muslin.tun.linux;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * A reusable vector of {@code struct mmsghdr} for sendmmsg(2) / recvmmsg(2), in native
 * memory. Each message has room for a socket address, up to {@link #iovecsPerMessage()}
 * iovecs (gathered by the kernel into one datagram, so headers and payloads that live apart
 * are sent without being copied together) and, optionally, {@link #CONTROL_BYTES} of control
 * messages: {@code UDP_SEGMENT} and {@code IP_TOS} on send, {@code UDP_GRO} on receive.
 * Filling it allocates nothing; the buffers it points at belong to the caller.
 *
 * <pre>
 *  struct mmsghdr (64 bytes, x86_64 / aarch64)
 *   0  msg_name       8   → this slot's sockaddr
 *   8  msg_namelen    4
 *  16  msg_iov        8   → this slot's first iovec
 *  24  msg_iovlen     8
 *  32  msg_control    8   → this slot's control area (or NULL)
 *  40  msg_controllen 8
 *  48  msg_flags      4
 *  56  msg_len        4   (bytes sent / received)
 *  struct iovec (16): iov_base 8, iov_len 8
 *  struct cmsghdr (16 + data, 8-aligned): cmsg_len 8, cmsg_level 4, cmsg_type 4, data
 * </pre>
 */
public final class MessageBatch implements AutoCloseable {
    static final int MMSGHDR = 64;
    static final int IOVEC = 16;
    static final int SOCKADDR = 32; // sockaddr_in6 is 28
    /** Control area per message when enabled: two cmsgs with up to 4 bytes of data each. */
    public static final int CONTROL_BYTES = 48;
    private static final int CMSG_HEADER = 16;
    private static final int CMSG_SPACE_4 = 24;
    private static final int NAME = 0;
    private static final int NAMELEN = 8;
    private static final int IOV = 16;
    private static final int IOVLEN = 24;
    private static final int CONTROL = 32;
    private static final int CONTROLLEN = 40;
    private static final int FLAGS = 48;
    private static final int LEN = 56;

    private final Arena arena = Arena.ofShared();
    private final int capacity;
    private final int iovecsPerMessage;
    private final boolean control;
    private final MemorySegment msgs;
    private final MemorySegment iovs;
    private final MemorySegment addrs;
    private final MemorySegment controls;

    /** A batch of {@code capacity} messages with one iovec each and no control messages. */
    public MessageBatch(int capacity) {
        this(capacity, 1, false);
    }

    /** A batch of {@code capacity} messages with up to {@code iovecsPerMessage} iovecs each. */
    public MessageBatch(int capacity, int iovecsPerMessage) {
        this(capacity, iovecsPerMessage, false);
    }

    /**
     * A batch of {@code capacity} messages (1-1024) with up to {@code iovecsPerMessage} iovecs
     * each (1-{@value IoVector#MAX_IOVECS}), and a control area per message when {@code control}.
     */
    public MessageBatch(int capacity, int iovecsPerMessage, boolean control) {
        if (capacity <= 0 || capacity > 1024) {
            throw new IllegalArgumentException("batch capacity must be 1-1024, not " + capacity);
        }
        if (iovecsPerMessage <= 0 || iovecsPerMessage > IoVector.MAX_IOVECS) {
            throw new IllegalArgumentException("iovecs per message must be 1-" + IoVector.MAX_IOVECS + ", not "
                + iovecsPerMessage);
        }
        this.capacity = capacity;
        this.iovecsPerMessage = iovecsPerMessage;
        this.control = control;
        msgs = arena.allocate((long) MMSGHDR * capacity, 64);
        iovs = arena.allocate((long) IOVEC * iovecsPerMessage * capacity, 16);
        addrs = arena.allocate((long) SOCKADDR * capacity, 16);
        controls = control ? arena.allocate((long) CONTROL_BYTES * capacity, 8) : MemorySegment.NULL;
        for (int i = 0; i < capacity; i++) {
            long m = (long) i * MMSGHDR;
            msgs.set(ValueLayout.JAVA_LONG, m + NAME, addrs.address() + (long) i * SOCKADDR);
            msgs.set(ValueLayout.JAVA_INT, m + NAMELEN, SOCKADDR);
            msgs.set(ValueLayout.JAVA_LONG, m + IOV, iovs.address() + iovOffset(i));
            msgs.set(ValueLayout.JAVA_LONG, m + IOVLEN, 1L);
            msgs.set(ValueLayout.JAVA_LONG, m + CONTROL, control ? controls.address() + (long) i * CONTROL_BYTES : 0L);
            msgs.set(ValueLayout.JAVA_LONG, m + CONTROLLEN, 0L);
        }
    }

    public int capacity() {
        return capacity;
    }

    public int iovecsPerMessage() {
        return iovecsPerMessage;
    }

    /** Native address of message {@code i}, for sendmmsg/recvmmsg starting there. */
    public long address(int i) {
        return msgs.address() + (long) i * MMSGHDR;
    }

    /** Points message {@code i} at {@code len} bytes of native memory. */
    public void setBuffer(int i, long bufferAddress, int len) {
        setIovec(i, 0, bufferAddress, len);
        setIovecCount(i, 1);
    }

    /**
     * Points message {@code i} at two pieces of native memory, sent as one datagram: {@code len0}
     * bytes at {@code address0} followed by {@code len1} bytes at {@code address1}.
     */
    public void setBuffers(int i, long address0, int len0, long address1, int len1) {
        setIovec(i, 0, address0, len0);
        setIovec(i, 1, address1, len1);
        setIovecCount(i, 2);
    }

    /** Sets iovec {@code k} of message {@code i}; {@link #setIovecCount} says how many are used. */
    public void setIovec(int i, int k, long address, int len) {
        if (k >= iovecsPerMessage) {
            throw new IndexOutOfBoundsException("iovec " + k + " of " + iovecsPerMessage + " per message");
        }
        long v = iovOffset(i) + (long) k * IOVEC;
        iovs.set(ValueLayout.JAVA_LONG, v, address);
        iovs.set(ValueLayout.JAVA_LONG, v + 8, len);
    }

    public void setIovecCount(int i, int count) {
        msgs.set(ValueLayout.JAVA_LONG, (long) i * MMSGHDR + IOVLEN, count);
    }

    private long iovOffset(int i) {
        return (long) i * iovecsPerMessage * IOVEC;
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

    /**
     * Sets message {@code i}'s destination to an IPv6 address ({@code hi}, {@code lo}: its first
     * and last eight bytes) and port (0 for a raw socket).
     */
    public void setDestination6(int i, long hi, long lo, int port) {
        Libc.writeSockaddrIn6(addrs, (long) i * SOCKADDR, hi, lo, port);
        msgs.set(ValueLayout.JAVA_INT, (long) i * MMSGHDR + NAMELEN, 28);
    }

    /**
     * Sets message {@code i}'s control messages for sending on a UDP socket: {@code UDP_SEGMENT}
     * (the datagram size the kernel cuts the message into, udp(7)) when {@code segmentSize > 0},
     * and the outer {@code IP_TOS} byte when {@code tos >= 0}. Needs a batch with control areas.
     */
    public void setControl(int i, int segmentSize, int tos) {
        setControl(i, segmentSize, tos, false);
    }

    /**
     * {@link #setControl(int, int, int)} for a socket of either family: with {@code ipv6} the
     * byte is the outer traffic class ({@code IPV6_TCLASS}, ipv6(7)) rather than {@code IP_TOS}.
     */
    public void setControl(int i, int segmentSize, int tos, boolean ipv6) {
        requireControl();
        long c = (long) i * CONTROL_BYTES;
        long length = 0;
        if (segmentSize > 0) {
            controls.set(ValueLayout.JAVA_LONG, c, CMSG_HEADER + 2);
            controls.set(ValueLayout.JAVA_INT, c + 8, Libc.SOL_UDP);
            controls.set(ValueLayout.JAVA_INT, c + 12, Libc.UDP_SEGMENT);
            controls.set(ValueLayout.JAVA_LONG, c + CMSG_HEADER, 0L);
            controls.set(ValueLayout.JAVA_SHORT, c + CMSG_HEADER, (short) segmentSize);
            length = CMSG_SPACE_4;
        }
        if (tos >= 0) {
            long t = c + length;
            controls.set(ValueLayout.JAVA_LONG, t, CMSG_HEADER + 4);
            controls.set(ValueLayout.JAVA_INT, t + 8, ipv6 ? Libc.IPPROTO_IPV6 : Libc.IPPROTO_IP);
            controls.set(ValueLayout.JAVA_INT, t + 12, ipv6 ? Libc.IPV6_TCLASS : Libc.IP_TOS);
            controls.set(ValueLayout.JAVA_LONG, t + CMSG_HEADER, 0L);
            controls.set(ValueLayout.JAVA_INT, t + CMSG_HEADER, tos & 0xFF);
            length += CMSG_SPACE_4;
        }
        msgs.set(ValueLayout.JAVA_LONG, (long) i * MMSGHDR + CONTROLLEN, length);
    }

    /** Before recvmmsg: message {@code i} receives into the buffer, any source address and any control messages. */
    public void prepareReceive(int i, long bufferAddress, int capacity) {
        setBuffer(i, bufferAddress, capacity);
        long m = (long) i * MMSGHDR;
        msgs.set(ValueLayout.JAVA_INT, m + NAMELEN, SOCKADDR);
        msgs.set(ValueLayout.JAVA_INT, m + FLAGS, 0);
        msgs.set(ValueLayout.JAVA_LONG, m + CONTROLLEN, control ? CONTROL_BYTES : 0L);
    }

    /**
     * After recvmmsg on a socket with {@code UDP_GRO}: the size of the datagrams the kernel
     * coalesced into message {@code i} (all but the last are that long), or 0 when the message
     * is one datagram.
     */
    public int segmentSize(int i) {
        if (!control) {
            return 0;
        }
        long length = msgs.get(ValueLayout.JAVA_LONG, (long) i * MMSGHDR + CONTROLLEN);
        long c = (long) i * CONTROL_BYTES;
        long end = c + Math.min(length, CONTROL_BYTES);
        while (c + CMSG_HEADER + 4 <= end) {
            long len = controls.get(ValueLayout.JAVA_LONG, c);
            if (len < CMSG_HEADER) {
                return 0;
            }
            if (controls.get(ValueLayout.JAVA_INT, c + 8) == Libc.SOL_UDP
                && controls.get(ValueLayout.JAVA_INT, c + 12) == Libc.UDP_GRO) {
                return controls.get(ValueLayout.JAVA_INT, c + CMSG_HEADER);
            }
            c += (len + 7) & ~7L;
        }
        return 0;
    }

    private void requireControl() {
        if (!control) {
            throw new IllegalStateException("batch has no control areas");
        }
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

    /**
     * The source of a received message as two words: IPv4 {@code a.b.c.d} as
     * {@code 0xaabbccdd_00000000L} (with {@link #sourceLo} 0), IPv6 as its first eight bytes
     * (big-endian); 0 for any other family.
     */
    public long sourceHi(int i) {
        long a = (long) i * SOCKADDR;
        short family = addrs.get(ValueLayout.JAVA_SHORT, a);
        if (family == Libc.AF_INET) {
            return (addrs.get(Libc.NET_INT, a + 4) & 0xFFFF_FFFFL) << 32;
        }
        return family == Libc.AF_INET6 ? addrs.get(Libc.NET_LONG, a + 8) : 0;
    }

    /** The last eight bytes of an IPv6 source (see {@link #sourceHi}); 0 for IPv4. */
    public long sourceLo(int i) {
        long a = (long) i * SOCKADDR;
        return addrs.get(ValueLayout.JAVA_SHORT, a) == Libc.AF_INET6 ? addrs.get(Libc.NET_LONG, a + 16) : 0;
    }

    public int sourcePort(int i) {
        return Short.toUnsignedInt(addrs.get(Libc.NET_SHORT, (long) i * SOCKADDR + 2));
    }

    @Override
    public void close() {
        arena.close();
    }
}
