package io.muslin.tun.linux;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * A small rtnetlink client (NETLINK_ROUTE) for the addresses and routes muslin installs.
 * Each request asks for an acknowledgement and waits for it, so a failure is reported with
 * the kernel's errno. Control-plane only; not thread-safe (one caller at a time).
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
    static final short NLMSG_ERROR = 2;
    static final short NLM_F_REQUEST = 0x1;
    static final short NLM_F_ACK = 0x4;
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
    static final short IFA_ADDRESS = 1;
    static final short IFA_LOCAL = 2;
    /** rtm_protocol of the routes muslin installs ("proto 109" in {@code ip route}); static would be 4. */
    public static final int RTPROT_MUSLIN = 109;

    private final int fd;
    private final Arena arena = Arena.ofConfined();
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
        buf.set(ValueLayout.JAVA_INT, 0, len);
        int expectSeq = seq;
        Libc.sendto(fd, buf, len, MemorySegment.NULL, what);
        while (true) {
            long n = Libc.recv(fd, buf, what);
            long off = 0;
            while (off + 16 <= n) {
                int msgLen = buf.get(ValueLayout.JAVA_INT, off);
                short msgType = buf.get(ValueLayout.JAVA_SHORT, off + 4);
                int msgSeq = buf.get(ValueLayout.JAVA_INT, off + 8);
                if (msgLen < 16) {
                    throw new LinuxException(what + " (bad netlink reply)", 71 /* EPROTO */);
                }
                if (msgType == NLMSG_ERROR && msgSeq == expectSeq) {
                    int error = buf.get(ValueLayout.JAVA_INT, off + 16);
                    if (error != 0) {
                        throw new LinuxException(what, -error);
                    }
                    return;
                }
                off += (msgLen + 3) & ~3;
            }
        }
    }

    @Override
    public void close() {
        Libc.close(fd);
        arena.close();
    }
}
