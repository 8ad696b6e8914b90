package io.muslin.control.tls;

import io.netty.handler.ssl.ReferenceCountedOpenSslEngine;
import io.netty.internal.tcnative.SSL;
import java.util.Optional;
import javax.net.ssl.SSLEngine;

/** What the TLS engines say about a session beyond {@link javax.net.ssl.SSLSession}. */
public final class TlsSessions {
    private TlsSessions() {
    }

    /**
     * Whether the handshake just completed on {@code engine} resumed an earlier session (a TLS
     * 1.3 ticket, a TLS 1.2 session id) instead of a full handshake: known for OpenSSL's engine;
     * empty for the JDK's, which has no API for it. Call it on the channel's event loop, while
     * the connection is open (OpenSSL's state is freed with it).
     */
    public static Optional<Boolean> resumed(SSLEngine engine) {
        if (engine instanceof ReferenceCountedOpenSslEngine openSsl) {
            long ssl = openSsl.sslPointer();
            return ssl == 0 ? Optional.empty() : Optional.of(SSL.isSessionReused(ssl));
        }
        return Optional.empty();
    }
}
