package io.muslin.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A start that waits for its store: retried on a failure and on "not yet", interruptible. */
class StoreWaitTest {

    @Test
    void asksAgainUntilTheStoreAnswersAndSaysWhenItWaits() throws Exception {
        List<Boolean> waiting = new ArrayList<>();
        int[] calls = {0};
        String answer = new StoreWait("etcd at http://192.0.2.1:2379", Duration.ZERO).until(() -> {
            calls[0]++;
            if (calls[0] <= 2) {
                throw new IOException("connection refused");
            }
            if (calls[0] == 3) {
                throw new StoreWait.NotYet("no network configuration there yet");
            }
            return "config";
        }, waiting::add);
        assertEquals("config", answer);
        assertEquals(4, calls[0]);
        assertEquals(List.of(true, false), waiting, "told once that it waits, once that it stopped");
    }

    @Test
    void aStoreThatAnswersAtOnceIsNotWaitedFor() throws Exception {
        List<Boolean> waiting = new ArrayList<>();
        assertEquals(7, new StoreWait("hub", Duration.ofHours(1)).until(() -> 7, waiting::add));
        assertTrue(waiting.isEmpty());
    }

    @Test
    void anInterruptStopsTheWait() {
        Thread.currentThread().interrupt();
        try {
            InterruptedIOException e = assertThrows(InterruptedIOException.class,
                () -> new StoreWait("hub", Duration.ofHours(1)).until(() -> {
                    throw new IOException("no hub reachable");
                }, w -> { }));
            assertTrue(e.getMessage().contains("hub"), e.getMessage());
            assertTrue(Thread.interrupted(), "the interrupt is kept");
        } finally {
            Thread.interrupted();
        }
    }

    @Test
    void otherFailuresAreNotRetried() {
        int[] calls = {0};
        assertThrows(IllegalStateException.class, () -> new StoreWait("etcd", Duration.ZERO).until(() -> {
            calls[0]++;
            throw new IllegalStateException("a bug");
        }, w -> { }));
        assertEquals(1, calls[0]);
    }
}
