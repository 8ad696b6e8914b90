package io.muslin.node.e2e;

import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.util.HexFormat;

/**
 * Sends crafted UDP datagrams: {@code UdpSend HOST PORT HEX...}, one datagram per HEX argument.
 * The e2e tests run it with {@code ip netns exec} to send from inside a node's namespace.
 */
public final class UdpSend {
    private UdpSend() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 3) {
            System.err.println("usage: UdpSend HOST PORT HEX...");
            System.exit(2);
        }
        InetSocketAddress to = new InetSocketAddress(args[0], Integer.parseInt(args[1]));
        try (DatagramSocket socket = new DatagramSocket()) {
            for (int i = 2; i < args.length; i++) {
                byte[] payload = HexFormat.of().parseHex(args[i]);
                socket.send(new DatagramPacket(payload, payload.length, to));
                Thread.sleep(20);
            }
        }
        System.out.println("sent " + (args.length - 2) + " datagram(s) to " + to);
    }
}
