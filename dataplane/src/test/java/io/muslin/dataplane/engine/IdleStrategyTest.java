package io.muslin.dataplane.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.netty.channel.SelectStrategy;
import org.junit.jupiter.api.Test;

/** When a dataplane thread polls and when it blocks, on a clock the test moves. */
class IdleStrategyTest {
    private static final long US = 1_000;

    private long now = 1_000_000_000L;
    private int polls;
    private int ready;

    private int next(IdleStrategy s, boolean hasTasks) throws Exception {
        return s.calculateStrategy(() -> {
            polls++;
            return ready;
        }, hasTasks);
    }

    @Test
    void withoutSpinItBlocksWheneverThereIsNoTask() throws Exception {
        IdleStrategy s = new IdleStrategy(0, 0.05, () -> now);
        assertEquals(SelectStrategy.SELECT, next(s, false));
        now += 10 * US;
        assertEquals(SelectStrategy.SELECT, next(s, false));
        assertEquals(0, polls);
    }

    @Test
    void tasksAlwaysGetAPollThatDoesNotBlock() throws Exception {
        IdleStrategy s = new IdleStrategy(0, 0.05, () -> now);
        ready = 3;
        assertEquals(3, next(s, true));
        assertEquals(1, polls);
    }

    @Test
    void anIdleThreadNeverSpins() throws Exception {
        IdleStrategy s = new IdleStrategy(200 * US, 0.05, () -> now);
        assertEquals(SelectStrategy.SELECT, next(s, false), "no work yet: block at once");
        assertEquals(0, polls);
    }

    @Test
    void afterAWakeUpItPollsUntilTheWindowEndsThenBlocks() throws Exception {
        IdleStrategy s = new IdleStrategy(200 * US, 0.05, () -> now);
        assertEquals(SelectStrategy.SELECT, next(s, false));
        // Woken (an event came); the loop handled it and asks again.
        now += 5 * US;
        for (int i = 0; i < 19; i++) {
            assertEquals(0, next(s, false), "poll " + i + " inside the window");
            now += 10 * US;
        }
        assertEquals(19, polls);
        now += 20 * US;
        assertEquals(SelectStrategy.SELECT, next(s, false), "past the window: block");
    }

    @Test
    void somethingFoundWhilePollingOpensANewWindow() throws Exception {
        IdleStrategy s = new IdleStrategy(200 * US, 0.05, () -> now);
        next(s, false);
        now += 150 * US;
        ready = 1;
        assertEquals(1, next(s, false));
        ready = 0;
        now += 150 * US;
        assertEquals(0, next(s, false), "still inside the window the packet opened");
        now += 100 * US;
        assertEquals(SelectStrategy.SELECT, next(s, false));
    }

    @Test
    void spinningStopsForTheRestOfTheSecondOnceItsShareIsSpent() throws Exception {
        // 5 % of a second is 50 ms: about 50 windows of 1 ms (0.9 ms of it between empty polls), then it blocks.
        IdleStrategy s = new IdleStrategy(1_000 * US, 0.05, () -> now);
        next(s, false);
        int windows = 0;
        while (true) {
            now += 1 * US;
            int first = next(s, false); // woken: the window opens
            if (first == SelectStrategy.SELECT) {
                break;
            }
            for (int t = 0; t < 10; t++) {
                now += 100 * US;
                if (next(s, false) == SelectStrategy.SELECT) {
                    break;
                }
            }
            windows++;
            assertEquals(true, windows < 100, "spinning never stopped");
        }
        long spent = now;
        assertEquals(true, windows >= 45 && windows <= 60, "windows spent: " + windows);
        // The next second spins again.
        now = spent + 1_000_000 * US;
        next(s, false);
        now += 1 * US;
        assertEquals(0, next(s, false));
    }
}
