package io.muslin.control.bgp;

import io.netty.handler.codec.DecoderException;

/**
 * A received message that breaks RFC 4271 (as RFC 7606 revises it for UPDATE) in a way that
 * ends the session: {@link #notification} is the NOTIFICATION to send before closing (RFC 4271
 * §6). The message reads like the spec: {@code "bad message length 18 (expected: 19-4096)"}.
 */
public final class BgpDecoderException extends DecoderException {
    private static final long serialVersionUID = 1L;

    private final transient BgpNotification notification;

    public BgpDecoderException(BgpNotification notification, String message) {
        super(message);
        this.notification = notification;
    }

    public BgpDecoderException(int code, int subcode, byte[] data, String message) {
        this(new BgpNotification(code, subcode, data), message);
    }

    public BgpDecoderException(int code, int subcode, String message) {
        this(new BgpNotification(code, subcode), message);
    }

    /** What to tell the peer. */
    public BgpNotification notification() {
        return notification;
    }
}
