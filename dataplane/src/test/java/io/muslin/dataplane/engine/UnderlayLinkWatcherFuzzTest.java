package io.muslin.dataplane.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.muslin.dataplane.FuzzBuffers;
import io.netty.buffer.ByteBuf;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.stream.Stream;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Fuzz target: {@link UnderlayLinkWatcher#mtuOf}, which reads the rtnetlink link notifications
 * the kernel multicasts. Input: the interface index (1 byte), then one netlink datagram.
 *
 * <p>What must hold: no exception, and the MTU found is what a plain reading of the messages
 * gives (every whole RTM_NEWLINK for the interface, its last IFLA_MTU attribute), written here
 * again over a {@link ByteBuffer} as the reference.
 */
class UnderlayLinkWatcherFuzzTest {
    static Stream<byte[]> seeds() {
        ByteBuffer b = ByteBuffer.allocate(200).order(ByteOrder.LITTLE_ENDIAN);
        b.put((byte) 2);
        for (int[] m : new int[][] {{16, 7, 9000}, {16, 2, 1400}, {17, 2, 1300}}) {
            int start = b.position();
            b.putInt(0).putShort((short) m[0]).putShort((short) 0).putInt(1).putInt(0);
            b.put((byte) 0).put((byte) 0).putShort((short) 1).putInt(m[1]).putInt(0).putInt(0);
            b.putShort((short) 9).putShort((short) 3).put(new byte[] {'e', 't', 'h', '0', 0, 0, 0, 0});
            b.putShort((short) 8).putShort((short) UnderlayLinkWatcher.IFLA_MTU).putInt(m[2]);
            b.putInt(start, b.position() - start);
        }
        byte[] out = new byte[b.position()];
        b.flip().get(out);
        return Stream.of(out);
    }

    @MethodSource("seeds")
    @FuzzTest
    void mtuOf(byte[] input) {
        if (input.length < 1) {
            return;
        }
        int ifindex = input[0] & 0xFF;
        ByteBuf buf = FuzzBuffers.direct(1, java.util.Arrays.copyOfRange(input, 1, input.length), 0);
        try {
            assertEquals(reference(input, ifindex), UnderlayLinkWatcher.mtuOf(buf, ifindex));
        } finally {
            assertTrue(buf.release());
        }
        FuzzBuffers.assertAllReleased();
    }

    /** nlmsghdr (16), ifinfomsg (16), rtattrs; lengths aligned to 4; a bad length ends the datagram. */
    private static int reference(byte[] input, int ifindex) {
        ByteBuffer b = ByteBuffer.wrap(input, 1, input.length - 1).slice().order(ByteOrder.LITTLE_ENDIAN);
        int mtu = 0;
        int off = 0;
        while (off + 32 <= b.limit()) {
            int len = b.getInt(off);
            if (len < 16 || len > b.limit() - off) {
                break;
            }
            if (b.getShort(off + 4) == UnderlayLinkWatcher.RTM_NEWLINK && len >= 32 && b.getInt(off + 20) == ifindex) {
                int at = off + 32;
                while (at + 4 <= off + len) {
                    int alen = Short.toUnsignedInt(b.getShort(at));
                    if (alen < 4 || alen > off + len - at) {
                        break;
                    }
                    if ((b.getShort(at + 2) & 0x3FFF) == UnderlayLinkWatcher.IFLA_MTU && alen >= 8) {
                        mtu = b.getInt(at + 4);
                    }
                    at += (alen + 3) & ~3;
                }
            }
            off += (len + 3) & ~3;
        }
        return mtu;
    }
}
