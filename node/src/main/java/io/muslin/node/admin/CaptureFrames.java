package io.muslin.node.admin;

import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * How the admin socket streams a capture: after the request line
 * ({@code capture {"points":[...],...}}), the server sends frames until it closes:
 * <pre>
 *   +--------+----------------+-------------------+
 *   | type 1 | length 4 (BE)  | payload (length)  |
 *   +--------+----------------+-------------------+
 *   'I' the capture is running: one line saying where and what (UTF-8)
 *   'P' pcapng bytes, whole blocks (the first frame holds the section and interface blocks)
 *   'S' the capture ended: "captured N, missed M" (last frame)
 *   'E' the capture could not start or failed: an error message (last frame)
 * </pre>
 * The client stops a capture by shutting down its sending side; the server then writes what the
 * rings still hold, the 'S' frame, and closes.
 */
public final class CaptureFrames {
    public static final byte INFO = 'I';
    public static final byte PCAPNG = 'P';
    public static final byte SUMMARY = 'S';
    public static final byte ERROR = 'E';
    public static final int HEADER = 5;
    /** Largest payload a frame carries (larger pcapng output is split at block boundaries by the writer's flushes). */
    static final int MAX_PAYLOAD = 16 << 20;

    private CaptureFrames() {
    }

    /** One frame's header. */
    static ByteBuffer header(byte type, int length) {
        return ByteBuffer.allocate(HEADER).put(type).putInt(length).flip();
    }

    static ByteBuffer text(byte type, String text) {
        byte[] b = text.getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.allocate(HEADER + b.length).put(type).putInt(b.length).put(b).flip();
    }

    /** A frame read by the client. */
    public record Frame(byte type, byte[] payload) {
        public String text() {
            return new String(payload, StandardCharsets.UTF_8);
        }
    }

    /** Reads the next frame, or null at the end of the stream. */
    public static Frame read(InputStream in) throws IOException {
        DataInputStream data = new DataInputStream(in);
        int type = data.read();
        if (type < 0) {
            return null;
        }
        int length;
        try {
            length = data.readInt();
        } catch (EOFException e) {
            throw new IOException("capture stream cut inside a frame header");
        }
        if (length < 0 || length > MAX_PAYLOAD) {
            throw new IOException("capture stream: frame of " + length + " bytes (accepted: 0-" + MAX_PAYLOAD + ")");
        }
        byte[] payload = data.readNBytes(length);
        if (payload.length != length) {
            throw new IOException("capture stream cut inside a frame: " + payload.length + " of " + length + " bytes");
        }
        return new Frame((byte) type, payload);
    }
}
