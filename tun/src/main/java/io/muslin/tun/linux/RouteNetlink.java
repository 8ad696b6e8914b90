package io.muslin.tun.linux;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * A small rtnetlink client (NETLINK_ROUTE) for the addresses and routes muslin installs.
 * Each request asks for an acknowledgement and waits for it, so a failure is reported with
 * the kernel's errno. Control-plane only; not thread-safe: one caller at a time, from any thread.
 *
 * <pre>
 *  nlmsghdr (16): len u32 | type u16 | flags u16 | seq u32 | pid u32        (host byte order)
 *  rtmsg    (12): family | dst_len | src_len | tos | table | protocol | scope | type | flags u32
 *  ifaddrmsg (8): family | prefixlen | flags | scope | index u32
 *  rtattr       : len u16 | type u16 | payload, padded to 4
 * </pre>
 */
public final class RouteNetlink implements AutoCloseable {
    static final int NETLINK_ROUTE = 0;
    static final short RTM_NEWADDR = 20;
    static final short RTM_DELADDR = 21;
    static final short RTM_NEWROUTE = 24;
    static final short RTM_DELROUTE = 25;
    static final short RTM_GETROUTE = 26;
    static final short NLMSG_ERROR = 2;
    static final short NLMSG_DONE = 3;
    static final short NLM_F_REQUEST = 0x1;
    static final short NLM_F_ACK = 0x4;
    static final short NLM_F_DUMP = 0x300;
    static final short NLM_F_REPLACE = 0x100;
    static final short NLM_F_EXCL = 0x200;
    static final short NLM_F_CREATE = 0x400;
    static final int RT_TABLE_MAIN = 254;
    static final int RT_SCOPE_UNIVERSE = 0;
    static final int RT_SCOPE_LINK = 253;
    static final int RT_SCOPE_HOST = 254;
    static final int RTN_UNICAST = 1;
    static final int RTNH_F_ONLINK = 4;
    static final short RTA_DST = 1;
    static final short RTA_OIF = 4;
    static final short RTA_GATEWAY = 5;
    static final short RTA_PREFSRC = 7;
    static final short RTA_TABLE = 15;
    static final short IFA_ADDRESS = 1;
    static final short IFA_LOCAL = 2;
    static final int IFA_F_NODAD = 0x02;
    /** rtm_protocol of the routes muslin installs ("proto 109" in {@code ip route}); static would be 4. */
    public static final int RTPROT_MUSLIN = 109;
    static final int EPROTO = 71;
    /** Bytes of a struct rtmsg, after the nlmsghdr of an RTM_NEWROUTE. */
    static final int RTMSG_LENGTH = 12;

    private final int fd;
    private final Arena arena = Arena.ofShared(); // callers serialize; they need not be one thread
    private final MemorySegment buf = arena.allocate(8192, 8);
    private int seq;

    public RouteNetlink() throws LinuxException {
        fd = Libc.socket(Libc.AF_NETLINK, Libc.SOCK_RAW | Libc.SOCK_CLOEXEC, NETLINK_ROUTE);
    }

    /** Adds {@code ipv4/prefixLen} to interface {@code ifindex} (like {@code ip addr add}). */
    public void addAddress(int ifindex, int ipv4, int prefixLen) throws LinuxException {
        int len = header(RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL);
        buf.set(ValueLayout.JAVA_BYTE, len, (byte) Libc.AF_INET);
        buf.set(ValueLayout.JAVA_BYTE, len + 1, (byte) prefixLen);
        buf.set(ValueLayout.JAVA_BYTE, len + 2, (byte) 0);
        buf.set(ValueLayout.JAVA_BYTE, len + 3, (byte) RT_SCOPE_UNIVERSE);
        buf.set(ValueLayout.JAVA_INT, len + 4, ifindex);
        len += 8;
        len = attrIpv4(len, IFA_LOCAL, ipv4);
        len = attrIpv4(len, IFA_ADDRESS, ipv4);
        transact(len, "add address " + NativeSocket.formatIpv4(ipv4) + "/" + prefixLen);
    }

