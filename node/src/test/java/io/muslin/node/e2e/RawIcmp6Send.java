package io.muslin.node.e2e;

import io.muslin.dataplane.packet.Ipv6Address;
import io.muslin.tun.linux.Libc;
import io.muslin.tun.linux.MessageBatch;
import io.muslin.tun.linux.NativeSocket;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.HexFormat;

/**
 * Sends crafted ICMPv6 messages: {@code RawIcmp6Send DST HEX...}, one message per HEX argument
 * (ICMPv6 header first, no IPv6 header: the kernel writes it and the checksum), on a raw ICMPv6
 * socket (the JDK has none). The e2e tests run it with {@code ip netns exec} to play a router on
 * the IPv6 underlay.
 */
public final class RawIcmp6Send {
    private RawIcmp6Send() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 2) {
            System.err.println("usage: RawIcmp6Send DST HEX...");
            System.exit(2);
        }
        Ipv6Address dst = Ipv6Address.parse(args[0]);
        try (NativeSocket raw = NativeSocket.rawIcmp6Receiver(0); Arena arena = Arena.ofConfined();
             MessageBatch batch = new MessageBatch(1)) {
            MemorySegment errno = Libc.newErrnoSegment(arena);
            for (int i = 1; i < args.length; i++) {
                byte[] message = HexFormat.of().parseHex(args[i]);
                MemorySegment buf = arena.allocate(message.length);
                buf.copyFrom(MemorySegment.ofArray(message));
                batch.setBuffer(0, buf.address(), message.length);
                batch.setDestination6(0, dst.hi(), dst.lo(), 0);
                int n = raw.send(batch, 0, 1, errno);
                if (n != 1) {
                    System.err.println("send failed: " + n);
                    System.exit(1);
                }
            }
        }
        System.out.println("sent " + (args.length - 1) + " message(s) to " + args[0]);
    }
}
