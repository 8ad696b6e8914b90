package io.muslin.node.e2e;

import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * Numbered datagrams over several flows, to check that the dataplane keeps each flow's order.
 * The e2e tests run both ends with {@code ip netns exec} in two pods.
 * <ul>
 *   <li>{@code UdpSequence send HOST PORT FLOWS COUNT}: FLOWS sockets (so FLOWS source ports,
 *       FLOWS flows) each send COUNT datagrams numbered 0..COUNT-1, the flows interleaved
 *       round-robin, in bursts of one datagram per flow, 1 ms apart;</li>
 *   <li>{@code UdpSequence receive PORT FLOWS COUNT}: prints {@code ready} once bound, then
 *       receives until every datagram came or none came for 3 s (for a minute before the first), and prints one line per flow:
 *       {@code flow F received R outOfOrder O} (O: datagrams whose number was not above the
 *       flow's previous one).</li>
 * </ul>
 * Payload: flow number (4 bytes), datagram number (4 bytes), padding to 64 bytes.
 */
public final class UdpSequence {
    private static final int LENGTH = 64;

    private UdpSequence() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length == 5 && args[0].equals("send")) {
            send(new InetSocketAddress(args[1], Integer.parseInt(args[2])), Integer.parseInt(args[3]),
                Integer.parseInt(args[4]));
        } else if (args.length == 4 && args[0].equals("receive")) {
            receive(Integer.parseInt(args[1]), Integer.parseInt(args[2]), Integer.parseInt(args[3]));
        } else {
            System.err.println("usage: UdpSequence send HOST PORT FLOWS COUNT | receive PORT FLOWS COUNT");
            System.exit(2);
        }
    }

    private static void send(InetSocketAddress to, int flows, int count) throws Exception {
        DatagramSocket[] sockets = new DatagramSocket[flows];
        try {
            for (int f = 0; f < flows; f++) {
                sockets[f] = new DatagramSocket();
            }
            byte[] payload = new byte[LENGTH];
            DatagramPacket packet = new DatagramPacket(payload, LENGTH, to);
            for (int seq = 0; seq < count; seq++) {
                for (int f = 0; f < flows; f++) {
                    ByteBuffer.wrap(payload).putInt(f).putInt(seq);
                    sockets[f].send(packet);
                }
                Thread.sleep(1); // pacing, so that no queue on the way overflows
            }
        } finally {
            for (DatagramSocket s : sockets) {
                if (s != null) {
                    s.close();
                }
            }
        }
        System.out.println("sent " + count + " datagrams on each of " + flows + " flows to " + to);
    }

    private static void receive(int port, int flows, int count) throws Exception {
        int[] received = new int[flows];
        int[] outOfOrder = new int[flows];
        int[] last = new int[flows];
        Arrays.fill(last, -1);
        long expected = (long) flows * count;
        long total = 0;
        try (DatagramSocket socket = new DatagramSocket(port)) {
            socket.setReceiveBufferSize(4 << 20);
            socket.setSoTimeout(3000);
            System.out.println("ready");
            System.out.flush();
            byte[] buf = new byte[LENGTH];
            DatagramPacket packet = new DatagramPacket(buf, LENGTH);
            int idle = 0;
            while (total < expected) {
                try {
                    socket.receive(packet);
                } catch (SocketTimeoutException e) {
                    if (total > 0 || ++idle == 20) {
                        break; // the rest is lost (or the sender never started, within a minute)
                    }
                    continue;
                }
                ByteBuffer b = ByteBuffer.wrap(buf, 0, packet.getLength());
                int f = b.getInt();
                int seq = b.getInt();
                if (f < 0 || f >= flows) {
                    continue;
                }
                received[f]++;
                total++;
                if (seq <= last[f]) {
                    outOfOrder[f]++;
                } else {
                    last[f] = seq;
                }
            }
        }
        for (int f = 0; f < flows; f++) {
            System.out.println("flow " + f + " received " + received[f] + " outOfOrder " + outOfOrder[f]);
        }
    }
}
