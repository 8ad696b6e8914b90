package io.muslin.dataplane.capture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.muslin.dataplane.Encapsulation;
import io.muslin.dataplane.packet.Ipv4Address;
import io.muslin.dataplane.packet.MacAddress;
import io.muslin.dataplane.packet.Packets;
import io.muslin.dataplane.path.Counter;
import io.muslin.dataplane.vxlan.VxlanEncapsulator;
import io.netty.buffer.ByteBuf;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A capture end to end without a device: packets handed to the recorder at each point come out
 * as pcapng blocks on the right interface, cut and completed as on the wire, with the comment.
 */
class CaptureSessionTest {
    private static final int LOCAL = Ipv4Address.parse("192.168.50.1");
    private static final int PEER = Ipv4Address.parse("192.168.50.2");
    private static final int POD1 = Ipv4Address.parse("10.244.1.2");
    private static final int POD2 = Ipv4Address.parse("10.244.2.2");
    private static final CaptureContext VXLAN = new CaptureContext(Encapsulation.VXLAN, LOCAL, 8472, 1, "muslin0",
        dst -> (dst & 0xFFFFFF00) == (POD2 & 0xFFFFFF00) ? PEER : 0);

    @Test
    void everyPointBecomesItsInterfaceWithCommentsAndSegments() throws IOException {
        Capture capture = new Capture(VXLAN);
        PacketTap tap = capture.newTap();
        assertNull(tap.recorder(), "no capture, no recorder");
        CaptureSession session = capture.open(settings(EnumSet.allOf(CapturePoint.class), "", false, 0));
        Recorder r = tap.recorder();
        assertNotNull(r);

        ByteBuf udp = Packets.buffer(70, Packets.ipv4Udp(0, POD1, POD2, 1000, 53, 10));
        ByteBuf tso = Packets.buffer(70, tcpSuperPacket(3000));
        ByteBuf frame = Packets.buffer(70, Packets.ipv4Udp(0, POD1, POD2, 1000, 53, 10));
        new VxlanEncapsulator(LOCAL, MacAddress.parse("6e:75:73:00:00:01"), 1, 8472)
            .encapsulate(frame, PEER, MacAddress.parse("6e:75:73:00:00:02"));
        ByteBuf received = Packets.buffer(0, vxlanPayload(Packets.ipv4Udp(0, POD2, POD1, 53, 1000, 10)));
        ByteBuf gro = Packets.buffer(0, concat(vxlanPayload(Packets.ipv4Udp(0, POD2, POD1, 53, 1000, 30)),
            vxlanPayload(Packets.ipv4Udp(0, POD2, POD1, 53, 1000, 30))));
        ByteBuf junk = Packets.buffer(0, new byte[] {8, 0, 0, 0});
        try {
            r.tunIn(udp, 0);
            r.tunIn(tso, 1000);
            r.wireOut(frame, PEER);
            r.wireIn(received, 0, received.readableBytes(), PEER, 40000, 0);
            r.wireIn(gro, 0, gro.readableBytes(), PEER, 40000, gro.readableBytes() / 2);
            r.tunOut(udp, PEER);
            r.dropReceived(junk, 0, 4, PEER, 40001, Counter.DROP_MALFORMED);
            r.dropSent(udp, Counter.DROP_NO_ROUTE);
        } finally {
            for (ByteBuf b : List.of(udp, tso, frame, received, gro, junk)) {
                assertTrue(b.release());
            }
        }
        session.stop();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        CaptureSession.Result result = session.run(sink(out));
        assertNull(tap.recorder(), "a finished capture detaches");
        assertEquals(0, capture.running());

        List<Block> blocks = Block.parse(out.toByteArray());
        List<String> interfaces = blocks.stream().filter(b -> b.type == PcapngWriter.INTERFACE_DESCRIPTION)
            .map(b -> b.option(PcapngWriter.IF_NAME)).toList();
        assertEquals(List.of("muslin0:tun-in", "muslin0:wire-out", "muslin0:wire-in", "muslin0:tun-out", "muslin0:drop"),
            interfaces);
        List<Block> packets = blocks.stream().filter(b -> b.type == PcapngWriter.ENHANCED_PACKET).toList();
        assertEquals(1 + 3 + 1 + 1 + 2 + 1 + 2, packets.size());
        assertEquals(new CaptureSession.Result(packets.size(), 0), result);
        List<String> comments = packets.stream().map(b -> b.interfaceId + " " + b.option(PcapngWriter.OPT_COMMENT))
            .toList();
        assertEquals(List.of(
            "0 point=tun-in peer=192.168.50.2 vni=1",
            "0 point=tun-in peer=192.168.50.2 vni=1 tso-segment=1/3",
            "0 point=tun-in peer=192.168.50.2 vni=1 tso-segment=2/3",
            "0 point=tun-in peer=192.168.50.2 vni=1 tso-segment=3/3",
            "1 point=wire-out peer=192.168.50.2 vni=1",
            "2 point=wire-in peer=192.168.50.2 vni=1",
            "2 point=wire-in peer=192.168.50.2 vni=1",
            "2 point=wire-in peer=192.168.50.2 vni=1",
            "3 point=tun-out peer=192.168.50.2 vni=1",
            "4 point=drop peer=192.168.50.2 reason=dropMalformed",
            "4 point=drop peer=192.168.50.2 reason=dropNoRoute"), comments);
        // TSO segments: 20 + 20 + 1000 bytes each, IPv4 total length and TCP sequence as sent.
        for (int k = 1; k <= 3; k++) {
            ByteBuffer seg = ByteBuffer.wrap(packets.get(k).data);
            assertEquals(1040, seg.remaining());
            assertEquals(1040, seg.getShort(2) & 0xFFFF);
            assertEquals(1_000_000 + (k - 1) * 1000, seg.getInt(24));
        }
        // wire-in: the outer IPv4 + UDP header rebuilt in front of the VXLAN payload.
        ByteBuffer in = ByteBuffer.wrap(packets.get(5).data);
        assertEquals(28 + 8 + 14 + 38, in.remaining());
        assertEquals(0x45, in.get(0));
        assertEquals(17, in.get(9));
        assertEquals(PEER, in.getInt(12));
        assertEquals(LOCAL, in.getInt(16));
        assertEquals(40000, in.getShort(20) & 0xFFFF);
        assertEquals(8472, in.getShort(22) & 0xFFFF);
        assertEquals(0, Packets.referenceChecksum(packets.get(5).data, 0, 20), "outer IPv4 header checksum");
        assertEquals(32, packets.get(9).data.length, "a 4-byte drop with its rebuilt outer header");
    }

