package io.muslin.dataplane.engine;

import io.muslin.tun.epoll.FdHandle;
import io.muslin.tun.linux.Libc;
import io.muslin.tun.linux.NativeSocket;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.function.IntConsumer;

/**
 * Follows the underlay device's MTU: reads rtnetlink link notifications (RTM_NEWLINK) on the
 * event loop and reports each new MTU of the watched interface once.
 *
 * <pre>
 *  nlmsghdr (16) | ifinfomsg (16): family, pad, type u16, index i32, flags u32, change u32 | rtattrs: IFLA_MTU (4) u32, ...
 * </pre>
 */
final class UnderlayLinkWatcher implements FdHandle.Listener, AutoCloseable {
    static final int RTM_NEWLINK = 16;
    static final int IFLA_MTU = 4;
    static final int CAPACITY = 16 << 10;

    private final NativeSocket socket;
    private final int ifindex;
    private final IntConsumer onMtu;
    private final ByteBuf buffer;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment errno = Libc.newErrnoSegment(arena);
    private int lastMtu;

    /** @param onMtu called on the event loop with each new MTU of interface {@code ifindex} */
    UnderlayLinkWatcher(NativeSocket socket, int ifindex, int currentMtu, IntConsumer onMtu, ByteBufAllocator alloc) {
        this.socket = socket;
        this.ifindex = ifindex;
        this.lastMtu = currentMtu;
        this.onMtu = onMtu;
        this.buffer = alloc.directBuffer(CAPACITY, CAPACITY);
    }

    @Override
    public void readable() {
        for (int round = 0; round < 64; round++) {
            long n = socket.read(errno, buffer.memoryAddress(), CAPACITY);
            if (n <= 0) {
                return;
            }
            buffer.setIndex(0, (int) n);
            int mtu = mtuOf(buffer, ifindex);
            if (mtu > 0 && mtu != lastMtu) {
                lastMtu = mtu;
                onMtu.accept(mtu);
            }
        }
    }

    /**
     * The last MTU reported for interface {@code ifindex} by the RTM_NEWLINK messages in
     * {@code buf} (one netlink datagram, in host byte order: little-endian on the x86-64 and
     * arm64 machines muslin runs on), or 0 when there is none.
     */
    static int mtuOf(ByteBuf buf, int ifindex) {
        int mtu = 0;
        int end = buf.writerIndex();
        for (int off = buf.readerIndex(); off + 32 <= end; ) {
            int msgLen = buf.getIntLE(off);
            if (msgLen < 16 || msgLen > end - off) { // not off + msgLen: a length near 2^31 wraps
                return mtu;
            }
            if (buf.getShortLE(off + 4) == RTM_NEWLINK && msgLen >= 32 && buf.getIntLE(off + 20) == ifindex) {
                for (int at = off + 32; at + 4 <= off + msgLen; ) {
                    int attrLen = buf.getUnsignedShortLE(at);
                    if (attrLen < 4 || attrLen > off + msgLen - at) {
                        break;
                    }
                    if ((buf.getUnsignedShortLE(at + 2) & 0x3FFF) == IFLA_MTU && attrLen >= 8) {
                        mtu = buf.getIntLE(at + 4);
                    }
                    at += (attrLen + 3) & ~3;
                }
            }
            off += (msgLen + 3) & ~3;
        }
        return mtu;
    }

    @Override
    public void close() {
        buffer.release();
        arena.close();
    }
}
