package io.muslin.dataplane.observe;

import io.muslin.dataplane.capture.Capture;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.HdrHistogram.Histogram;

/**
 * A dataplane's {@link ThreadProbe}s, one per thread, and what exporters read of them: stage
 * latency histograms (summed over threads) and traffic per peer (summed over threads, at most
 * {@link #PEER_LIMIT} peers by name and the rest together). Readers may call from any thread.
 */
public final class DataplaneProbes {
    /** Peers reported by address; the traffic of others is summed under {@link #OTHER_PEERS}. */
    public static final int PEER_LIMIT = PeerTraffic.LIMIT;
    /** The peer key of everything beyond {@link #PEER_LIMIT}. */
    public static final String OTHER_PEERS = "other";

    private final Capture capture;
    private final List<ThreadProbe> threads = new CopyOnWriteArrayList<>();

    /** @param capture where the probes' capture taps come from, or null for none */
    public DataplaneProbes(Capture capture) {
        this.capture = capture;
    }

    /** The probe of one more dataplane thread. */
    public ThreadProbe newThread() {
        ThreadProbe p = new ThreadProbe(capture == null ? io.muslin.dataplane.capture.PacketTap.NONE : capture.newTap());
        threads.add(p);
        return p;
    }

    /** The stage's latency since start, over all threads, in nanoseconds (a copy). */
    public synchronized Histogram latency(Stage stage) {
        Histogram sum = new Histogram(1, StageLatency.MAX_NANOS, 2);
        for (ThreadProbe t : threads) {
            sum.add(t.latency(stage).cumulative());
        }
        return sum;
    }

    /** One peer's traffic, over all threads. */
    public record PeerTotals(int address, long txPackets, long txBytes, long rxPackets, long rxBytes) {
    }

    /** Traffic per peer, over all threads; the entry with address 0 sums the peers beyond the limit. */
    public List<PeerTotals> peers() {
        Map<Integer, long[]> sums = new HashMap<>();
        for (ThreadProbe t : threads) {
            t.peers().forEach((address, txp, txb, rxp, rxb) -> {
                long[] s = sums.computeIfAbsent(address, a -> new long[4]);
                s[0] += txp;
                s[1] += txb;
                s[2] += rxp;
                s[3] += rxb;
            });
        }
        // Threads may each have given different peers slots: beyond the limit overall, fold into "other".
        List<PeerTotals> out = new ArrayList<>();
        long[] other = sums.getOrDefault(0, new long[4]);
        int named = 0;
        for (Map.Entry<Integer, long[]> e : sums.entrySet()) {
            if (e.getKey() == 0) {
                continue;
            }
            long[] s = e.getValue();
            if (named < PEER_LIMIT) {
                out.add(new PeerTotals(e.getKey(), s[0], s[1], s[2], s[3]));
                named++;
            } else {
                for (int i = 0; i < 4; i++) {
                    other[i] += s[i];
                }
            }
        }
        out.add(new PeerTotals(0, other[0], other[1], other[2], other[3]));
        return out;
    }
}
