package io.muslin.tun.linux;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Fuzz target: {@link RouteNetlink#replies} and {@link RouteNetlink#parseRoute}, the rtnetlink
 * answers to a route lookup or dump, one datagram at a time. Input: one byte (bit 0: a dump),
 * then the datagram, in a segment of exactly its size (8-byte aligned, as the client's buffer),
 * so a read past what the kernel sent fails.
 *
 * <p>What must hold: a datagram finishes the request, asks for the next one, or is a
 * {@link LinuxException} (the kernel's errno, or EPROTO for a malformed reply), nothing else;
 * only our RTM_NEWROUTE messages, whole inside the datagram, are handed on, and each reads
 * as its rtmsg and attributes say.
 */
class RouteNetlinkFuzzTest {
    private static final int SEQ = 7;

    static Stream<byte[]> seeds() {
        return Stream.of(
            datagram(false, route(SEQ, 0x0A000000, 8, 0xC0A83201, 2, 254), error(SEQ, 0)),
            datagram(true, route(SEQ, 0x0AF40200, 24, 0xC0A83202, 3, 254), route(SEQ, 0x0AF40300, 24, 0, 3, 200),
                done(SEQ)),
            datagram(false, error(SEQ, -101)),
            datagram(false, route(SEQ + 1, 0, 0, 0, 0, 254), error(SEQ + 1, 0)));
    }

    private static byte[] datagram(boolean dump, byte[]... messages) {
        ByteBuffer b = ByteBuffer.allocate(1 + 1024).order(ByteOrder.nativeOrder());
        b.put((byte) (dump ? 1 : 0));
        for (byte[] m : messages) {
            b.put(m);
        }
        byte[] out = new byte[b.position()];
        b.flip().get(out);
        return out;
    }

    private static ByteBuffer header(int length, int type, int seq) {
        return ByteBuffer.allocate(length).order(ByteOrder.nativeOrder())
            .putInt(length).putShort((short) type).putShort((short) 0).putInt(seq).putInt(0);
    }

    private static byte[] route(int seq, int dst, int dstLen, int gateway, int oif, int table) {
        ByteBuffer b = header(16 + 12 + 8 + 8 + 8, RouteNetlink.RTM_NEWROUTE, seq);
        b.put((byte) 2).put((byte) dstLen).put((byte) 0).put((byte) 0).put((byte) table).put((byte) 4).put((byte) 0)
            .put((byte) 1).putInt(0);
        b.putShort((short) 8).putShort(RouteNetlink.RTA_DST).order(ByteOrder.BIG_ENDIAN).putInt(dst)
            .order(ByteOrder.nativeOrder());
        b.putShort((short) 8).putShort(RouteNetlink.RTA_GATEWAY).order(ByteOrder.BIG_ENDIAN).putInt(gateway)
            .order(ByteOrder.nativeOrder());
        b.putShort((short) 8).putShort(RouteNetlink.RTA_OIF).putInt(oif);
        return b.array();
    }

    private static byte[] error(int seq, int errno) {
        return header(16 + 4 + 16, RouteNetlink.NLMSG_ERROR, seq).putInt(errno).array();
    }

    private static byte[] done(int seq) {
        return header(16 + 4, RouteNetlink.NLMSG_DONE, seq).putInt(0).array();
    }

    @MethodSource("seeds")
    @FuzzTest
    void replies(byte[] input) {
        if (input.length < 1) {
            return;
        }
        boolean dump = (input[0] & 1) != 0;
        int n = input.length - 1;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buf = arena.allocate(Math.max(n, 1), 8).asSlice(0, n);
            MemorySegment.copy(input, 1, buf, ValueLayout.JAVA_BYTE, 0, n);
            List<RouteNetlink.RouteInfo> routes = new ArrayList<>();
            try {
                RouteNetlink.replies(buf, n, SEQ, dump, "fuzz", (off, msgLen) -> {
                    assertTrue(off >= 0 && msgLen >= 16 && off + msgLen <= n, "a message inside the datagram");
                    assertEquals(RouteNetlink.RTM_NEWROUTE, buf.get(ValueLayout.JAVA_SHORT, off + 4));
                    assertEquals(SEQ, buf.get(ValueLayout.JAVA_INT, off + 8), "only answers to our request");
                    RouteNetlink.RouteInfo r = RouteNetlink.parseRoute(buf, off, msgLen);
                    assertEquals(Byte.toUnsignedInt(buf.get(ValueLayout.JAVA_BYTE, off + 17)), r.dstLen());
                    assertEquals(Byte.toUnsignedInt(buf.get(ValueLayout.JAVA_BYTE, off + 21)), r.protocol());
                    routes.add(r);
                });
            } catch (LinuxException e) {
                assertTrue(e.errno() != 0, "an error has an errno: " + e.getMessage());
                assertTrue(e.getMessage().startsWith("fuzz"), e.getMessage());
            }
            routes.forEach(RouteNetlink.RouteInfo::toString);
        }
    }
}
