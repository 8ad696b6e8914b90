package io.muslin.control.hub.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.LengthFieldBasedFrameDecoder;
import io.netty.handler.codec.MessageToByteEncoder;
import io.netty.handler.codec.TooLongFrameException;

/**
 * The hub protocol's framing: a 4-byte big-endian length, then that many bytes of one JSON
 * message ({@link HubCodec}).
 *
 * <pre>
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |              length of the message (1..MAX_FRAME)             |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |           message: UTF-8 JSON, {"Type": ..., ...}           ...
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * </pre>
 */
public final class HubFrames {
    /** The protocol version this build speaks. */
    public static final int VERSION = 3;
    /** Size of the length field. */
    public static final int LENGTH_FIELD = 4;
    /**
     * The largest message a hub sends. Leases travel in chunks of at most
     * {@code HubView.CHUNK_SUBNETS} (64) leases of about 130-200 bytes each, so a frame of any
     * network's snapshot is far below this; the limit bounds what a node buffers for one frame.
     */
    public static final int MAX_FRAME = 16 * 1024 * 1024;
    /**
     * The largest message a node sends (a request holds one lease). A hub reads no more than
     * this from anyone, before Hello or after, so a stranger cannot make it buffer and parse
     * megabytes.
     */
    public static final int MAX_NODE_FRAME = 64 * 1024;

    private HubFrames() {
    }

    /**
     * Encodes {@code message} into one frame, ready to write to any number of channels
     * (write {@code retainedDuplicate()}s and release this once). The caller owns the result.
     */
    public static ByteBuf frame(ByteBufAllocator alloc, HubMessage message) {
        ByteBuf buf = alloc.buffer();
        boolean success = false;
        try {
            writeFrame(message, buf);
            success = true;
            return buf;
        } finally {
            if (!success) {
                buf.release();
            }
        }
    }

    static void writeFrame(HubMessage message, ByteBuf out) {
        int start = out.writerIndex();
        out.writeInt(0);
        HubCodec.write(message, out);
        int length = out.writerIndex() - start - LENGTH_FIELD;
        if (length > MAX_FRAME) {
            throw new IllegalStateException(message.type() + " message is " + length + " bytes (limit: " + MAX_FRAME + ")");
        }
        out.setInt(start, length);
    }

    /** Frames → {@link HubMessage}s. Any malformed input is a {@link HubProtocolException}. */
    public static final class Decoder extends LengthFieldBasedFrameDecoder {
        private final int maxFrame;

        /** A node's decoder: frames from a hub, up to {@link #MAX_FRAME}. */
        public Decoder() {
            this(MAX_FRAME);
        }

        /** @param maxFrame the longest message accepted ({@link #MAX_NODE_FRAME} on a hub) */
        public Decoder(int maxFrame) {
            super(maxFrame, 0, LENGTH_FIELD, 0, LENGTH_FIELD, true);
            this.maxFrame = maxFrame;
        }

        @Override
        protected Object decode(ChannelHandlerContext ctx, ByteBuf in) throws Exception {
            if (in.readableBytes() >= LENGTH_FIELD && in.getInt(in.readerIndex()) == 0) {
                in.skipBytes(in.readableBytes());
                throw new HubProtocolException("empty frame (expected: length 1-" + maxFrame + ")");
            }
            ByteBuf frame;
            try {
                frame = (ByteBuf) super.decode(ctx, in);
            } catch (TooLongFrameException e) {
                in.skipBytes(in.readableBytes());
                throw new HubProtocolException("frame too long: " + e.getMessage() + " (limit: " + maxFrame + " bytes)");
            }
            if (frame == null) {
                return null;
            }
            try {
                return HubCodec.read(frame);
            } finally {
                frame.release();
            }
        }
    }

    /**
     * {@link HubMessage} → frame. Already-encoded frames ({@link #frame}) pass through untouched,
     * so a change fanned out to many sessions is encoded once.
     */
    @Sharable
    public static final class Encoder extends MessageToByteEncoder<HubMessage> {
        public static final Encoder INSTANCE = new Encoder();

        private Encoder() {
            super(HubMessage.class);
        }

        @Override
        protected void encode(ChannelHandlerContext ctx, HubMessage msg, ByteBuf out) {
            writeFrame(msg, out);
        }
    }
}