    @Test
    void theFilterSelectsInnerPacketsOrOuterOnes() throws IOException {
        Assumptions.assumeTrue(libpcap(), "needs libpcap (scripts/test.sh installs libpcap-dev)");
        Capture capture = new Capture(VXLAN);
        PacketTap tap = capture.newTap();
        CaptureSession inner = capture.open(settings(CapturePoint.DEFAULT, "udp port 53", false, 0));
        CaptureSession outer = capture.open(settings(CapturePoint.DEFAULT, "udp dst port 8472", true, 0));
        Recorder r = tap.recorder();
        ByteBuf dns = Packets.buffer(70, Packets.ipv4Udp(0, POD1, POD2, 1000, 53, 10));
        ByteBuf other = Packets.buffer(70, Packets.ipv4Udp(0, POD1, POD2, 1000, 54, 10));
        ByteBuf received = Packets.buffer(0, vxlanPayload(Packets.ipv4Udp(0, POD2, POD1, 53, 1000, 10)));
        try {
            r.tunIn(dns, 0);
            r.tunIn(other, 0);
            r.wireIn(received, 0, received.readableBytes(), PEER, 40000, 0);
        } finally {
            dns.release();
            other.release();
            received.release();
        }
        inner.stop();
        outer.stop();
        ByteArrayOutputStream a = new ByteArrayOutputStream();
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        assertEquals(2, inner.run(sink(a)).captured(), "the DNS packet at tun-in and the one inside the VXLAN datagram");
        assertEquals(1, outer.run(sink(b)).captured(), "only the VXLAN datagram, by its rebuilt outer header");
        assertEquals(List.of(2), Block.parse(b.toByteArray()).stream()
            .filter(x -> x.type == PcapngWriter.ENHANCED_PACKET).map(x -> x.interfaceId).toList());
    }

