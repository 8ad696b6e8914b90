package io.muslin.dataplane.capture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.pcap4j.core.BpfProgram;
import org.pcap4j.core.PcapHandle;
import org.pcap4j.core.Pcaps;
import org.pcap4j.packet.namednumber.DataLinkType;

/**
 * {@link BpfFilter} against libpcap's own {@code bpf_filter} (through pcap4j) on the same
 * programs and packets: whatever libpcap's interpreter says, ours must say, whole or split in two
 * pieces at any point.
 */
class BpfFilterTest {
    private static final List<byte[]> PACKETS = packets(new Random(16));

    @BeforeAll
    static void needsLibpcap() {
        try {
            BpfCompiler.compile("ip");
        } catch (IllegalArgumentException e) {
            Assumptions.abort("libpcap not installed (scripts/test.sh installs libpcap-dev): " + e.getMessage());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "ip", "ip6", "tcp", "udp", "icmp", "tcp port 80", "udp port 8472", "host 10.244.1.2",
        "src net 10.244.2.0/24 and dst host 10.244.1.2", "tcp[tcpflags] & (tcp-syn|tcp-fin) != 0",
        "greater 100", "less 60", "icmp[icmptype] == icmp-echo", "not tcp and not icmp",
        "ip[8] < 64 or ip[1] & 0xfc == 0x10", "portrange 5000-5100", "tcp and (ip[2:2] - ((ip[0]&0xf)<<2)) > 100",
        "udp[0:2] == 5001", "ip[6:2] & 0x1fff != 0", "len % 3 == 1", "ip[2:2] / 7 > 20",
    })
    void agreesWithLibpcapOnEveryPacket(String expression) throws Exception {
        BpfFilter ours = BpfCompiler.compile(expression);
        try (PcapHandle dead = Pcaps.openDead(DataLinkType.RAW, 0xFFFF); Arena arena = Arena.ofConfined()) {
            BpfProgram theirs = dead.compileFilter(expression, BpfProgram.BpfCompileMode.OPTIMIZE,
                PcapHandle.PCAP_NETMASK_UNKNOWN);
            int[] scratch = BpfFilter.newScratch();
            int matched = 0;
            for (byte[] p : PACKETS) {
                MemorySegment m = arena.allocate(Math.max(1, p.length));
                MemorySegment.copy(MemorySegment.ofArray(p), 0, m, 0, p.length);
                boolean expected = theirs.applyFilter(p);
                assertEquals(expected, ours.matches(m.address(), p.length, scratch), () -> expression + " on " + hex(p));
                for (int split = 0; split <= p.length; split += 7) {
                    assertEquals(expected, ours.matches(m.address(), split, m.address() + split, p.length - split,
                        scratch), "split at " + split);
                }
                matched += expected ? 1 : 0;
            }
            theirs.free();
            if (!expression.startsWith("less") && !expression.contains("%") && !expression.contains("/")) {
                assertTrue(matched > 0 && matched < PACKETS.size(), expression + " should split the sample: " + matched);
            }
        }
    }

    @Test
    void theEmptyFilterIsAllPackets() {
        assertTrue(BpfCompiler.compile("  ").matchesAll());
        assertTrue(BpfFilter.ALL_PACKETS.matches(0, 0, BpfFilter.newScratch()));
    }

