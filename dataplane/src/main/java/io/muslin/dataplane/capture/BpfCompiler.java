package io.muslin.dataplane.capture;

import com.sun.jna.Pointer;
import com.sun.jna.Structure;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import org.pcap4j.core.BpfProgram;
import org.pcap4j.core.PcapHandle;
import org.pcap4j.core.Pcaps;
import org.pcap4j.packet.namednumber.DataLinkType;

/**
 * Compiles a filter in tcpdump's syntax ({@code pcap-filter(7)}) into a {@link BpfFilter}, with
 * libpcap's own compiler ({@code pcap_compile} on a dead handle of link type {@code DLT_RAW}:
 * packets that start with their IPv4 or IPv6 header) through pcap4j.
 *
 * <p>libpcap is loaded on first use (pcap4j: JNA, library {@code pcap}, i.e. {@code libpcap.so}
 * from Debian's {@code libpcap-dev}; or {@code -Dorg.pcap4j.core.pcapLibName=} a path, e.g.
 * {@code /usr/lib/x86_64-linux-gnu/libpcap.so.0.8}). Without it, {@link #compile} fails with a
 * message saying so; captures without a filter need no libpcap.
 *
 * <p>pcap4j keeps a compiled program's instructions behind a package-private accessor
 * ({@code BpfProgram.getProgram()}, a JNA {@code struct bpf_program}); we read them once, by
 * reflection, and free the program (pinned pcap4j version; {@code BpfCompilerTest} checks the
 * result against libpcap's {@code bpf_filter}).
 */
public final class BpfCompiler {
    /** pcap4j's name for the library JNA loads. */
    private static final String PCAP_LIB_PROPERTY = "org.pcap4j.core.pcapLibName";
    private static final String DEBIAN_DEV_LIBPCAP = "/usr/lib/x86_64-linux-gnu/libpcap.so";
    private static final String DEBIAN_LIBPCAP = "/usr/lib/x86_64-linux-gnu/libpcap.so.0.8";
    private static final int INSTRUCTION_BYTES = 8;

    private BpfCompiler() {
    }

    /**
     * Compiles {@code expression}; an empty or blank one is {@link BpfFilter#ALL_PACKETS}.
     *
     * @throws IllegalArgumentException with libpcap's message when the expression does not
     *                                  compile, or when libpcap cannot be loaded
     */
    public static BpfFilter compile(String expression) {
        if (expression == null || expression.isBlank()) {
            return BpfFilter.ALL_PACKETS;
        }
        useDebianLibpcapIfNoDevLink();
        try (PcapHandle handle = Pcaps.openDead(DataLinkType.RAW, 0xFFFF)) {
            BpfProgram program = handle.compileFilter(expression, BpfProgram.BpfCompileMode.OPTIMIZE,
                PcapHandle.PCAP_NETMASK_UNKNOWN);
            try {
                return new BpfFilter(expression, instructions(program));
            } finally {
                program.free();
            }
        } catch (UnsatisfiedLinkError | NoClassDefFoundError e) {
            throw new IllegalArgumentException("filter \"" + expression + "\": libpcap cannot be loaded (install "
                + "Debian's libpcap0.8 and libpcap-dev): " + e.getMessage(), e);
        } catch (Exception e) {
            throw new IllegalArgumentException("filter \"" + expression + "\": " + e.getMessage(), e);
        }
    }

    /** The program's {@code struct bpf_insn} array, one long per instruction ({@link BpfFilter#instruction}). */
    private static long[] instructions(BpfProgram program) throws ReflectiveOperationException {
        Method getProgram = BpfProgram.class.getDeclaredMethod("getProgram");
        getProgram.setAccessible(true);
        Structure struct = (Structure) getProgram.invoke(program);
        Pointer p = struct.getPointer(); // struct bpf_program { u_int bf_len; struct bpf_insn *bf_insns; }
        int count = p.getInt(0);
        Pointer insns = p.getPointer(com.sun.jna.Native.POINTER_SIZE); // after the int, pointer-aligned
        long[] out = new long[count];
        for (int i = 0; i < count; i++) {
            long at = (long) i * INSTRUCTION_BYTES;
            out[i] = BpfFilter.instruction(insns.getShort(at) & 0xFFFF, insns.getByte(at + 2), insns.getByte(at + 3),
                insns.getInt(at + 4));
        }
        return out;
    }

    /** JNA finds "pcap" as libpcap.so (libpcap-dev); without that link, Debian's runtime library by path. */
    private static void useDebianLibpcapIfNoDevLink() {
        if (System.getProperty(PCAP_LIB_PROPERTY) == null && !Files.exists(Path.of(DEBIAN_DEV_LIBPCAP))
            && Files.exists(Path.of(DEBIAN_LIBPCAP))) {
            System.setProperty(PCAP_LIB_PROPERTY, DEBIAN_LIBPCAP);
        }
    }
}