    /**
     * Adds the IPv6 address ({@code hi}, {@code lo})/{@code prefixLen} to interface
     * {@code ifindex} without duplicate address detection ({@code ip -6 addr add ... nodad}).
     */
    public void addAddress6(int ifindex, long hi, long lo, int prefixLen) throws LinuxException {
        int len = header(RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL);
        buf.set(ValueLayout.JAVA_BYTE, len, (byte) Libc.AF_INET6);
        buf.set(ValueLayout.JAVA_BYTE, len + 1, (byte) prefixLen);
        buf.set(ValueLayout.JAVA_BYTE, len + 2, (byte) IFA_F_NODAD);
        buf.set(ValueLayout.JAVA_BYTE, len + 3, (byte) RT_SCOPE_UNIVERSE);
        buf.set(ValueLayout.JAVA_INT, len + 4, ifindex);
        len += 8;
        len = attrIpv6(len, IFA_ADDRESS, hi, lo);
        transact(len, "add address " + Long.toHexString(hi) + ":" + Long.toHexString(lo) + "/" + prefixLen);
    }

    /** Adds (or replaces) the IPv6 route ({@code hi}, {@code lo})/{@code dstLen} out of interface {@code ifindex}. */
    public void addRoute6(long hi, long lo, int dstLen, int ifindex) throws LinuxException {
        transact(route6Message(RTM_NEWROUTE, NLM_F_CREATE | NLM_F_REPLACE, hi, lo, dstLen, ifindex),
            "add route " + describe6(hi, lo, dstLen, ifindex));
    }

    /** Deletes a route added by {@link #addRoute6}; a route that is already gone is not an error. */
    public void deleteRoute6(long hi, long lo, int dstLen, int ifindex) throws LinuxException {
        try {
            transact(route6Message(RTM_DELROUTE, 0, hi, lo, dstLen, ifindex),
                "delete route " + describe6(hi, lo, dstLen, ifindex));
        } catch (LinuxException e) {
            if (e.errno() != Libc.ESRCH && e.errno() != Libc.ENOENT) {
                throw e;
            }
        }
    }

    private int route6Message(short type, int flags, long hi, long lo, int dstLen, int ifindex) {
        int len = header(type, flags);
        buf.set(ValueLayout.JAVA_BYTE, len, (byte) Libc.AF_INET6);
        buf.set(ValueLayout.JAVA_BYTE, len + 1, (byte) dstLen);
        buf.set(ValueLayout.JAVA_BYTE, len + 4, (byte) RT_TABLE_MAIN);
        buf.set(ValueLayout.JAVA_BYTE, len + 5, (byte) RTPROT_MUSLIN);
        buf.set(ValueLayout.JAVA_BYTE, len + 6, (byte) RT_SCOPE_UNIVERSE); // IPv6 routes are all universe scope
        buf.set(ValueLayout.JAVA_BYTE, len + 7, (byte) RTN_UNICAST);
        len += 12;
        len = attrIpv6(len, RTA_DST, hi, lo);
        return attrInt(len, RTA_OIF, ifindex);
    }

    private static String describe6(long hi, long lo, int dstLen, int ifindex) {
        return String.format("%016x%016x/%d ifindex %d", hi, lo, dstLen, ifindex);
    }

    private int attrIpv6(int at, short type, long hi, long lo) {
        buf.set(ValueLayout.JAVA_SHORT, at, (short) 20);
        buf.set(ValueLayout.JAVA_SHORT, at + 2, type);
        buf.set(Libc.NET_LONG, at + 4, hi);
        buf.set(Libc.NET_LONG, at + 12, lo);
        return at + 20;
    }