    @Test
    void whatTheRingCannotHoldIsMissedNotWaitedFor() throws IOException {
        Capture capture = new Capture(VXLAN);
        PacketTap tap = capture.newTap();
        CaptureSession session = capture.open(new CaptureSettings(CapturePoint.DEFAULT, BpfFilter.ALL_PACKETS, false,
            65535, 0, null, false, 4096));
        ByteBuf big = Packets.buffer(70, Packets.ipv4Udp(0, POD1, POD2, 1000, 53, 1400));
        try {
            for (int i = 0; i < 10; i++) {
                tap.recorder().tunIn(big, 0);
            }
        } finally {
            big.release();
        }
        session.stop();
        CaptureSession.Result result = session.run(sink(new ByteArrayOutputStream()));
        assertEquals(10, result.captured() + result.missed());
        assertTrue(result.missed() >= 8, result.toString());
        assertEquals("captured " + result.captured() + ", missed " + result.missed(), result.toString());
    }

    @Test
    void stopsAfterCountAndKeepsEveryBlockWhole() throws Exception {
        Capture capture = new Capture(VXLAN);
        PacketTap tap = capture.newTap();
        CaptureSession session = capture.open(settings(CapturePoint.DEFAULT, "", false, 5));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Thread writer = Thread.ofPlatform().start(() -> {
            try {
                session.run(sink(out));
            } catch (IOException e) {
                throw new AssertionError(e);
            }
        });
        ByteBuf udp = Packets.buffer(70, Packets.ipv4Udp(0, POD1, POD2, 1000, 53, 10));
        try {
            while (writer.isAlive()) {
                Recorder r = tap.recorder();
                if (r != null) {
                    r.tunIn(udp, 0);
                }
                writer.join(1);
            }
        } finally {
            udp.release();
        }
        writer.join(TimeUnit.SECONDS.toMillis(30));
        assertEquals(5, Block.parse(out.toByteArray()).stream().filter(b -> b.type == PcapngWriter.ENHANCED_PACKET)
            .count());
    }

    @Test
    void tsharkReadsTheCapture(@TempDir Path dir) throws Exception {
        Assumptions.assumeTrue(onPath("tshark"), "tshark not installed (scripts/test.sh installs it)");
        Capture capture = new Capture(VXLAN);
        PacketTap tap = capture.newTap();
        CaptureSession session = capture.open(settings(EnumSet.allOf(CapturePoint.class), "", false, 0));
        ByteBuf tso = Packets.buffer(70, tcpSuperPacket(2500));
        ByteBuf received = Packets.buffer(0, vxlanPayload(Packets.ipv4Udp(0, POD2, POD1, 53, 1000, 10)));
        try {
            tap.recorder().tunIn(tso, 1000);
            tap.recorder().wireIn(received, 0, received.readableBytes(), PEER, 40000, 0);
        } finally {
            tso.release();
            received.release();
        }
        session.stop();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        session.run(sink(out));
        Path file = dir.resolve("c.pcapng");
        Files.write(file, out.toByteArray());
        Process p = new ProcessBuilder("tshark", "-r", file.toString(), "-d", "udp.port==8472,vxlan", "-o",
            "tcp.check_checksum:TRUE", "-T", "fields", "-e", "frame.interface_name", "-e", "tcp.checksum.status",
            "-e", "vxlan.vni", "-e", "frame.comment").redirectError(dir.resolve("tshark.err").toFile()).start();
        String text = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        int exit = p.waitFor();
        String err = Files.readString(dir.resolve("tshark.err"), StandardCharsets.UTF_8);
        assertEquals(0, exit, () -> text + err);
        List<String> lines = text.lines().toList();
        assertEquals(4, lines.size(), text);
        assertTrue(lines.get(0).startsWith("muslin0:tun-in\t1\t\t"), "segment TCP checksum good (status 1): " + lines.get(0));
        assertTrue(lines.get(3).startsWith("muslin0:wire-in\t\t1\tpoint=wire-in"), lines.get(3));
    }

    // ------------------------------------------------------------------ helpers

