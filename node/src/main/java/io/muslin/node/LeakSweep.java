package io.muslin.node;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.util.ResourceLeakDetector;

/**
 * At exit, with Netty's leak detector at paranoid: collects garbage and makes the detector look,
 * so that a buffer leaked at any time in the process's life is logged ({@code LEAK: ...}) before
 * the process ends. The detector reports leaks only when it tracks a new buffer after the leaked
 * one was collected, and a daemon whose packet path allocates nothing may never allocate again;
 * this gives it the chance. The end-to-end tests run their daemons so and fail on any
 * {@code LEAK:} line. Costs nothing at any other level (the default is simple).
 */
final class LeakSweep {
    private static final int ROUNDS = 3;

    private LeakSweep() {
    }

    static void run() {
        if (ResourceLeakDetector.getLevel() != ResourceLeakDetector.Level.PARANOID) {
            return;
        }
        for (int i = 0; i < ROUNDS; i++) {
            System.gc();
            try {
                Thread.sleep(50); // the reference handler enqueues what the collection found
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            ByteBuf probe = ByteBufAllocator.DEFAULT.directBuffer(1);
            probe.release();
        }
    }
}