    /**
     * Adds (or replaces) a route {@code dst/dstLen} out of interface {@code ifindex}, with an
     * optional gateway ({@code 0} = none; then the route is scope link) marked {@code onlink}.
     */
    public void addRoute(int dst, int dstLen, int ifindex, int gateway, boolean onlink) throws LinuxException {
        int len = routeMessage(RTM_NEWROUTE, NLM_F_CREATE | NLM_F_REPLACE, dst, dstLen, ifindex, gateway, onlink);
        transact(len, "add route " + describe(dst, dstLen, gateway, ifindex));
    }

    /** Deletes a route added by {@link #addRoute}; a route that is already gone is not an error. */
    public void deleteRoute(int dst, int dstLen, int ifindex, int gateway) throws LinuxException {
        int len = routeMessage(RTM_DELROUTE, 0, dst, dstLen, ifindex, gateway, false);
        try {
            transact(len, "delete route " + describe(dst, dstLen, gateway, ifindex));
        } catch (LinuxException e) {
            if (e.errno() != Libc.ESRCH && e.errno() != Libc.ENOENT) {
                throw e;
            }
        }
    }

    /**
     * Asks the kernel how it would route a packet to {@code dst} now (like {@code ip route get}).
     *
     * @throws LinuxException with the kernel's errno, e.g. ENETUNREACH when no route covers it
     */
    public RouteInfo lookup(int dst) throws LinuxException {
        int len = header(RTM_GETROUTE, 0);
        buf.set(ValueLayout.JAVA_BYTE, len, (byte) Libc.AF_INET);
        buf.set(ValueLayout.JAVA_BYTE, len + 1, (byte) 32);
        len += 12;
        len = attrIpv4(len, RTA_DST, dst);
        RouteInfo[] found = new RouteInfo[1];
        request(len, "route lookup " + NativeSocket.formatIpv4(dst), false, (off, msgLen) -> found[0] = parseRoute(buf, off, msgLen));
        if (found[0] == null) {
            throw new LinuxException("route lookup " + NativeSocket.formatIpv4(dst) + " (no answer)", EPROTO);
        }
        return found[0];
    }

    /** The IPv4 routes of the main table whose protocol is {@code protocol} (e.g. {@link #RTPROT_MUSLIN}). */
    public List<RouteInfo> routes(int protocol) throws LinuxException {
        int len = header(RTM_GETROUTE, NLM_F_DUMP);
        buf.set(ValueLayout.JAVA_SHORT, 6, (short) (NLM_F_REQUEST | NLM_F_DUMP)); // a dump ends with DONE, not an ACK
        buf.set(ValueLayout.JAVA_BYTE, len, (byte) Libc.AF_INET);
        len += 12;
        List<RouteInfo> out = new ArrayList<>();
        request(len, "list routes", true, (off, msgLen) -> {
            RouteInfo r = parseRoute(buf, off, msgLen);
            if (r.protocol() == protocol && r.table() == RT_TABLE_MAIN) {
                out.add(r);
            }
        });
        return out;
    }

    /**
     * Reads the RTM_NEWROUTE message of {@code msgLen} bytes at {@code off} in {@code buf}: its
     * rtmsg and the attributes that fit inside it.
     */
    static RouteInfo parseRoute(MemorySegment buf, long off, int msgLen) {
        long rtm = off + 16;
        int dstLen = Byte.toUnsignedInt(buf.get(ValueLayout.JAVA_BYTE, rtm + 1));
        int table = Byte.toUnsignedInt(buf.get(ValueLayout.JAVA_BYTE, rtm + 4));
        int protocol = Byte.toUnsignedInt(buf.get(ValueLayout.JAVA_BYTE, rtm + 5));
        int type = Byte.toUnsignedInt(buf.get(ValueLayout.JAVA_BYTE, rtm + 7));
        int dst = 0;
        int gateway = 0;
        int oif = 0;
        int prefsrc = 0;
        long at = rtm + 12;
        long end = off + msgLen;
        while (at + 4 <= end) {
            int attrLen = Short.toUnsignedInt(buf.get(ValueLayout.JAVA_SHORT, at));
            int attrType = buf.get(ValueLayout.JAVA_SHORT, at + 2) & 0x3FFF;
            if (attrLen < 4 || at + attrLen > end) {
                break;
            }
            if (attrLen >= 8) {
                switch (attrType) {
                    case RTA_DST -> dst = buf.get(Libc.NET_INT, at + 4);
                    case RTA_GATEWAY -> gateway = buf.get(Libc.NET_INT, at + 4);
                    case RTA_OIF -> oif = buf.get(ValueLayout.JAVA_INT, at + 4);
                    case RTA_PREFSRC -> prefsrc = buf.get(Libc.NET_INT, at + 4);
                    case RTA_TABLE -> table = buf.get(ValueLayout.JAVA_INT, at + 4);
                    default -> {
                    }
                }
            }
            at += (attrLen + 3) & ~3;
        }
        return new RouteInfo(dst, dstLen, gateway, oif, prefsrc, type, protocol, table);
    }

