package io.muslin.dataplane.capture;

import java.util.ArrayList;
import java.util.List;

/**
 * A dataplane's captures: hands out one {@link PacketTap} per dataplane thread and switches the
 * taps' recorders when a {@link CaptureSession} starts or ends. Several captures may run at once
 * (each with its own points, filter and ring); with none, every tap's recorder is null.
 *
 * <p>Threads: {@link #newTap} while the dataplane starts; {@link #open} and the sessions' ends
 * from any thread (serialized here); the taps are read by the dataplane threads.
 */
public final class Capture {
    private final CaptureContext context;
    private final List<Tap> taps = new ArrayList<>();
    private final List<CaptureSession> sessions = new ArrayList<>();

    public Capture(CaptureContext context) {
        this.context = context;
    }

    public CaptureContext context() {
        return context;
    }

    /** A tap for one more dataplane thread (call before any capture is opened). */
    public synchronized PacketTap newTap() {
        Tap tap = new Tap(taps.size());
        taps.add(tap);
        return tap;
    }

    /**
     * Opens a capture: from now on the taps record for it. Run it with
     * {@link CaptureSession#run}; it detaches itself when it ends.
     */
    public synchronized CaptureSession open(CaptureSettings settings) {
        CaptureSession session = new CaptureSession(this, settings, Math.max(1, taps.size()));
        sessions.add(session);
        retap();
        return session;
    }

    /** Asks every running capture to end (the dataplane is stopping); each writes what it holds and returns. */
    public synchronized void stopAll() {
        sessions.forEach(CaptureSession::stop);
    }

    /** Captures running now. */
    public synchronized int running() {
        return sessions.size();
    }

    synchronized void detach(CaptureSession session) {
        if (sessions.remove(session)) {
            retap();
        }
    }

    private void retap() {
        for (Tap tap : taps) {
            Recorder[] recorders = new Recorder[sessions.size()];
            for (int i = 0; i < recorders.length; i++) {
                recorders[i] = sessions.get(i).recorder(tap.index);
            }
            tap.current = switch (recorders.length) {
                case 0 -> null;
                case 1 -> recorders[0];
                default -> new FanOutRecorder(recorders);
            };
        }
    }

    private static final class Tap implements PacketTap {
        final int index;
        volatile Recorder current;

        Tap(int index) {
            this.index = index;
        }

        @Override
        public Recorder recorder() {
            return current;
        }
    }
}
