package io.muslin.node.e2e;

import io.muslin.dataplane.packet.Ipv4Address;
import io.muslin.tun.linux.Libc;
import io.muslin.tun.linux.MessageBatch;
import io.muslin.tun.linux.NativeSocket;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.HexFormat;

/**
 * Sends crafted IPv4 packets, IP header included: {@code RawIpSend DST HEX...}, one packet per
 * HEX argument, on a raw socket (the JDK has none). The e2e tests run it with
 * {@code ip netns exec} to inject packets from inside a namespace.
 */
public final class RawIpSend {
    private RawIpSend() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 2) {
            System.err.println("usage: RawIpSend DST HEX...");
            System.exit(2);
        }
        int dst = Ipv4Address.parse(args[0]);
        try (NativeSocket raw = NativeSocket.rawIpv4(0); Arena arena = Arena.ofConfined();
             MessageBatch batch = new MessageBatch(1)) {
            MemorySegment errno = Libc.newErrnoSegment(arena);
            for (int i = 1; i < args.length; i++) {
                byte[] packet = HexFormat.of().parseHex(args[i]);
                MemorySegment buf = arena.allocate(packet.length);
                buf.copyFrom(MemorySegment.ofArray(packet));
                batch.setBuffer(0, buf.address(), packet.length);
                batch.setDestination(0, dst, 0);
                int n = raw.send(batch, 0, 1, errno);
                if (n != 1) {
                    System.err.println("send failed: " + n);
                    System.exit(1);
                }
            }
        }
        System.out.println("sent " + (args.length - 1) + " packet(s) to " + args[0]);
    }
}
