package io.muslin.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.util.ResourceLeakDetector;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A buffer leaked long before exit is reported by the sweep, though nothing else allocates after it. */
class LeakSweepTest {
    @Test
    void reportsABufferLeakedEarlierInTheProcess() {
        assertEquals(ResourceLeakDetector.Level.PARANOID, ResourceLeakDetector.getLevel(), "tests run at paranoid");
        List<String> leaks = new ArrayList<>();
        ByteBufUtil.setLeakListener((type, records) -> {
            synchronized (leaks) {
                leaks.add(type);
            }
        });
        try {
            leak();
            for (int i = 0; i < 10 && leaks.isEmpty(); i++) {
                LeakSweep.run();
            }
            synchronized (leaks) {
                assertTrue(leaks.stream().anyMatch(t -> t.contains("ByteBuf")), "leaks reported: " + leaks);
            }
        } finally {
            ByteBufUtil.setLeakListener(null);
        }
    }

    /** Allocates a buffer and drops it unreleased (on purpose: the test's subject). */
    private static void leak() {
        ByteBufAllocator.DEFAULT.directBuffer(64).writeLong(42);
    }
}
