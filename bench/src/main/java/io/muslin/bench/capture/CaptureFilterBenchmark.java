package io.muslin.bench.capture;

import io.muslin.dataplane.capture.BpfCompiler;
import io.muslin.dataplane.capture.BpfFilter;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What a capture whose filter matches nothing adds to a packet: one run of the compiled BPF
 * program over an inner TCP segment held in native memory, whole ({@code onePiece}, a TUN read
 * or a received datagram) or as headers in one place and payload in another ({@code twoPieces},
 * a segment cut from a TSO read). Compiled by libpcap as {@code muslin capture} does (needs
 * Debian's libpcap). The figure to set against it is the dataplane's CPU per packet from
 * {@code scripts/bench-iperf.sh} (docs/benchmarks.md, "Capture and metrics cost").
 *
 * <pre>
 * java --enable-native-access=ALL-UNNAMED -jar bench/target/benchmarks.jar CaptureFilter
 * </pre>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class CaptureFilterBenchmark {
    private static final int HEADERS = 20 + 20;
    private static final int PAYLOAD = 1408;

    /** Filters that match nothing in the benchmark's packet (10.244.1.2:40000 -> 10.244.2.2:5201). */
    @Param({"host 203.0.113.1", "tcp port 80", "tcp[tcpflags] & tcp-syn != 0 and net 192.0.2.0/24"})
    public String filter;

    private Arena arena;
    private long packet;
    private long payload;
    private BpfFilter program;
    private final int[] scratch = BpfFilter.newScratch();

    @Setup(Level.Trial)
    public void setUp() {
        arena = Arena.ofConfined();
        MemorySegment p = arena.allocate(HEADERS + PAYLOAD, 64);
        MemorySegment ip = p;
        ip.set(ValueLayout.JAVA_BYTE, 0, (byte) 0x45);
        ip.set(ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(java.nio.ByteOrder.BIG_ENDIAN), 2, (short) (HEADERS + PAYLOAD));
        ip.set(ValueLayout.JAVA_BYTE, 8, (byte) 64);
        ip.set(ValueLayout.JAVA_BYTE, 9, (byte) 6);
        ip.set(ValueLayout.JAVA_INT_UNALIGNED.withOrder(java.nio.ByteOrder.BIG_ENDIAN), 12, 0x0af40102);
        ip.set(ValueLayout.JAVA_INT_UNALIGNED.withOrder(java.nio.ByteOrder.BIG_ENDIAN), 16, 0x0af40202);
        ip.set(ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(java.nio.ByteOrder.BIG_ENDIAN), 20, (short) 40000);
        ip.set(ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(java.nio.ByteOrder.BIG_ENDIAN), 22, (short) 5201);
        ip.set(ValueLayout.JAVA_BYTE, 32, (byte) 0x50);
        ip.set(ValueLayout.JAVA_BYTE, 33, (byte) 0x10);
        packet = p.address();
        payload = packet + HEADERS;
        program = BpfCompiler.compile(filter);
        if (program.matches(packet, HEADERS + PAYLOAD, scratch)
            || program.matches(packet, HEADERS, payload, PAYLOAD, scratch)) {
            throw new IllegalStateException("\"" + filter + "\" matches the benchmark's packet");
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        arena.close();
    }

    @Benchmark
    public boolean onePiece() {
        return program.matches(packet, HEADERS + PAYLOAD, scratch);
    }

    @Benchmark
    public boolean twoPieces() {
        return program.matches(packet, HEADERS, payload, PAYLOAD, scratch);
    }
}
