package io.muslin.control.hub.protocol;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.muslin.control.json.JsonTokens;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import java.util.stream.Stream;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Fuzz target: {@link HubCodec#read}, one frame's bytes as a hub or a node receives them.
 *
 * <p>What must hold: the bytes are a message or a {@link HubProtocolException} with a message
 * (the session then ends with it), nothing else; the reader index ends past them; a message
 * read writes ({@link HubCodec#write}) as JSON that reads back equal, and writing that again
 * gives the same bytes (the written form is canonical).
 */
class HubCodecFuzzTest {
    static Stream<byte[]> seeds() {
        return HubCodecTest.messages().map(m -> HubCodec.toJson(m).getBytes(StandardCharsets.UTF_8));
    }

    @JsonTokens
    @MethodSource("seeds")
    @FuzzTest
    void read(byte[] input) {
        ByteBuf in = Unpooled.wrappedBuffer(input);
        HubMessage message;
        try {
            message = HubCodec.read(in);
        } catch (HubProtocolException e) {
            assertTrue(e.getMessage() != null && !e.getMessage().isBlank(), "an error says what is wrong");
            return;
        }
        assertEquals(0, in.readableBytes(), "read to the end");
        // (Not compared with toJson's String: a lone surrogate, which a JSON escape can carry,
        // has no UTF-8 form of its own; write escapes it and reads back the same string.)
        byte[] written = write(message);
        HubMessage again = HubCodec.read(Unpooled.wrappedBuffer(written));
        assertEquals(message, again, "written and read back");
        assertArrayEquals(written, write(again), "the written form is canonical");
    }

    private static byte[] write(HubMessage message) {
        ByteBuf out = Unpooled.buffer();
        HubCodec.write(message, out);
        byte[] bytes = new byte[out.readableBytes()];
        out.readBytes(bytes);
        return bytes;
    }
}
