package io.muslin.tun.epoll;

import io.netty.channel.IoEvent;
import io.netty.channel.IoEventLoop;
import io.netty.channel.IoRegistration;
import io.netty.channel.epoll.EpollIoEvent;
import io.netty.channel.epoll.EpollIoHandle;
import io.netty.channel.epoll.EpollIoOps;
import io.netty.channel.unix.FileDescriptor;

/**
 * Puts a file descriptor muslin owns (TUN device, raw or UDP socket) on a Netty epoll event
 * loop, level-triggered, so its reads and writes run on the loop's thread next to everything
 * else on that loop, with no hand-off. The descriptor stays owned by its creator: cancelling
 * the registration does not close it.
 *
 * <p>All methods except {@link #register} must be called on the event loop.
 */
public final class FdHandle implements EpollIoHandle {

    /** What the loop calls when the descriptor is ready. Runs on the event loop thread. */
    public interface Listener {
        void readable();

        default void writable() {
        }
    }

    private final FileDescriptor fd;
    private final Listener listener;
    private IoRegistration registration;
    private EpollIoOps ops = EpollIoOps.NONE;

    private FdHandle(int fd, Listener listener) {
        this.fd = new FileDescriptor(fd) {
            @Override
            public void close() {
                // Owned by the creator of the descriptor, not by the event loop.
            }
        };
        this.listener = listener;
    }

    /** Registers {@code fd} on {@code loop}, interested in reads; blocks until registered. */
    public static FdHandle register(IoEventLoop loop, int fd, Listener listener) throws InterruptedException {
        FdHandle handle = new FdHandle(fd, listener);
        IoRegistration reg = loop.register(handle).sync().getNow();
        loop.submit(() -> {
            handle.registration = reg;
            handle.setInterest(true, false);
        }).sync();
        return handle;
    }

    /**
     * Sets which readiness the loop reports. "Neither" keeps the descriptor in the epoll set
     * with only {@code EPOLLERR} (which epoll reports regardless): Netty 4.2's registration
     * turns an empty interest set into {@code EPOLL_CTL_DEL} but stays "added", so the next
     * non-empty one becomes an {@code EPOLL_CTL_MOD} that fails with ENOENT, and the
     * descriptor would never be watched again.
     */
    public void setInterest(boolean read, boolean write) {
        EpollIoOps wanted = EpollIoOps.EPOLLERR;
        if (read) {
            wanted = wanted.with(EpollIoOps.EPOLLIN);
        }
        if (write) {
            wanted = wanted.with(EpollIoOps.EPOLLOUT);
        }
        if (!wanted.equals(ops) && registration != null && registration.isValid()) {
            registration.submit(wanted);
            ops = wanted;
        }
    }

    @Override
    public FileDescriptor fd() {
        return fd;
    }

    @Override
    public void handle(IoRegistration reg, IoEvent event) {
        EpollIoOps ready = ((EpollIoEvent) event).ops();
        if (ready.contains(EpollIoOps.EPOLLOUT)) {
            listener.writable();
        }
        if (ready.contains(EpollIoOps.EPOLLIN) || ready.contains(EpollIoOps.EPOLLERR)) {
            listener.readable();
        }
    }

    /** Removes the descriptor from the loop. Call on the event loop; idempotent. */
    public void cancel() {
        if (registration != null) {
            registration.cancel();
        }
    }

    @Override
    public void close() {
        cancel();
    }
}
