package io.muslin.control.bgp.speaker;

import io.muslin.control.bgp.Bgp;
import io.muslin.control.bgp.BgpCapability;
import io.muslin.control.bgp.BgpDecoder;
import io.muslin.control.bgp.BgpEncoder;
import io.muslin.control.bgp.BgpKeepalive;
import io.muslin.control.bgp.BgpMessage;
import io.muslin.control.bgp.BgpNotification;
import io.muslin.control.bgp.BgpOpen;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.util.List;

/**
 * A BGP peer driven by the test, one blocking message at a time over a real socket: it says
 * exactly what the test wants, including what no real speaker would.
 */
final class ScriptedPeer implements AutoCloseable {
    final Socket socket;
    private final InputStream in;
    private final OutputStream out;
    private final ByteBuf received = Unpooled.buffer();
    private boolean fourOctetAs = true;

    private ScriptedPeer(Socket socket) throws IOException {
        this.socket = socket;
        socket.setSoTimeout(10_000);
        this.in = socket.getInputStream();
        this.out = socket.getOutputStream();
    }

    /** Connects from {@code local} (a loopback address) to the speaker. */
    static ScriptedPeer connect(String local, String speaker, int port) throws IOException {
        Socket s = new Socket();
        s.bind(new InetSocketAddress(InetAddress.getByName(local), 0));
        s.connect(new InetSocketAddress(InetAddress.getByName(speaker), port), 5000);
        return new ScriptedPeer(s);
    }

    static BgpOpen open(long as, String id, int holdTime, BgpCapability... extra) throws IOException {
        List<BgpCapability> caps = new java.util.ArrayList<>(List.of(BgpCapability.Multiprotocol.IPV4_UNICAST,
            new BgpCapability.FourOctetAs(as)));
        caps.addAll(List.of(extra));
        return BgpOpen.of(as, holdTime, io.muslin.dataplane.packet.Ipv4Address.parse(id), caps);
    }

    /** OPEN, KEEPALIVE both ways: returns the speaker's OPEN. */
    BgpOpen establish(BgpOpen ours) throws IOException {
        send(ours);
        BgpMessage first = read();
        if (!(first instanceof BgpOpen theirs)) {
            throw new AssertionError("expected OPEN, got " + first);
        }
        fourOctetAs = theirs.fourOctetAs() && ours.fourOctetAs();
        send(BgpKeepalive.INSTANCE);
        BgpMessage m = read();
        if (!(m instanceof BgpKeepalive)) {
            throw new AssertionError("expected KEEPALIVE, got " + m);
        }
        return theirs;
    }

    void send(BgpMessage m) throws IOException {
        ByteBuf b = Unpooled.buffer();
        try {
            BgpEncoder.write(m, b, fourOctetAs);
            byte[] bytes = new byte[b.readableBytes()];
            b.readBytes(bytes);
            sendRaw(bytes);
        } finally {
            b.release();
        }
    }

    void sendRaw(byte[] bytes) throws IOException {
        out.write(bytes);
        out.flush();
    }

    /** The next message; KEEPALIVEs are returned too. */
    BgpMessage read() throws IOException {
        byte[] chunk = new byte[4096];
        while (true) {
            BgpMessage m = BgpDecoder.decode(received, fourOctetAs);
            if (m != null) {
                received.discardReadBytes();
                return m;
            }
            int n = in.read(chunk);
            if (n < 0) {
                throw new IOException("closed by the speaker");
            }
            received.writeBytes(chunk, 0, n);
        }
    }

    /** The next message that is not a KEEPALIVE. */
    BgpMessage readSkippingKeepalives() throws IOException {
        while (true) {
            BgpMessage m = read();
            if (!(m instanceof BgpKeepalive)) {
                return m;
            }
        }
    }

    /** Reads until the NOTIFICATION and then the close; returns the NOTIFICATION. */
    BgpNotification readNotificationAndClose() throws IOException {
        BgpMessage m = readSkippingKeepalives();
        while (m instanceof io.muslin.control.bgp.BgpUpdate) {
            m = readSkippingKeepalives();
        }
        if (!(m instanceof BgpNotification n)) {
            throw new AssertionError("expected NOTIFICATION, got " + m);
        }
        try {
            if (in.read() >= 0) {
                throw new AssertionError("the speaker wrote more after its NOTIFICATION");
            }
        } catch (SocketTimeoutException e) {
            throw new AssertionError("the speaker did not close after its NOTIFICATION", e);
        }
        return n;
    }

    @Override
    public void close() throws IOException {
        if (received.refCnt() > 0) {
            received.release();
        }
        socket.close();
    }

    static final int ANY = Bgp.PORT;
}
