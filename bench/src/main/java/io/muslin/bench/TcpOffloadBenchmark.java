package io.muslin.bench;

import io.muslin.dataplane.offload.Checksum;
import io.muslin.dataplane.offload.NativeMemory;
import io.muslin.dataplane.offload.TcpCoalescer;
import io.muslin.dataplane.offload.TcpSegmenter;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
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
 * The userspace TSO/GRO logic on one TCP super-packet of {@code payload} bytes at MSS 1398
 * (IPv4, timestamps): {@code segment} writes every segment's IP/TCP header with complete
 * checksums (what a TUN read of a super-packet costs before the send); {@code coalesce} offers
 * the same stream as separate segments to the coalescer and finishes the group (what a batch
 * costs before the TUN write; every segment's checksum is verified); {@code checksum} is the
 * one's-complement sum over the payload alone, the floor of both. Buffers are pre-allocated:
 * {@code -prof gc} should show ~0 B/op.
 *
 * <pre>
 * java --enable-native-access=ALL-UNNAMED -jar bench/target/benchmarks.jar TcpOffload -prof gc
 * </pre>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class TcpOffloadBenchmark {
    private static final int MSS = 1398;
    private static final int HEADERS = 52;
    private static final int SRC = 0x0AF50102;
    private static final int DST = 0x0AF50203;

    /** TCP payload bytes in the super-packet. */
    @Param({"13980", "65483"})
    public int payload;

    private final TcpSegmenter segmenter = new TcpSegmenter();
    private final TcpCoalescer coalescer = new TcpCoalescer(64);
    private ByteBuf superPacket;
    private ByteBuf slab;
    private ByteBuf[] segments;
    private ByteBuf firstHeader;
    private int segmentCount;

    @Setup(Level.Trial)
    public void setUp() {
        int length = HEADERS + payload;
        superPacket = PooledByteBufAllocator.DEFAULT.directBuffer(length, length);
        writeTcp(superPacket, 0, 0x1234, 1_000_000, payload);
        for (int i = 0; i < payload; i++) {
            superPacket.setByte(HEADERS + i, i * 7);
        }
        superPacket.writerIndex(length);
        segmentCount = segmenter.begin(superPacket, 0, length, MSS);
        slab = PooledByteBufAllocator.DEFAULT.directBuffer(192 * segmentCount);
        segments = new ByteBuf[segmentCount];
        for (int k = 0; k < segmentCount; k++) {
            int len = segmenter.segmentLength(k);
            ByteBuf seg = PooledByteBufAllocator.DEFAULT.directBuffer(22 + len, 22 + len);
            seg.writerIndex(22 + len);
            segmenter.writeHeader(k, seg, 22);
            seg.setBytes(22 + HEADERS, superPacket, segmenter.payloadIndex(k), segmenter.payloadLength(k));
            segments[k] = seg;
        }
        firstHeader = PooledByteBufAllocator.DEFAULT.directBuffer(HEADERS, HEADERS);
        firstHeader.writeBytes(segments[0], 22, HEADERS);
        coalesce(); // checks the segments coalesce into one group
        if (coalescer.groupCount() != 1) {
            throw new IllegalStateException("benchmark segments do not coalesce: " + coalescer.groupCount());
        }
    }

    /** An IPv4/TCP header (timestamps) with correct checksums at {@code at}. */
    private static void writeTcp(ByteBuf buf, int at, int id, int seq, int payloadLength) {
        buf.setInt(at, 0x4500_0000 | (HEADERS + payloadLength));
        buf.setInt(at + 4, (id << 16) | 0x4000);
        buf.setInt(at + 8, 0x4006_0000);
        buf.setInt(at + 12, SRC);
        buf.setInt(at + 16, DST);
        buf.setShort(at + 10, Checksum.finish(Checksum.sum(buf, at, 20)));
        int tcp = at + 20;
        buf.setInt(tcp, (40000 << 16) | 5201);
        buf.setInt(tcp + 4, seq);
        buf.setInt(tcp + 8, 777);
        buf.setInt(tcp + 12, 0x8010_01F6);
        buf.setInt(tcp + 16, 0);
        buf.setLong(tcp + 20, 0x0101_080A_0001_E240L);
        buf.setInt(tcp + 28, 0x0000_3039);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        coalescer.reset();
        superPacket.release();
        slab.release();
        firstHeader.release();
        for (ByteBuf b : segments) {
            b.release();
        }
    }

    /** All segment headers of the super-packet, checksums complete. */
    @Benchmark
    public int segment() {
        int n = segmenter.begin(superPacket, 0, superPacket.writerIndex(), MSS);
        for (int k = 0; k < n; k++) {
            segmenter.writeHeader(k, slab, k * 192);
        }
        return slab.getUnsignedShort((n - 1) * 192 + 36);
    }

    /** The segments, as a receive batch delivers them, coalesced into one super-packet header. */
    @Benchmark
    public int coalesce() {
        coalescer.reset();
        for (int k = 0; k < segmentCount; k++) {
            coalescer.add(segments[k], 22, segments[k].writerIndex() - 22);
        }
        coalescer.finish(0, segments[0], 12);
        int length = coalescer.groupLength(0);
        NativeMemory.copy(firstHeader, 0, segments[0], 22, HEADERS); // finish rewrote it
        return length;
    }

    /** The one's-complement sum over the payload: the floor of both. */
    @Benchmark
    public long checksum() {
        return Checksum.sum(superPacket, HEADERS, payload);
    }
}
