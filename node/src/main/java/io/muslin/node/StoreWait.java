package io.muslin.node;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.time.Duration;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A node that starts while its store (etcd, the hub) does not answer, or before the network
 * configuration is written there, waits and asks again each second, as flanneld's
 * {@code getConfig} does: nodes and their store may come up in any order. The node is not ready
 * meanwhile ({@code /readyz} 503, no subnet.env) and nothing is installed yet, so stopping it
 * leaves nothing behind. The first failure is logged with its reason, then one line every
 * {@link #LOG_EVERY} attempts.
 */
final class StoreWait {
    static final Duration RETRY = Duration.ofSeconds(1);
    static final int LOG_EVERY = 30;
    private static final Logger LOG = LoggerFactory.getLogger(StoreWait.class);

    /** One attempt: the answer, or null for "not yet" (with what is missing in {@link NotYet}). */
    @FunctionalInterface
    interface Attempt<T> {
        T call() throws IOException, NotYet;
    }

    /** The store answered, but without what the node needs (e.g. no network configuration yet). */
    static final class NotYet extends Exception {
        NotYet(String reason) {
            super(reason, null, false, false);
        }
    }

    private final String what;
    private final Duration retry;

    StoreWait(String what, Duration retry) {
        this.what = what;
        this.retry = retry;
    }

    /**
     * Calls {@code attempt} until it returns, waiting {@link #RETRY} after each
     * {@link IOException} (the store did not answer) or {@link NotYet}.
     *
     * @param waiting told true before the first wait and false once an attempt succeeds
     * @throws InterruptedIOException when the thread is interrupted while waiting
     */
    <T> T until(Attempt<T> attempt, Consumer<Boolean> waiting) throws InterruptedIOException {
        for (long n = 1; ; n++) {
            String reason;
            try {
                T answer = attempt.call();
                if (n > 1) {
                    LOG.info("{} answered after {} attempt(s)", what, n);
                    waiting.accept(false);
                }
                return answer;
            } catch (IOException e) {
                reason = e.getMessage();
            } catch (NotYet e) {
                reason = e.getMessage();
            }
            if (n == 1) {
                waiting.accept(true);
            }
            if (n % LOG_EVERY == 1) {
                LOG.warn("{}: {}; asking again every {} ms until it answers (attempt {}; the node is not ready meanwhile)",
                    what, reason, retry.toMillis(), n);
            }
            try {
                Thread.sleep(retry);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException(what + ": stopped while waiting for it");
            }
        }
    }
}
