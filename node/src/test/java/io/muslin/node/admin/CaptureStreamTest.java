package io.muslin.node.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.muslin.dataplane.Encapsulation;
import io.muslin.dataplane.capture.Capture;
import io.muslin.dataplane.capture.CaptureContext;
import io.muslin.dataplane.capture.PacketTap;
import io.muslin.dataplane.capture.Recorder;
import io.muslin.dataplane.packet.Ipv4Address;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** {@code capture} on the admin socket: the frames, a stop by half-close, errors as one frame. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class CaptureStreamTest {
    @TempDir
    Path dir;
    private AdminServer server;

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    @Test
    void streamsPcapngUntilTheClientShutsDownItsSide() throws IOException {
        Capture capture = new Capture(new CaptureContext(Encapsulation.VXLAN, Ipv4Address.parse("192.168.50.1"), 8472,
            1, "muslin0", dst -> 0));
        PacketTap tap = capture.newTap();
        FakeAdminView view = new FakeAdminView();
        view.capture = capture;
        Path socket = dir.resolve("a.sock");
        server = AdminServer.start(socket, view);
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            ch.connect(UnixDomainSocketAddress.of(socket));
            send(ch, new CaptureRequest(List.of("tun-in"), "", false, 100, 0, 0, false).line() + "\n");
            InputStream in = Channels.newInputStream(ch);
            CaptureFrames.Frame info = CaptureFrames.read(in);
            assertEquals(CaptureFrames.INFO, info.type());
            assertEquals("capturing on muslin0 at tun-in", info.text());
            Recorder r = tap.recorder();
            assertNotNull(r, "the capture is on once the client is told so");
            ByteBuf packet = Unpooled.directBuffer(300).writeBytes(ipv4(200));
            try {
                r.tunIn(packet, 0);
                r.tunIn(packet, 0);
            } finally {
                packet.release();
            }
            ch.shutdownOutput();
            ByteArrayOutputStream pcapng = new ByteArrayOutputStream();
            CaptureFrames.Frame f;
            while ((f = CaptureFrames.read(in)).type() == CaptureFrames.PCAPNG) {
                pcapng.write(f.payload());
            }
            assertEquals(CaptureFrames.SUMMARY, f.type());
            assertEquals("captured 2, missed 0", f.text());
            ByteBuffer b = ByteBuffer.wrap(pcapng.toByteArray()).order(java.nio.ByteOrder.nativeOrder());
            assertEquals(0x0A0D0D0A, b.getInt(0));
            int blocks = 0;
            int snapped = 0;
            for (int at = 0; at < b.limit(); at += b.getInt(at + 4)) {
                blocks++;
                if (b.getInt(at) == 6) {
                    snapped = b.getInt(at + 20);
                }
            }
            assertEquals(1 + 1 + 2, blocks, "section, one interface, two packets");
            assertEquals(100, snapped, "--snaplen 100");
            assertEquals(null, CaptureFrames.read(in), "closed after the summary");
        }
        assertEquals(0, capture.running());
    }

    @Test
    void aBadFilterOrPointIsOneErrorFrame() throws IOException {
        FakeAdminView view = new FakeAdminView();
        view.capture = new Capture(new CaptureContext(Encapsulation.VXLAN, 1, 8472, 1, "muslin0", dst -> 0));
        Path socket = dir.resolve("b.sock");
        server = AdminServer.start(socket, view);
        CaptureFrames.Frame e = request(socket, new CaptureRequest(List.of("nowhere"), "", false, 100, 0, 0, false));
        assertEquals(CaptureFrames.ERROR, e.type());
        assertEquals("unknown capture point \"nowhere\" (accepted: tun-in, wire-out, wire-in, tun-out, drop)", e.text());
        CaptureFrames.Frame j = requestLine(socket, "capture {\"colour\":1}");
        assertEquals("capture request: unknown field \"colour\" (accepted: points, filter, outer, snaplen, count, "
            + "durationMillis, superPackets)", j.text());
    }

    @Test
    void hostGwHasNothingToCapture() throws IOException {
        Path socket = dir.resolve("c.sock");
        server = AdminServer.start(socket, new FakeAdminView());
        CaptureFrames.Frame e = request(socket, new CaptureRequest(List.of(), "", false, 100, 0, 0, false));
        assertEquals(CaptureFrames.ERROR, e.type());
        assertTrue(e.text().contains("host-gw"), e.text());
    }

    private static CaptureFrames.Frame request(Path socket, CaptureRequest r) throws IOException {
        return requestLine(socket, r.line());
    }

    private static CaptureFrames.Frame requestLine(Path socket, String line) throws IOException {
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            ch.connect(UnixDomainSocketAddress.of(socket));
            send(ch, line + "\n");
            return CaptureFrames.read(Channels.newInputStream(ch));
        }
    }

    private static void send(SocketChannel ch, String s) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(s.getBytes(StandardCharsets.UTF_8));
        while (b.hasRemaining()) {
            ch.write(b);
        }
    }

    static byte[] ipv4(int length) {
        byte[] p = new byte[length];
        p[0] = 0x45;
        p[2] = (byte) (length >> 8);
        p[3] = (byte) length;
        p[9] = 17;
        return p;
    }
}