    /**
     * A route as the kernel reports it.
     *
     * @param dst      destination network address (0 for a default route)
     * @param dstLen   destination prefix length
     * @param gateway  next-hop gateway, 0 when the destination is on-link
     * @param oif      outgoing interface index, 0 when none
     * @param prefsrc  preferred source address, 0 when none
     * @param type     {@code rtm_type}: 1 unicast, 2 local, 7 unreachable, ...
     * @param protocol {@code rtm_protocol}: who installed it ({@link #RTPROT_MUSLIN} for us)
     * @param table    routing table id (254 main)
     */
    public record RouteInfo(int dst, int dstLen, int gateway, int oif, int prefsrc, int type, int protocol, int table) {
        /** True for a unicast route out of an interface with no gateway: the destination is on-link. */
        public boolean onLink() {
            return type == RTN_UNICAST && gateway == 0 && oif != 0;
        }

        @Override
        public String toString() {
            return NativeSocket.formatIpv4(dst) + "/" + dstLen
                + (gateway != 0 ? " via " + NativeSocket.formatIpv4(gateway) : "") + " oif " + oif + " type " + type
                + " proto " + protocol + " table " + table;
        }
    }

    private static String describe(int dst, int dstLen, int gateway, int ifindex) {
        return NativeSocket.formatIpv4(dst) + "/" + dstLen
            + (gateway != 0 ? " via " + NativeSocket.formatIpv4(gateway) : "") + " ifindex " + ifindex;
    }

    private int routeMessage(short type, int flags, int dst, int dstLen, int ifindex, int gateway, boolean onlink) {
        int len = header(type, flags);
        buf.set(ValueLayout.JAVA_BYTE, len, (byte) Libc.AF_INET);
        buf.set(ValueLayout.JAVA_BYTE, len + 1, (byte) dstLen);
        buf.set(ValueLayout.JAVA_BYTE, len + 2, (byte) 0);
        buf.set(ValueLayout.JAVA_BYTE, len + 3, (byte) 0);
        buf.set(ValueLayout.JAVA_BYTE, len + 4, (byte) RT_TABLE_MAIN);
        buf.set(ValueLayout.JAVA_BYTE, len + 5, (byte) RTPROT_MUSLIN);
        buf.set(ValueLayout.JAVA_BYTE, len + 6, (byte) (gateway == 0 ? RT_SCOPE_LINK : RT_SCOPE_UNIVERSE));
        buf.set(ValueLayout.JAVA_BYTE, len + 7, (byte) RTN_UNICAST);
        buf.set(ValueLayout.JAVA_INT, len + 8, onlink ? RTNH_F_ONLINK : 0);
        len += 12;
        len = attrIpv4(len, RTA_DST, dst);
        if (gateway != 0) {
            len = attrIpv4(len, RTA_GATEWAY, gateway);
        }
        if (ifindex != 0) {
            len = attrInt(len, RTA_OIF, ifindex);
        }
        return len;
    }

    private int header(short type, int flags) {
        buf.fill((byte) 0);
        buf.set(ValueLayout.JAVA_SHORT, 4, type);
        buf.set(ValueLayout.JAVA_SHORT, 6, (short) (NLM_F_REQUEST | NLM_F_ACK | flags));
        buf.set(ValueLayout.JAVA_INT, 8, ++seq);
        return 16;
    }

