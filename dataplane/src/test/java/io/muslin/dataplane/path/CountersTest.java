package io.muslin.dataplane.path;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** One thread's counters, and a dataplane's as the sum of its threads'. */
class CountersTest {
    @Test
    void singleWriterCountsAndSnapshotsByLabel() {
        Counters c = new Counters();
        c.inc(Counter.TX_PACKETS);
        c.add(Counter.TX_BYTES, 1500);
        assertEquals(1, c.get(Counter.TX_PACKETS));
        Map<String, Long> s = c.snapshot();
        assertEquals(1500L, s.get("txBytes"));
        assertEquals(Counter.values().length, s.size());
        assertEquals(List.of(), c.parts());
    }

    @Test
    void aSumReadsItsPartsAndItsOwnCounts() {
        Counters a = new Counters();
        Counters b = new Counters();
        Counters sum = Counters.sumOf(List.of(a, b));
        a.add(Counter.RX_PACKETS, 3);
        b.add(Counter.RX_PACKETS, 4);
        b.inc(Counter.DROP_NO_ROUTE);
        sum.inc(Counter.UNDERLAY_MTU_CHANGES); // counted by the sum's own writer
        assertEquals(7, sum.get(Counter.RX_PACKETS));
        assertEquals(1, sum.get(Counter.DROP_NO_ROUTE));
        assertEquals(1, sum.get(Counter.UNDERLAY_MTU_CHANGES));
        assertEquals(7L, sum.snapshot().get("rxPackets"));
        assertEquals(List.of(a, b), sum.parts());
        assertEquals(3, a.get(Counter.RX_PACKETS), "a part reads only its own counts");
    }

    @Test
    void readGivesTotalsThatAreExactlyThePartsAsRead() {
        Counters a = new Counters();
        Counters b = new Counters();
        Counters sum = Counters.sumOf(List.of(a, b));
        a.add(Counter.TUN_TX_PACKETS, 10);
        b.add(Counter.TUN_TX_PACKETS, 5);
        sum.add(Counter.TUN_TX_PACKETS, 1);
        long[][] read = sum.read();
        assertEquals(3, read.length);
        int i = Counter.TUN_TX_PACKETS.ordinal();
        assertEquals(16, read[0][i]);
        assertEquals(10, read[1][i]);
        assertEquals(5, read[2][i]);
        long[][] single = a.read();
        assertEquals(1, single.length);
        assertArrayEquals(read[1], single[0]);
    }

    @Test
    void aSumIsNotAPart() {
        Counters sum = Counters.sumOf(List.of(new Counters()));
        assertThrows(IllegalArgumentException.class, () -> Counters.sumOf(List.of(sum)));
    }
}