    static CaptureSettings settings(Set<CapturePoint> points, String filter, boolean outer, long count) {
        return new CaptureSettings(points, BpfCompiler.compile(filter), outer, 65535, count, null, false,
            CaptureSettings.DEFAULT_RING_BYTES);
    }

    static CaptureSink sink(ByteArrayOutputStream out) {
        return pcapng -> {
            byte[] b = new byte[pcapng.remaining()];
            pcapng.get(b);
            out.write(b);
        };
    }

    /** IPv4 + TCP (no options) with {@code payload} bytes: sequence 1000000, ACK|PSH. */
    static byte[] tcpSuperPacket(int payload) {
        ByteBuffer b = ByteBuffer.allocate(40 + payload);
        b.put((byte) 0x45).put((byte) 0).putShort((short) (40 + payload)).putShort((short) 7).putShort((short) 0x4000)
            .put((byte) 64).put((byte) 6).putShort((short) 0).putInt(POD1).putInt(POD2);
        b.putShort((short) 40000).putShort((short) 5001).putInt(1_000_000).putInt(1).put((byte) 0x50)
            .put((byte) 0x18).putShort((short) 500).putInt(0);
        for (int i = 0; i < payload; i++) {
            b.put((byte) i);
        }
        return b.array();
    }

    /** A VXLAN header (I flag, VNI 1) and an Ethernet header (to our MAC, IPv4) before {@code inner}. */
    static byte[] vxlanPayload(byte[] inner) {
        ByteBuffer b = ByteBuffer.allocate(8 + 14 + inner.length);
        b.put((byte) 8).put(new byte[3]).putInt(1 << 8);
        b.put(new byte[] {0x6e, 0x75, 0x73, 0, 0, 1, 0x6e, 0x75, 0x73, 0, 0, 2}).putShort((short) 0x0800).put(inner);
        return b.array();
    }

    static byte[] concat(byte[] a, byte[] b) {
        byte[] c = new byte[a.length + b.length];
        System.arraycopy(a, 0, c, 0, a.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }

    private static boolean libpcap() {
        try {
            BpfCompiler.compile("ip");
            return true;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    static boolean onPath(String tool) {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
            if (Files.isExecutable(Path.of(dir, tool))) {
                return true;
            }
        }
        return false;
    }

    /** One pcapng block as read back (little-endian host). */
    record Block(int type, int interfaceId, byte[] data, List<int[]> optionRanges, byte[] raw) {
        String option(int code) {
            for (int[] o : optionRanges) {
                if (o[0] == code) {
                    return new String(raw, o[1], o[2], StandardCharsets.UTF_8);
                }
            }
            return null;
        }

        static List<Block> parse(byte[] file) {
            ByteBuffer b = ByteBuffer.wrap(file).order(ByteOrder.nativeOrder());
            List<Block> out = new ArrayList<>();
            while (b.hasRemaining()) {
                int start = b.position();
                int type = b.getInt(start);
                int length = b.getInt(start + 4);
                assertEquals(length, b.getInt(start + length - 4), "total length at both ends");
                assertEquals(0, length % 4);
                int optionsAt;
                int iface = -1;
                byte[] data = null;
                switch (type) {
                    case PcapngWriter.SECTION_HEADER -> optionsAt = start + 24;
                    case PcapngWriter.INTERFACE_DESCRIPTION -> optionsAt = start + 16;
                    case PcapngWriter.ENHANCED_PACKET -> {
                        iface = b.getInt(start + 8);
                        int captured = b.getInt(start + 20);
                        data = new byte[captured];
                        System.arraycopy(file, start + 28, data, 0, captured);
                        optionsAt = start + 28 + ((captured + 3) & ~3);
                    }
                    default -> throw new AssertionError("unexpected block type " + type);
                }
                List<int[]> options = new ArrayList<>();
                for (int at = optionsAt; at < start + length - 4; ) {
                    int code = b.getShort(at) & 0xFFFF;
                    int len = b.getShort(at + 2) & 0xFFFF;
                    if (code == PcapngWriter.OPT_ENDOFOPT) {
                        break;
                    }
                    options.add(new int[] {code, at + 4, len});
                    at += 4 + ((len + 3) & ~3);
                }
                out.add(new Block(type, iface, data, options, file));
                b.position(start + length);
            }
            return out;
        }
    }
}
