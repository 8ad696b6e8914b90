package io.muslin.dataplane.engine;

import io.netty.channel.SelectStrategy;
import io.netty.channel.SelectStrategyFactory;
import io.netty.util.IntSupplier;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * What a dataplane thread does when it has nothing to do, after Aeron's idle strategies: after
 * work it keeps polling its descriptors ({@code epoll_wait} with no timeout, yielding the CPU
 * between polls) for up to {@code spinNanos}, and only then blocks in {@code epoll_wait}. A
 * packet that arrives in that window, typically the answer to what was just forwarded, is taken
 * without waking a parked thread, which is what each hop of a quiet daemon costs otherwise
 * (scripts/latency-stages.sh: 150-300 µs per hop on the 2-vCPU lab, four hops a round trip).
 *
 * <p>It yields rather than spins: another thread runnable on this CPU runs first. In the lab
 * the other node's daemon is often woken onto this very CPU by the packet just sent, and a
 * pure spin made it wait out the window (measured: about 1 ms more per hop with a 1 ms window).
 *
 * <p>Bounded: the window opens only after a wake-up or an event, so an idle daemon never
 * polls; and the time between empty polls is capped at {@code maxShare} of each second (past
 * it the thread blocks at once until the next second), so steady light traffic, where every
 * packet would open a new window, cannot turn the thread into a busy loop. {@code spinNanos}
 * 0 is plain blocking, Netty's default.
 *
 * <p>One instance per event loop (Netty asks the factory once per loop); not thread-safe.
 */
final class IdleStrategy implements SelectStrategy {
    private static final long SECOND = TimeUnit.SECONDS.toNanos(1);

    private final long spinNanos;
    private final long budgetNanos;
    private final LongSupplier clock;
    /** The loop blocked in epoll_wait last time: whatever follows is a wake-up. */
    private boolean blocked;
    private long spinUntil;
    private long lastPoll;
    private boolean lastPollEmpty;
    private long secondStart;
    private long spentThisSecond;

    IdleStrategy(long spinNanos, double maxShare) {
        this(spinNanos, maxShare, System::nanoTime);
    }

    /** @param clock {@link System#nanoTime} but in tests */
    IdleStrategy(long spinNanos, double maxShare, LongSupplier clock) {
        if (spinNanos < 0 || maxShare < 0 || maxShare > 1) {
            throw new IllegalArgumentException("spin " + spinNanos + " ns, share " + maxShare);
        }
        this.spinNanos = spinNanos;
        this.budgetNanos = (long) (SECOND * maxShare);
        this.clock = clock;
        this.secondStart = clock.getAsLong();
    }

    /** A factory for Netty's event loops; {@code spinNanos} 0 gives Netty's default strategy. */
    static SelectStrategyFactory factory(long spinNanos, double maxShare) {
        return () -> new IdleStrategy(spinNanos, maxShare);
    }

    @Override
    public int calculateStrategy(IntSupplier selectSupplier, boolean hasTasks) throws Exception {
        if (hasTasks) {
            blocked = false;
            return selectSupplier.get();
        }
        if (spinNanos == 0) {
            return SelectStrategy.SELECT;
        }
        long now = clock.getAsLong();
        if (blocked) {
            // Woken up: by an event, a task or a timer. Work follows; spin after it.
            blocked = false;
            spinUntil = now + spinNanos;
            lastPollEmpty = false;
        }
        if (now - secondStart >= SECOND) {
            secondStart = now;
            spentThisSecond = 0;
        }
        if (now - spinUntil < 0 && spentThisSecond < budgetNanos) {
            if (lastPollEmpty) {
                spentThisSecond += now - lastPoll; // only the time between two empty polls is spinning
            }
            lastPoll = now;
            int ready = selectSupplier.get();
            lastPollEmpty = ready == 0;
            if (ready > 0) {
                spinUntil = clock.getAsLong() + spinNanos;
            } else {
                // Not a pure spin: any other thread runnable on this CPU runs first. In the lab,
                // the peer node's daemon is often woken onto this very CPU by what we just sent,
                // and a pure spin made it wait for our window to end (measured: +1 ms per hop).
                Thread.yield();
            }
            return ready;
        }
        blocked = true;
        return SelectStrategy.SELECT;
    }
}