    private int attrIpv4(int at, short type, int ipv4) {
        buf.set(ValueLayout.JAVA_SHORT, at, (short) 8);
        buf.set(ValueLayout.JAVA_SHORT, at + 2, type);
        buf.set(Libc.NET_INT, at + 4, ipv4);
        return at + 8;
    }

    private int attrInt(int at, short type, int value) {
        buf.set(ValueLayout.JAVA_SHORT, at, (short) 8);
        buf.set(ValueLayout.JAVA_SHORT, at + 2, type);
        buf.set(ValueLayout.JAVA_INT, at + 4, value);
        return at + 8;
    }

    /** Sends the request in {@code buf[0..len)} and waits for its acknowledgement. */
    private void transact(int len, String what) throws LinuxException {
        request(len, what, false, (off, msgLen) -> { });
    }

    /** What a request does with each RTM_NEWROUTE-style answer at {@code buf[off..off+msgLen)}. */
    @FunctionalInterface
    interface Answer {
        void accept(long off, int msgLen);
    }

    /**
     * Sends the request in {@code buf[0..len)} and hands each answer of ours to {@code answer}
     * until the acknowledgement (or, for a dump, NLMSG_DONE) arrives.
     */
    private void request(int len, String what, boolean dump, Answer answer) throws LinuxException {
        buf.set(ValueLayout.JAVA_INT, 0, len);
        int expectSeq = seq;
        Libc.sendto(fd, buf, len, MemorySegment.NULL, what);
        while (!replies(buf, Libc.recv(fd, buf, what), expectSeq, dump, what, answer)) {
            // the answer goes on in the next datagram
        }
    }

    /**
     * Reads one netlink datagram of {@code n} bytes at the start of {@code buf}, the kernel's
     * answer to request {@code expectSeq}: hands each RTM_NEWROUTE of ours (a whole nlmsghdr and
     * rtmsg) to {@code answer}; skips messages of other requests.
     *
     * @return true when the request is finished (its acknowledgement, or for a {@code dump}
     *         NLMSG_DONE); false when more datagrams follow
     * @throws LinuxException the kernel's error for the request, or EPROTO for a datagram that
     *         is not well-formed netlink (a length that does not fit, a message too short for its type)
     */
    static boolean replies(MemorySegment buf, long n, int expectSeq, boolean dump, String what, Answer answer)
        throws LinuxException {
        long off = 0;
        while (off + 16 <= n) {
            int msgLen = buf.get(ValueLayout.JAVA_INT, off);
            short msgType = buf.get(ValueLayout.JAVA_SHORT, off + 4);
            int msgSeq = buf.get(ValueLayout.JAVA_INT, off + 8);
            if (msgLen < 16 || off + msgLen > n) {
                throw new LinuxException(what + " (bad netlink reply)", EPROTO);
            }
            if (msgSeq == expectSeq) {
                if (msgType == NLMSG_ERROR) {
                    if (msgLen < 16 + 4) {
                        throw new LinuxException(what + " (bad netlink reply: NLMSG_ERROR of " + msgLen + " bytes)", EPROTO);
                    }
                    int error = buf.get(ValueLayout.JAVA_INT, off + 16);
                    if (error != 0) {
                        throw new LinuxException(what, -error);
                    }
                    return true;
                }
                if (msgType == NLMSG_DONE && dump) {
                    return true;
                }
                if (msgType == RTM_NEWROUTE) {
                    if (msgLen < 16 + RTMSG_LENGTH) {
                        throw new LinuxException(what + " (bad netlink reply: RTM_NEWROUTE of " + msgLen + " bytes)", EPROTO);
                    }
                    answer.accept(off, msgLen);
                }
            }
            off += (msgLen + 3) & ~3;
        }
        return false;
    }

    @Override
    public void close() {
        Libc.close(fd);
        arena.close();
    }
}
