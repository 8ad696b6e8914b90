package io.muslin.dataplane.capture;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * A classic BPF program (the instruction set of {@code pcap-bpf(4)} / {@code net/bpf.h}, what
 * libpcap compiles tcpdump's filter syntax into), run over a packet held in native memory in up
 * to two pieces: a TSO segment is its headers in one place and its payload in another, and a
 * received VXLAN datagram is the outer header rebuilt in one place and the datagram in another.
 *
 * <p>Why an interpreter here instead of libpcap's {@code bpf_filter} through pcap4j: that is a
 * JNA call with the packet copied into a Java array (about a microsecond), per packet, on the
 * packet path; this reads the bytes where they are, allocates nothing and takes tens of
 * nanoseconds for a typical filter. The unit tests check it against libpcap's own
 * {@code bpf_filter} on the same packets.
 *
 * <p>Semantics as libpcap's {@code bpf_filter}: a load past the end of the packet ends the
 * program with 0 (no match), division by zero returns 0, comparisons are unsigned, a program
 * returns a snap length and any non-zero one is a match. Programs are checked when built
 * ({@code bpf_validate}'s rules: jumps forward and inside, memory slots 0-15, a return at the end).
 *
 * <p>Immutable and thread-safe; each caller passes its own scratch memory ({@link #newScratch}).
 */
public final class BpfFilter {
    /** BPF_MEMWORDS. */
    static final int MEMORY_WORDS = 16;
    private static final MemorySegment ALL = MemorySegment.NULL.reinterpret(Long.MAX_VALUE);

    // Instruction classes, sizes, modes, operations and sources (net/bpf.h).
    static final int LD = 0x00, LDX = 0x01, ST = 0x02, STX = 0x03, ALU = 0x04, JMP = 0x05, RET = 0x06, MISC = 0x07;
    static final int W = 0x00, H = 0x08, B = 0x10;
    static final int IMM = 0x00, ABS = 0x20, IND = 0x40, MEM = 0x60, LEN = 0x80, MSH = 0xa0;
    static final int ADD = 0x00, SUB = 0x10, MUL = 0x20, DIV = 0x30, OR = 0x40, AND = 0x50, LSH = 0x60, RSH = 0x70,
        NEG = 0x80, MOD = 0x90, XOR = 0xa0;
    static final int JA = 0x00, JEQ = 0x10, JGT = 0x20, JGE = 0x30, JSET = 0x40;
    static final int K = 0x00, X = 0x08, A = 0x10;
    static final int TAX = 0x00, TXA = 0x80;

    /** Matches every packet (no filter given). */
    public static final BpfFilter ALL_PACKETS = new BpfFilter("", new long[] {instruction(RET | K, 0, 0, 0xFFFF)});

    private final String expression;
    private final short[] codes;
    private final byte[] jt;
    private final byte[] jf;
    private final int[] ks;

    /**
     * @param expression  the filter text it was compiled from (for messages)
     * @param instructions one {@code struct bpf_insn} per long, as {@link #instruction} packs it
     * @throws IllegalArgumentException when the program is not valid
     */
    public BpfFilter(String expression, long[] instructions) {
        int n = instructions.length;
        if (n == 0) {
            throw new IllegalArgumentException("BPF program for \"" + expression + "\" is empty");
        }
        this.expression = expression;
        codes = new short[n];
        jt = new byte[n];
        jf = new byte[n];
        ks = new int[n];
        for (int i = 0; i < n; i++) {
            long insn = instructions[i];
            codes[i] = (short) (insn >>> 48);
            jt[i] = (byte) (insn >>> 40);
            jf[i] = (byte) (insn >>> 32);
            ks[i] = (int) insn;
        }
        validate();
    }

    /** Packs one {@code struct bpf_insn {u16 code; u8 jt; u8 jf; u32 k}} into a long. */
    public static long instruction(int code, int jt, int jf, int k) {
        return (long) (code & 0xFFFF) << 48 | (long) (jt & 0xFF) << 40 | (long) (jf & 0xFF) << 32 | (k & 0xFFFF_FFFFL);
    }

    public String expression() {
        return expression;
    }

    /** True when this filter passes every packet. */
    public boolean matchesAll() {
        return this == ALL_PACKETS;
    }

    /** Scratch memory for {@link #matches}: one per calling thread. */
    public static int[] newScratch() {
        return new int[MEMORY_WORDS];
    }

    /** Runs the program over {@code length} bytes at native address {@code address}. */
    public boolean matches(long address, int length, int[] scratch) {
        return matches(address, length, 0, 0, scratch);
    }

    /**
     * Runs the program over a packet of two pieces: {@code length1} bytes at {@code address1},
     * then {@code length2} bytes at {@code address2}.
     */
    public boolean matches(long address1, int length1, long address2, int length2, int[] scratch) {
        int a = 0;
        int x = 0;
        int wirelen = length1 + length2;
        int pc = 0;
        while (true) {
            int code = codes[pc] & 0xFFFF;
            int k = ks[pc];
            switch (code & 0x07) {
                case LD -> {
                    int mode = code & 0xe0;
                    if (mode == IMM) {
                        a = k;
                    } else if (mode == MEM) {
                        a = scratch[k];
                    } else if (mode == LEN) {
                        a = wirelen;
                    } else {
                        long at = mode == IND ? (x & 0xFFFF_FFFFL) + (k & 0xFFFF_FFFFL) : k & 0xFFFF_FFFFL;
                        int size = (code & 0x18) == W ? 4 : (code & 0x18) == H ? 2 : 1;
                        if (at + size > wirelen) {
                            return false;
                        }
                        a = load((int) at, size, address1, length1, address2);
                    }
                }
                case LDX -> {
                    int mode = code & 0xe0;
                    if (mode == IMM) {
                        x = k;
                    } else if (mode == MEM) {
                        x = scratch[k];
                    } else if (mode == LEN) {
                        x = wirelen;
                    } else { // MSH: 4 * (P[k] & 0xf), the IPv4 header length
                        if ((k & 0xFFFF_FFFFL) >= wirelen) {
                            return false;
                        }
                        x = 4 * (load(k, 1, address1, length1, address2) & 0xf);
                    }
                }
                case ST -> scratch[k] = a;
                case STX -> scratch[k] = x;
                case ALU -> {
                    int operand = (code & 0x08) == X ? x : k;
                    switch (code & 0xf0) {
                        case ADD -> a += operand;
                        case SUB -> a -= operand;
                        case MUL -> a *= operand;
                        case DIV -> {
                            if (operand == 0) {
                                return false;
                            }
                            a = Integer.divideUnsigned(a, operand);
                        }
                        case MOD -> {
                            if (operand == 0) {
                                return false;
                            }
                            a = Integer.remainderUnsigned(a, operand);
                        }
                        case OR -> a |= operand;
                        case AND -> a &= operand;
                        case XOR -> a ^= operand;
                        case LSH -> a = (operand & 0xFFFF_FFFFL) >= 32 ? 0 : a << operand;
                        case RSH -> a = (operand & 0xFFFF_FFFFL) >= 32 ? 0 : a >>> operand;
                        case NEG -> a = -a;
                        default -> {
                            return false;
                        }
                    }
                }
                case JMP -> {
                    int op = code & 0xf0;
                    if (op == JA) {
                        pc += k;
                    } else {
                        int operand = (code & 0x08) == X ? x : k;
                        boolean taken = switch (op) {
                            case JEQ -> a == operand;
                            case JGT -> Integer.compareUnsigned(a, operand) > 0;
                            case JGE -> Integer.compareUnsigned(a, operand) >= 0;
                            default -> (a & operand) != 0; // JSET
                        };
                        pc += (taken ? jt[pc] : jf[pc]) & 0xFF;
                    }
                }
                case RET -> {
                    int rval = code & 0x18;
                    return (rval == A ? a : rval == X ? x : k) != 0;
                }
                default -> { // MISC
                    if ((code & 0xf8) == TXA) {
                        a = x;
                    } else {
                        x = a;
                    }
                }
            }
            pc++;
        }
    }

    /** Big-endian {@code size} bytes at offset {@code at} of the two-piece packet (in bounds). */
    private static int load(int at, int size, long address1, int length1, long address2) {
        if (at + size <= length1) {
            long p = address1 + at;
            return switch (size) {
                case 4 -> Integer.reverseBytes(ALL.get(ValueLayout.JAVA_INT_UNALIGNED, p));
                case 2 -> Short.reverseBytes(ALL.get(ValueLayout.JAVA_SHORT_UNALIGNED, p)) & 0xFFFF;
                default -> ALL.get(ValueLayout.JAVA_BYTE, p) & 0xFF;
            };
        }
        int v = 0;
        for (int i = 0; i < size; i++) {
            int o = at + i;
            long p = o < length1 ? address1 + o : address2 + (o - length1);
            v = v << 8 | ALL.get(ValueLayout.JAVA_BYTE, p) & 0xFF;
        }
        return v;
    }

    /** bpf_validate: every jump lands inside, memory slots exist, division by a constant 0 never runs, a return ends it. */
    private void validate() {
        int n = codes.length;
        for (int pc = 0; pc < n; pc++) {
            int code = codes[pc] & 0xFFFF;
            int k = ks[pc];
            int cls = code & 0x07;
            boolean memory = (cls == LD || cls == LDX) && (code & 0xe0) == MEM || cls == ST || cls == STX;
            if (memory && (k < 0 || k >= MEMORY_WORDS)) {
                throw invalid(pc, "memory slot " + k + " (accepted: 0-" + (MEMORY_WORDS - 1) + ")");
            }
            if (cls == JMP) {
                long target = (code & 0xf0) == JA ? pc + 1 + (k & 0xFFFF_FFFFL)
                    : pc + 1 + Math.max(jt[pc] & 0xFF, jf[pc] & 0xFF);
                if (target >= n) {
                    throw invalid(pc, "jump past the end");
                }
            }
            if (cls == ALU && (code & 0x08) == K && k == 0 && ((code & 0xf0) == DIV || (code & 0xf0) == MOD)) {
                throw invalid(pc, "division by constant 0");
            }
        }
        if ((codes[n - 1] & 0x07) != RET) {
            throw invalid(n - 1, "the last instruction is not a return");
        }
    }

    private IllegalArgumentException invalid(int pc, String why) {
        return new IllegalArgumentException("BPF program for \"" + expression + "\" is invalid at instruction " + pc
            + ": " + why);
    }

    @Override
    public String toString() {
        return expression.isEmpty() ? "(all packets)" : expression;
    }
}
