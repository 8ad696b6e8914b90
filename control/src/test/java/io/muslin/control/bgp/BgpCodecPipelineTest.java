package io.muslin.control.bgp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The decoder and encoder in a Netty pipeline: framing across reads, several messages per read, the end after an error. */
class BgpCodecPipelineTest {

    @Test
    void messagesSplitAcrossReadsAndPackedInOneReadAllComeOut() {
        ByteBuf wire = Unpooled.buffer();
        BgpEncoder.write(BgpKeepalive.INSTANCE, wire, true);
        BgpEncoder.write(BgpEncoderTest.announce(), wire, true);
        BgpEncoder.write(new BgpNotification(6, 2), wire, true);
        EmbeddedChannel ch = new EmbeddedChannel(new BgpDecoder());
        // one octet at a time for the first 40, then the rest at once
        for (int i = 0; i < 40; i++) {
            ch.writeInbound(wire.readRetainedSlice(1));
        }
        ch.writeInbound(wire.readRetainedSlice(wire.readableBytes()));
        assertTrue(wire.release());
        assertEquals(BgpKeepalive.INSTANCE, ch.readInbound());
        assertEquals(BgpEncoderTest.announce(), ch.readInbound());
        assertEquals(new BgpNotification(6, 2), ch.readInbound());
        assertNull(ch.readInbound());
        assertFalse(ch.finish());
    }

    @Test
    void afterAnErrorTheRestOfTheStreamIsDiscarded() {
        EmbeddedChannel ch = new EmbeddedChannel(new BgpDecoder());
        ByteBuf bad = Hex.buffer("M 0012 04");
        BgpDecoderException e = assertThrows(BgpDecoderException.class, () -> ch.writeInbound(bad));
        assertEquals("1/2", e.notification().codes());
        assertEquals("bad message length 18 (expected: 19-4096)", e.getMessage());
        ch.writeInbound(Hex.buffer("M 0013 04")); // a good KEEPALIVE: the session is over, it is not read
        assertNull(ch.readInbound());
        assertFalse(ch.finish());
    }

    @Test
    void theEncoderWritesWhatTheDecoderReads() {
        EmbeddedChannel out = new EmbeddedChannel(new BgpEncoder());
        List<BgpMessage> messages = List.of(BgpKeepalive.INSTANCE, BgpEncoderTest.announce(), new BgpRouteRefresh(1, 1));
        messages.forEach(out::writeOutbound);
        EmbeddedChannel in = new EmbeddedChannel(new BgpDecoder());
        for (ByteBuf b; (b = out.readOutbound()) != null; ) {
            in.writeInbound(b);
        }
        for (BgpMessage m : messages) {
            assertEquals(m, in.readInbound());
        }
        assertFalse(out.finish());
        assertFalse(in.finish());
    }
}
