package io.muslin.node.e2e;

import io.muslin.control.bgp.Bgp;
import io.muslin.control.bgp.BgpCapability;
import io.muslin.control.bgp.BgpDecoder;
import io.muslin.control.bgp.BgpEncoder;
import io.muslin.control.bgp.BgpKeepalive;
import io.muslin.control.bgp.BgpMessage;
import io.muslin.control.bgp.BgpNotification;
import io.muslin.control.bgp.BgpOpen;
import io.muslin.control.bgp.BgpPathAttributes;
import io.muslin.control.bgp.BgpPrefix;
import io.muslin.control.bgp.BgpUpdate;
import io.muslin.dataplane.packet.Ipv4Address;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.HexFormat;
import java.util.List;

/**
 * A BGP speaker that sends muslin one malformed message and prints the NOTIFICATION it gets:
 * {@code BgpProbe LOCAL TARGET PORT CASE}, run in a namespace of its own ({@code ip netns exec}).
 * Output, one line: {@code NOTIFICATION <code>/<subcode> <data hex>}; exit 1 when the
 * connection ends without one. The cases (RFC 4271 §6):
 * <ul>
 *   <li>{@code marker}: a KEEPALIVE whose marker is 12 octets of ones, not 16 (1/1);</li>
 *   <li>{@code length}: a message header saying 18 octets (1/2, data 0012);</li>
 *   <li>{@code attribute}: after OPEN and KEEPALIVE, a valid announcement of 10.244.9.0/24 (next
 *       hop LOCAL), then an UPDATE with attribute type 99 flagged well-known (3/2, data: the
 *       attribute). Its OPEN announces graceful restart for IPv4 with 5 s, so muslin keeps the
 *       route that long;</li>
 *   <li>{@code nlri}: after OPEN and KEEPALIVE, an UPDATE whose NLRI says /24 but holds two
 *       octets (3/10).</li>
 * </ul>
 */
public final class BgpProbe {
    private static final String MARKER = "ff".repeat(16);

    private BgpProbe() {
    }

    public static void main(String[] args) throws IOException {
        if (args.length != 4) {
            System.err.println("usage: BgpProbe LOCAL TARGET PORT marker|length|attribute|nlri");
            System.exit(2);
        }
        String local = args[0];
        try (Socket s = new Socket()) {
            s.bind(new InetSocketAddress(InetAddress.getByName(local), 0));
            s.connect(new InetSocketAddress(InetAddress.getByName(args[1]), Integer.parseInt(args[2])), 5000);
            s.setSoTimeout(20_000);
            OutputStream out = s.getOutputStream();
            InputStream in = s.getInputStream();
            ByteBuf received = Unpooled.buffer();
            try {
                switch (args[3]) {
                    case "marker" -> out.write(hex("ff".repeat(12) + "0013" + "04" + "00000000"));
                    case "length" -> out.write(hex(MARKER + "0012" + "04"));
                    case "attribute" -> {
                        establish(local, out, in, received);
                        out.write(encode(new BgpUpdate(List.of(), BgpPathAttributes.builder().origin(Bgp.ORIGIN_IGP)
                            .asPath(List.of()).nextHop(Ipv4Address.parse(local)).localPref(100).build(),
                            List.of(BgpPrefix.ipv4("10.244.9.0/24")))));
                        out.write(hex(MARKER + "001b" + "02" + "0000" + "0004" + "40630100"));
                    }
                    case "nlri" -> {
                        establish(local, out, in, received);
                        out.write(hex(MARKER + "0028" + "02" + "0000" + "000e"
                            + "40010100" + "400200" + "400304" + HexFormat.of().toHexDigits(Ipv4Address.parse(local))
                            + "18" + "0af4"));
                    }
                    default -> {
                        System.err.println("unknown case " + args[3]);
                        System.exit(2);
                    }
                }
                out.flush();
                while (true) {
                    BgpMessage m = read(in, received);
                    if (m == null) {
                        System.out.println("closed without a NOTIFICATION");
                        System.exit(1);
                    }
                    if (m instanceof BgpNotification n) {
                        System.out.println("NOTIFICATION " + n.codes() + " " + HexFormat.of().formatHex(n.data()));
                        return;
                    }
                }
            } finally {
                received.release();
            }
        }
    }

    /** OPEN (AS 64512, graceful restart 5 s for IPv4), KEEPALIVE, and muslin's OPEN and KEEPALIVE. */
    private static void establish(String local, OutputStream out, InputStream in, ByteBuf received) throws IOException {
        out.write(encode(BgpOpen.of(64512, 90, Ipv4Address.parse(local), List.of(
            BgpCapability.Multiprotocol.IPV4_UNICAST, new BgpCapability.FourOctetAs(64512),
            new BgpCapability.GracefulRestart(0, 5, List.of(new BgpCapability.GracefulRestart.Family(1, 1,
                Bgp.GR_FORWARDING_PRESERVED)))))));
        out.write(encode(BgpKeepalive.INSTANCE));
        out.flush();
        boolean open = false;
        boolean keepalive = false;
        while (!(open && keepalive)) {
            BgpMessage m = read(in, received);
            if (m == null || m instanceof BgpNotification) {
                System.out.println("session not established: " + m);
                System.exit(1);
            }
            open |= m instanceof BgpOpen;
            keepalive |= m instanceof BgpKeepalive;
        }
    }

    private static BgpMessage read(InputStream in, ByteBuf received) throws IOException {
        byte[] chunk = new byte[4096];
        while (true) {
            BgpMessage m = BgpDecoder.decode(received, true);
            if (m != null) {
                received.discardReadBytes();
                return m;
            }
            int n = in.read(chunk);
            if (n < 0) {
                return null;
            }
            received.writeBytes(chunk, 0, n);
        }
    }

    private static byte[] encode(BgpMessage m) {
        ByteBuf b = Unpooled.buffer();
        try {
            BgpEncoder.write(m, b, true);
            byte[] bytes = new byte[b.readableBytes()];
            b.readBytes(bytes);
            return bytes;
        } finally {
            b.release();
        }
    }

    private static byte[] hex(String text) {
        return HexFormat.of().parseHex(text);
    }
}
