package io.muslin.node.admin;

import io.muslin.dataplane.capture.Capture;
import io.muslin.dataplane.capture.CapturePoint;
import io.muslin.dataplane.capture.CaptureSession;
import io.muslin.dataplane.capture.CaptureSettings;
import io.muslin.dataplane.capture.CaptureSink;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One {@code capture} request on the admin socket, on its own thread ({@code muslin-capture-N}):
 * opens the capture, streams it to the client in {@link CaptureFrames} and ends it when the
 * client shuts down its side (Ctrl-C), goes away, or the capture's count or duration is reached.
 * The channel is non-blocking (it came from the admin selector): writes wait for room here, on
 * this thread, never on the dataplane's.
 */
final class CaptureStream implements CaptureSink, Runnable {
    private static final Logger LOG = LoggerFactory.getLogger(CaptureStream.class);
    private static final AtomicInteger THREADS = new AtomicInteger();
    private static final long WRITE_WAIT_NANOS = TimeUnit.MILLISECONDS.toNanos(1);
    /** A client that reads nothing this long is given up (the capture ends). */
    static final long STALL_NANOS = TimeUnit.SECONDS.toNanos(30);

    private final SocketChannel channel;
    private final Capture capture;
    private final String request;
    private final ByteBuffer probe = ByteBuffer.allocate(64);

    private CaptureStream(SocketChannel channel, Capture capture, String request) {
        this.channel = channel;
        this.capture = capture;
        this.request = request;
    }

    /** Serves {@code request} (the JSON after the word) on {@code channel}, on a new thread that closes it. */
    static void start(SocketChannel channel, Capture capture, String request) {
        Thread.ofPlatform().daemon().name("muslin-capture-" + THREADS.incrementAndGet())
            .start(new CaptureStream(channel, capture, request));
    }

    @Override
    public void run() {
        try (channel) {
            if (capture == null) {
                send(CaptureFrames.text(CaptureFrames.ERROR, "this backend has no packet path to capture (host-gw)"));
                return;
            }
            CaptureSettings settings;
            try {
                settings = CaptureRequest.parse(request).settings();
            } catch (IllegalArgumentException e) {
                send(CaptureFrames.text(CaptureFrames.ERROR, e.getMessage()));
                return;
            }
            CaptureSession session = capture.open(settings);
            CaptureSession.Result result;
            try {
                send(CaptureFrames.text(CaptureFrames.INFO, "capturing on " + capture.context().device() + " at "
                    + settings.points().stream().sorted().map(CapturePoint::label).collect(Collectors.joining(","))
                    + (settings.filter().matchesAll() ? "" : ", filter " + (settings.outer() ? "(outer) " : "")
                    + settings.filter().expression())));
                result = session.run(this);
            } finally {
                session.stop();
            }
            send(CaptureFrames.text(CaptureFrames.SUMMARY, result.toString()));
            LOG.info("capture on {} ended: {}", capture.context().device(), result);
        } catch (IOException e) {
            LOG.debug("capture client gone: {}", e.toString());
        }
    }

    @Override
    public void write(ByteBuffer pcapng) throws IOException {
        send(CaptureFrames.header(CaptureFrames.PCAPNG, pcapng.remaining()));
        send(pcapng);
    }

    /** The client shut down its side (or went away): stop. Never blocks. */
    @Override
    public boolean stopRequested() {
        try {
            probe.clear();
            return channel.read(probe) < 0;
        } catch (IOException e) {
            return true;
        }
    }

    /** Writes all of {@code b}, waiting for room; a client that takes nothing for {@link #STALL_NANOS} is given up. */
    private void send(ByteBuffer b) throws IOException {
        long since = System.nanoTime();
        while (b.hasRemaining()) {
            if (channel.write(b) > 0) {
                since = System.nanoTime();
            } else if (System.nanoTime() - since > STALL_NANOS) {
                throw new IOException("capture client read nothing for " + TimeUnit.NANOSECONDS.toSeconds(STALL_NANOS)
                    + " s");
            } else {
                LockSupport.parkNanos(WRITE_WAIT_NANOS);
            }
        }
    }
}
