package io.muslin.bench;

import io.muslin.dataplane.packet.Ipv4Address;
import io.muslin.dataplane.packet.MacAddress;
import io.muslin.dataplane.vxlan.VxlanDecoder;
import io.muslin.dataplane.vxlan.VxlanEncapsulator;
import io.muslin.dataplane.vxlan.VxlanHeader;
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
 * The VXLAN codecs on one packet: {@code encapsulate} writes the 50 outer bytes in place in
 * front of an inner IPv4/UDP packet; {@code decode} validates a received frame and moves its
 * indices to the inner packet. One pre-allocated pooled direct buffer per state, indices
 * reset on every operation: {@code -prof gc} should show ~0 B/op.
 *
 * <pre>
 * java --enable-native-access=ALL-UNNAMED -jar bench/target/benchmarks.jar VxlanCodec -prof gc
 * </pre>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class VxlanCodecBenchmark {
    private static final int LOCAL_IP = Ipv4Address.parse("192.168.77.1");
    private static final int REMOTE_IP = Ipv4Address.parse("192.168.77.2");
    private static final long LOCAL_MAC = MacAddress.parse("02:aa:00:00:00:01");
    private static final long REMOTE_MAC = MacAddress.parse("02:bb:00:00:00:02");
    private static final int VNI = 1;
    /** Outer IPv4 + UDP: what the socket strips before {@code decode} sees the datagram. */
    private static final int UDP_PAYLOAD = 28;

    /** Inner IP packet size in bytes. */
    @Param({"64", "1400"})
    public int size;

    private final VxlanEncapsulator encapsulator =
        new VxlanEncapsulator(LOCAL_IP, LOCAL_MAC, VNI, VxlanHeader.DEFAULT_PORT);
    private final VxlanDecoder decoder = new VxlanDecoder(VNI, REMOTE_MAC);

    /** An inner packet with 50 bytes of headroom, as a TUN read leaves it. */
    private ByteBuf outbound;
    /** A complete received frame (outer IPv4 + UDP + VXLAN + Ethernet + inner). */
    private ByteBuf inbound;

    @Setup(Level.Trial)
    public void setUp() {
        int frameLength = VxlanEncapsulator.OVERHEAD + size;
        outbound = PooledByteBufAllocator.DEFAULT.directBuffer(frameLength, frameLength);
        outbound.writeZero(VxlanEncapsulator.OVERHEAD);
        writeInnerUdp(outbound, size);
        outbound.readerIndex(VxlanEncapsulator.OVERHEAD);

        inbound = PooledByteBufAllocator.DEFAULT.directBuffer(frameLength, frameLength);
        inbound.writeZero(VxlanEncapsulator.OVERHEAD).writeBytes(outbound, outbound.readerIndex(), size);
        inbound.readerIndex(VxlanEncapsulator.OVERHEAD);
        encapsulator.encapsulate(inbound, REMOTE_IP, REMOTE_MAC);
        inbound.readerIndex(UDP_PAYLOAD);
        if (decode() != VxlanDecoder.IPV4) {
            throw new IllegalStateException("benchmark frame does not decode");
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        outbound.release();
        inbound.release();
    }

    @Benchmark
    public int encapsulate() {
        outbound.setIndex(VxlanEncapsulator.OVERHEAD, VxlanEncapsulator.OVERHEAD + size);
        encapsulator.encapsulate(outbound, REMOTE_IP, REMOTE_MAC);
        return outbound.readerIndex();
    }

    @Benchmark
    public int decode() {
        inbound.setIndex(UDP_PAYLOAD, VxlanEncapsulator.OVERHEAD + size);
        return decoder.decode(inbound);
    }

    /** A pod-to-pod IPv4/UDP packet of {@code size} bytes (header checksum left zero). */
    private static void writeInnerUdp(ByteBuf buf, int size) {
        buf.writeByte(0x45).writeByte(0).writeShort(size).writeShort(0).writeShort(0x4000)
            .writeByte(64).writeByte(17).writeShort(0)
            .writeInt(Ipv4Address.parse("10.244.1.5")).writeInt(Ipv4Address.parse("10.244.2.7"))
            .writeShort(40000).writeShort(5201).writeShort(size - 20).writeShort(0);
        buf.writeZero(size - 28);
    }
}
