package io.muslin.control.hub.protocol;

import io.netty.handler.codec.DecoderException;

/**
 * A hub message that breaks the protocol: a frame of the wrong size, bytes that are not one
 * JSON message, a field missing or out of range, or a message out of turn. The message names
 * what was wrong, e.g. {@code Acquire.TTL: 0 is out of range (accepted: 1-2147483647)}. The
 * session that sent it is ended; other sessions are not affected.
 */
public final class HubProtocolException extends DecoderException {
    public HubProtocolException(String message) {
        super(message);
    }
}
