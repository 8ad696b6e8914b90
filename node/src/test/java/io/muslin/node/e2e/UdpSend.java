package io.muslin.node.e2e;

import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.util.HexFormat;

/**
 * Sends crafted UDP datagrams: {@code UdpSend [--from ADDRESS] HOST PORT HEX...}, one datagram
 * per HEX argument, from {@code ADDRESS} (one of the namespace's own) when given.
 * The e2e tests run it with {@code ip netns exec} to send from inside a node's namespace.
 */
public final class UdpSend {
    private UdpSend() {
    }

    public static void main(String[] args) throws Exception {
        InetSocketAddress from = null;
        int first = 0;
        if (args.length > 1 && args[0].equals("--from")) {
            from = new InetSocketAddress(args[1], 0);
            first = 2;
        }
        if (args.length < first + 3) {
            System.err.println("usage: UdpSend [--from ADDRESS] HOST PORT HEX...");
            System.exit(2);
        }
        InetSocketAddress to = new InetSocketAddress(args[first], Integer.parseInt(args[first + 1]));
        try (DatagramSocket socket = from == null ? new DatagramSocket() : new DatagramSocket(from)) {
            for (int i = first + 2; i < args.length; i++) {
                byte[] payload = HexFormat.of().parseHex(args[i]);
                socket.send(new DatagramPacket(payload, payload.length, to));
                Thread.sleep(20);
            }
        }
        System.out.println("sent " + (args.length - first - 2) + " datagram(s) to " + to);
    }
}