    @Test
    void aSyntaxErrorSaysWhatLibpcapSays() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> BpfCompiler.compile("tcp prot 80"));
        assertTrue(e.getMessage().startsWith("filter \"tcp prot 80\": "), e.getMessage());
        assertTrue(e.getMessage().contains("syntax error"), e.getMessage());
    }

    @Test
    void invalidProgramsAreRefused() {
        long ret = BpfFilter.instruction(BpfFilter.RET | BpfFilter.K, 0, 0, 1);
        assertThrows(IllegalArgumentException.class, () -> new BpfFilter("x", new long[0]));
        assertThrows(IllegalArgumentException.class, () -> new BpfFilter("x",
            new long[] {BpfFilter.instruction(BpfFilter.LD | BpfFilter.IMM, 0, 0, 1)}));
        assertThrows(IllegalArgumentException.class, () -> new BpfFilter("x",
            new long[] {BpfFilter.instruction(BpfFilter.JMP | BpfFilter.JEQ, 3, 0, 1), ret}));
        assertThrows(IllegalArgumentException.class, () -> new BpfFilter("x",
            new long[] {BpfFilter.instruction(BpfFilter.ST, 0, 0, 16), ret}));
        assertThrows(IllegalArgumentException.class, () -> new BpfFilter("x",
            new long[] {BpfFilter.instruction(BpfFilter.ALU | BpfFilter.DIV | BpfFilter.K, 0, 0, 0), ret}));
    }

    @Test
    void aLoadPastTheEndIsNoMatch() {
        BpfFilter f = new BpfFilter("ld [8]", new long[] {
            BpfFilter.instruction(BpfFilter.LD | BpfFilter.W | BpfFilter.ABS, 0, 0, 8),
            BpfFilter.instruction(BpfFilter.RET | BpfFilter.K, 0, 0, 1),
        });
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment m = arena.allocate(12);
            assertTrue(f.matches(m.address(), 12, BpfFilter.newScratch()));
            assertFalse(f.matches(m.address(), 11, BpfFilter.newScratch()));
        }
    }

    /** IPv4 TCP/UDP/ICMP between a few hosts and ports, with varied flags and lengths; some IPv6, some garbage. */
    private static List<byte[]> packets(Random r) {
        List<byte[]> out = new ArrayList<>();
        int[] hosts = {0x0AF40102, 0x0AF40202, 0x0AF40203, 0xC0A83201};
        int[] ports = {80, 443, 5001, 5050, 8472, 53, 33000};
        for (int i = 0; i < 400; i++) {
            int proto = new int[] {6, 17, 1}[i % 3];
            int payload = r.nextInt(200);
            int l4 = proto == 6 ? 20 : 8;
            int ihl = r.nextInt(4) == 0 ? 24 : 20;
            ByteBuffer b = ByteBuffer.allocate(ihl + l4 + payload);
            b.put((byte) (0x40 | ihl / 4)).put((byte) (r.nextInt(4) * 0x10)).putShort((short) b.capacity())
                .putShort((short) r.nextInt()).putShort((short) (r.nextInt(8) == 0 ? 0x2001 : 0x4000))
                .put((byte) (1 + r.nextInt(128))).put((byte) proto).putShort((short) 0)
                .putInt(hosts[r.nextInt(hosts.length)]).putInt(hosts[r.nextInt(hosts.length)]);
            if (ihl == 24) {
                b.putInt(0x01010100);
            }
            if (proto == 1) {
                b.put((byte) (r.nextBoolean() ? 8 : 0)).put((byte) 0).putShort((short) 0).putInt(r.nextInt());
            } else {
                b.putShort((short) ports[r.nextInt(ports.length)]).putShort((short) ports[r.nextInt(ports.length)]);
                if (proto == 6) {
                    b.putInt(r.nextInt()).putInt(r.nextInt()).put((byte) 0x50).put((byte) r.nextInt(64))
                        .putShort((short) 1000).putInt(0);
                } else {
                    b.putShort((short) (8 + payload)).putShort((short) 0);
                }
            }
            for (int k = 0; k < payload; k++) {
                b.put((byte) r.nextInt());
            }
            out.add(b.array());
        }
        for (int i = 0; i < 20; i++) {
            byte[] v6 = new byte[40 + 20];
            v6[0] = 0x60;
            v6[6] = (byte) (i % 2 == 0 ? 6 : 17);
            r.nextBytes(java.util.Arrays.copyOfRange(v6, 8, 40));
            out.add(v6);
        }
        for (int i = 0; i < 20; i++) {
            byte[] junk = new byte[r.nextInt(30)];
            r.nextBytes(junk);
            out.add(junk);
        }
        return out;
    }

    private static String hex(byte[] p) {
        return java.util.HexFormat.of().formatHex(p, 0, Math.min(p.length, 64));
    }
}
