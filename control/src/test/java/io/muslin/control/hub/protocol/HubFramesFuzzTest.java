package io.muslin.control.hub.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.channel.embedded.EmbeddedChannel;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Fuzz target: the byte stream a hub reads from a connection, through the hub's
 * {@link HubFrames.Decoder} (frames of at most {@link HubFrames#MAX_NODE_FRAME}), arriving in
 * pieces. Input: one byte for the piece size (1-64), then the stream, then the connection closes.
 *
 * <p>What must hold: the decoder yields messages until the first {@link HubProtocolException}
 * (then the session ends; nothing else may be thrown, while reading or at the close); every buffer is released when the
 * channel closes, counted by the allocator's own metric (the pieces, the cumulation, every
 * frame); and each message framed again by {@link HubFrames#frame} decodes to the same message.
 */
class HubFramesFuzzTest {
    /** Heap, unpooled: a released buffer leaves the metric at once. */
    private static final UnpooledByteBufAllocator ALLOC = new UnpooledByteBufAllocator(false);

    static Stream<byte[]> seeds() {
        ByteArrayOutputStream stream = new ByteArrayOutputStream();
        stream.write(7);
        HubCodecTest.messages().forEach(m -> {
            ByteBuf f = HubFrames.frame(ALLOC, m);
            byte[] b = new byte[f.readableBytes()];
            f.readBytes(b);
            f.release();
            stream.writeBytes(b);
        });
        byte[] all = stream.toByteArray();
        return Stream.of(all, new byte[] {1, 0, 0, 0, 0}, new byte[] {64, 0x7f, 0, 0, 0, '{'});
    }

    @MethodSource("seeds")
    @FuzzTest
    void decode(byte[] input) {
        if (input.length < 1) {
            return;
        }
        int piece = 1 + (input[0] & 0x3F);
        List<HubMessage> messages = new ArrayList<>();
        EmbeddedChannel channel = new EmbeddedChannel(new HubFrames.Decoder(HubFrames.MAX_NODE_FRAME));
        channel.config().setAllocator(ALLOC);
        try {
            for (int at = 1; at < input.length; at += piece) {
                ByteBuf buf = ALLOC.buffer(piece).writeBytes(input, at, Math.min(piece, input.length - at));
                try {
                    channel.writeInbound(buf);
                } catch (HubProtocolException e) {
                    assertTrue(e.getMessage() != null && !e.getMessage().isBlank());
                    break;
                }
                drain(channel, messages);
            }
        } finally {
            try {
                channel.finishAndReleaseAll(); // the connection closes: what is left is decoded or dropped
            } catch (HubProtocolException e) {
                assertTrue(e.getMessage() != null && !e.getMessage().isBlank());
            }
        }
        assertFalse(channel.isOpen());
        assertEquals(0, ALLOC.metric().usedHeapMemory(), "every buffer released once the channel is closed");
        for (HubMessage m : messages) {
            reframed(m);
        }
        assertEquals(0, ALLOC.metric().usedHeapMemory(), "every buffer released");
    }

    private static void drain(EmbeddedChannel channel, List<HubMessage> into) {
        for (Object o = channel.readInbound(); o != null; o = channel.readInbound()) {
            assertTrue(o instanceof HubMessage, "decoded " + o.getClass());
            into.add((HubMessage) o);
        }
    }

    private static void reframed(HubMessage message) {
        EmbeddedChannel channel = new EmbeddedChannel(new HubFrames.Decoder(HubFrames.MAX_NODE_FRAME));
        channel.config().setAllocator(ALLOC);
        try {
            assertTrue(channel.writeInbound(HubFrames.frame(ALLOC, message)));
            assertEquals(message, channel.readInbound());
            assertNull(channel.readInbound());
        } finally {
            channel.finishAndReleaseAll();
        }
    }
}
