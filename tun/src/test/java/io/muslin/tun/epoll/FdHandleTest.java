package io.muslin.tun.epoll;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.muslin.tun.linux.Libc;
import io.muslin.tun.linux.MessageBatch;
import io.muslin.tun.linux.NativeSocket;
import io.netty.channel.IoEventLoop;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollIoHandler;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Interest switched off and on again on a real epoll loop, as a stalled send does (TUN reads
 * off, socket writes on, and back). A UDP socket on loopback: always writable, readable when
 * a datagram is sent to it. No root needed.
 */
class FdHandleTest {
    private static final int LOOPBACK = 0x7F000001;

    private MultiThreadIoEventLoopGroup group;
    private IoEventLoop loop;

    @BeforeEach
    void start() {
        group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
        loop = (IoEventLoop) group.next();
    }

    @AfterEach
    void stop() {
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    private static final class Events implements FdHandle.Listener {
        final AtomicInteger reads = new AtomicInteger();
        final AtomicInteger writes = new AtomicInteger();
        volatile CountDownLatch readLatch = new CountDownLatch(1);
        volatile CountDownLatch writeLatch = new CountDownLatch(1);
        volatile FdHandle handle;

        @Override
        public void readable() {
            reads.incrementAndGet();
            readLatch.countDown();
            handle.setInterest(false, false); // level-triggered: stop before the loop spins
        }

        @Override
        public void writable() {
            writes.incrementAndGet();
            writeLatch.countDown();
            handle.setInterest(false, false);
        }
    }

    private static NativeSocket bind(int[] port) throws Exception {
        Exception last = null;
        for (int attempt = 0; attempt < 50; attempt++) {
            port[0] = 20000 + ThreadLocalRandom.current().nextInt(20000);
            try {
                return NativeSocket.udp(LOOPBACK, port[0], 1 << 20);
            } catch (Exception e) {
                last = e;
            }
        }
        throw last;
    }

    @Test
    void interestTurnedOffComesBackOn() throws Exception {
        int[] port = new int[1];
        try (NativeSocket socket = bind(port);
             NativeSocket sender = NativeSocket.udp(LOOPBACK, 0, 0);
             Arena arena = Arena.ofConfined();
             MessageBatch out = new MessageBatch(1)) {
            Events events = new Events();
            FdHandle handle = FdHandle.register(loop, socket.fd(), events);
            events.handle = handle;
            loop.submit(() -> handle.setInterest(false, false)).sync();

            // write interest after "none": the socket is writable at once
            loop.submit(() -> handle.setInterest(false, true)).sync();
            assertTrue(events.writeLatch.await(2, TimeUnit.SECONDS), "writable() after interest came back");

            // read interest after "none" again: a datagram makes it readable
            loop.submit(() -> handle.setInterest(true, false)).sync();
            MemorySegment errno = Libc.newErrnoSegment(arena);
            MemorySegment data = arena.allocate(16);
            out.setBuffer(0, data.address(), 16);
            out.setDestination(0, LOOPBACK, port[0]);
            assertEquals(1, sender.send(out, 0, 1, errno));
            assertTrue(events.readLatch.await(2, TimeUnit.SECONDS), "readable() after interest came back");

            // and nothing while the interest is off
            int writes = events.writes.get();
            Thread.sleep(100);
            assertEquals(writes, events.writes.get(), "no writable() with interest off");
            loop.submit(handle::cancel).sync();
        }
    }
}
