package io.muslin.tun.linux;

import java.util.concurrent.ThreadLocalRandom;

/** UDP sockets on 127.0.0.1 for the socket tests: no root needed. */
final class LoopbackUdp {
    static final int LOOPBACK = 0x7F000001;

    private LoopbackUdp() {
    }

    /** Binds a UDP socket on 127.0.0.1 at a free port in 20000-39999, written to {@code portOut[0]}. */
    static NativeSocket bind(int[] portOut) throws LinuxException {
        LinuxException last = null;
        for (int attempt = 0; attempt < 50; attempt++) {
            int port = 20000 + ThreadLocalRandom.current().nextInt(20000);
            try {
                NativeSocket s = NativeSocket.udp(LOOPBACK, port, 1 << 20);
                portOut[0] = port;
                return s;
            } catch (LinuxException e) {
                last = e;
            }
        }
        throw last;
    }
}
