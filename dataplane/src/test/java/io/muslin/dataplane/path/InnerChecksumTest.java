package io.muslin.dataplane.path;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.muslin.dataplane.packet.Packets;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Inner checksums as kernel peers send them: complete (a NIC or the kernel finished them), or
 * unfinished (CHECKSUM_PARTIAL over a veth: the field holds the folded pseudo-header sum). The
 * packets are built here field by field with the textbook checksum, independent of
 * {@link io.muslin.dataplane.offload.Checksum}.
 */
class InnerChecksumTest {
    private static final int TCP = 6;
    private static final int UDP = 17;

    /** An IPv4 or IPv6 packet carrying TCP (20-byte header) or UDP with {@code payload} bytes; checksum right. */
    private static byte[] packet(boolean ipv6, int protocol, int payload, long seed) {
        int ipHeader = ipv6 ? 40 : 20;
        int l4Header = protocol == TCP ? 20 : 8;
        int l4Length = l4Header + payload;
        byte[] p = new byte[ipHeader + l4Length];
        if (ipv6) {
            Packets.putInt(p, 0, 6 << 28);
            Packets.putShort(p, 4, l4Length);
            p[6] = (byte) protocol;
            p[7] = 64;
            for (int i = 8; i < 40; i++) {
                p[i] = (byte) (0xFD + i * 7);
            }
        } else {
            p[0] = 0x45;
            Packets.putShort(p, 2, p.length);
            Packets.putShort(p, 6, 0x4000);
            p[8] = 64;
            p[9] = (byte) protocol;
            Packets.putInt(p, 12, 0x0AF60202);
            Packets.putInt(p, 16, 0x0AF60102);
            Packets.putShort(p, 10, Packets.referenceChecksum(p, 0, 20));
        }
        Packets.putShort(p, ipHeader, 40000);
        Packets.putShort(p, ipHeader + 2, 5201);
        if (protocol == TCP) {
            Packets.putInt(p, ipHeader + 4, 1_000_000);
            p[ipHeader + 12] = 0x50;
            p[ipHeader + 13] = 0x18;
            Packets.putShort(p, ipHeader + 14, 502);
        } else {
            Packets.putShort(p, ipHeader + 4, l4Length);
        }
        Random random = new Random(seed);
        for (int i = ipHeader + l4Header; i < p.length; i++) {
            p[i] = (byte) random.nextInt();
        }
        int field = ipHeader + (protocol == TCP ? 16 : 6);
        int csum = textbook(pseudoAndSegment(p, ipv6, protocol, ipHeader, l4Length));
        Packets.putShort(p, field, protocol == UDP && csum == 0 ? 0xFFFF : csum);
        return p;
    }

    private static byte[] pseudoAndSegment(byte[] p, boolean ipv6, int protocol, int ipHeader, int l4Length) {
        byte[] pseudo = pseudoHeader(p, ipv6, protocol, l4Length);
        byte[] all = new byte[pseudo.length + l4Length];
        System.arraycopy(pseudo, 0, all, 0, pseudo.length);
        System.arraycopy(p, ipHeader, all, pseudo.length, l4Length);
        return all;
    }

    private static byte[] pseudoHeader(byte[] p, boolean ipv6, int protocol, int l4Length) {
        byte[] pseudo = new byte[ipv6 ? 40 : 12];
        if (ipv6) {
            System.arraycopy(p, 8, pseudo, 0, 32);
            Packets.putInt(pseudo, 32, l4Length);
            pseudo[39] = (byte) protocol;
        } else {
            System.arraycopy(p, 12, pseudo, 0, 8);
            pseudo[9] = (byte) protocol;
            Packets.putShort(pseudo, 10, l4Length);
        }
        return pseudo;
    }

    private static int textbook(byte[] data) {
        return Packets.referenceChecksum(data, 0, data.length);
    }

    /** What the kernel leaves in the field for CHECKSUM_PARTIAL: the folded pseudo-header sum, not inverted. */
    private static byte[] unfinished(byte[] good, boolean ipv6, int protocol) {
        byte[] p = good.clone();
        int ipHeader = ipv6 ? 40 : 20;
        int l4Length = p.length - ipHeader;
        int pseudoSum = ~textbook(pseudoHeader(p, ipv6, protocol, l4Length)) & 0xFFFF;
        Packets.putShort(p, ipHeader + (protocol == TCP ? 16 : 6), pseudoSum);
        return p;
    }

    private static int check(byte[] packet, ByteBuf[] out) {
        ByteBuf buf = Unpooled.directBuffer(packet.length + 8).writeZero(8).writeBytes(packet);
        buf.readerIndex(8);
        out[0] = buf;
        return InnerChecksum.check(buf, 8);
    }

    private static byte[] bytes(ByteBuf buf) {
        byte[] b = new byte[buf.readableBytes()];
        buf.getBytes(buf.readerIndex(), b);
        return b;
    }

    @ParameterizedTest(name = "ipv6={0} protocol={1} payload={2}")
    @CsvSource({"false,6,0", "false,6,1", "false,6,1400", "false,17,0", "false,17,33", "false,17,1472",
        "true,6,0", "true,6,1", "true,6,1380", "true,17,7", "true,17,1452"})
    void completesWhatTheKernelLeftUnfinishedAndLeavesGoodChecksumsAlone(boolean ipv6, int protocol, int payload) {
        for (long seed = 0; seed < 50; seed++) {
            byte[] good = packet(ipv6, protocol, payload, seed);
            ByteBuf[] buf = new ByteBuf[1];
            assertEquals(InnerChecksum.VALID, check(good, buf));
            assertArrayEquals(good, bytes(buf[0]), "a valid packet is not changed");
            assertTrue(buf[0].release());

            byte[] partial = unfinished(good, ipv6, protocol);
            int result = check(partial, buf);
            // Once in 65536 a good checksum equals the pseudo-header sum: then it is both, and stays.
            assertTrue(result == InnerChecksum.COMPLETED || Arrays.equals(partial, good), "seed " + seed);
            assertArrayEquals(good, bytes(buf[0]), "completed as the NIC would have");
            assertEquals(InnerChecksum.VALID, InnerChecksum.check(buf[0], 8));
            assertTrue(buf[0].release());
        }
    }

    @ParameterizedTest(name = "ipv6={0} protocol={1}")
    @CsvSource({"false,6", "false,17", "true,6", "true,17"})
    void aChecksumWrongInAnyOtherWayIsBad(boolean ipv6, int protocol) {
        byte[] good = packet(ipv6, protocol, 100, 7);
        int ipHeader = ipv6 ? 40 : 20;
        byte[] corrupt = good.clone();
        corrupt[corrupt.length - 1] ^= 0x40; // a flipped payload bit
        byte[] offByOne = unfinished(good, ipv6, protocol);
        int field = ipHeader + (protocol == TCP ? 16 : 6);
        Packets.putShort(offByOne, field, ((offByOne[field] & 0xFF) << 8 | offByOne[field + 1] & 0xFF) + 1);
        for (byte[] bad : new byte[][] {corrupt, offByOne}) {
            ByteBuf[] buf = new ByteBuf[1];
            assertEquals(InnerChecksum.BAD, check(bad, buf));
            assertArrayEquals(bad, bytes(buf[0]), "a bad packet is not changed");
            assertTrue(buf[0].release());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"udp-no-checksum", "icmp", "fragment"})
    void packetsWithoutATransportChecksumToCheckAreLeftToTheKernel(String kind) {
        byte[] p = switch (kind) {
            case "udp-no-checksum" -> Packets.ipv4Udp(0, 0x0AF60202, 0x0AF60102, 1, 2, 30);
            case "icmp" -> {
                byte[] b = packet(false, TCP, 30, 1);
                b[9] = 1;
                yield b;
            }
            default -> {
                byte[] b = packet(false, TCP, 30, 1);
                Packets.putShort(b, 6, 0x2000); // MF
                yield b;
            }
        };
        ByteBuf[] buf = new ByteBuf[1];
        assertEquals(InnerChecksum.NOT_CHECKED, check(p, buf));
        assertTrue(buf[0].release());
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void truncatedTransportHeadersAreBad(boolean tcp) {
        byte[] p = packet(false, tcp ? TCP : UDP, 0, 1);
        int short4 = tcp ? 19 : 7;
        byte[] cut = Arrays.copyOf(p, 20 + short4);
        Packets.putShort(cut, 2, cut.length);
        ByteBuf[] buf = new ByteBuf[1];
        assertEquals(InnerChecksum.BAD, check(cut, buf));
        assertTrue(buf[0].release());
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void aTcpPacketLongerThanTheMtuIsASuperPacketAndLeftAsItIs(boolean ipv6) {
        byte[] partial = unfinished(packet(ipv6, TCP, 2 * 1398, 5), ipv6, TCP);
        ByteBuf buf = Unpooled.directBuffer(partial.length + 8).writeZero(8).writeBytes(partial);
        buf.readerIndex(8);
        assertEquals(InnerChecksum.SUPER_PACKET, InnerChecksum.check(buf, 8, 1450));
        assertArrayEquals(partial, bytes(buf), "left for the kernel's segmentation");
        assertTrue(buf.release());
        // One that fits the MTU is checked as usual.
        byte[] fits = unfinished(packet(ipv6, TCP, 1450 - (ipv6 ? 60 : 40), 5), ipv6, TCP);
        ByteBuf one = Unpooled.directBuffer(fits.length + 8).writeZero(8).writeBytes(fits);
        assertEquals(InnerChecksum.COMPLETED, InnerChecksum.check(one, 8, 1450));
        assertTrue(one.release());
    }

    @Test
    void udpOverIpv6WithoutAChecksumIsBad() {
        byte[] p = packet(true, UDP, 20, 3);
        Packets.putShort(p, 46, 0);
        ByteBuf[] buf = new ByteBuf[1];
        assertEquals(InnerChecksum.BAD, check(p, buf));
        assertTrue(buf[0].release());
    }
}
