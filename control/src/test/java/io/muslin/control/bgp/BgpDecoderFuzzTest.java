package io.muslin.control.bgp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.EncoderException;

/**
 * Fuzzes {@link BgpDecoder} with what a peer could send: any bytes, in any fragments, on a
 * 2- or 4-octet session. The decoder must only ever produce messages or one
 * {@link BgpDecoderException} carrying a NOTIFICATION (never another exception), leak no
 * buffer, and every well-formed message must survive {@link BgpEncoder} and decode to itself.
 *
 * <p>Without {@code JAZZER_FUZZ=1} (every build) the seeds in
 * {@code src/test/resources/io/muslin/control/bgp/BgpDecoderFuzzTestInputs/decode} run as
 * regression tests; with it, Jazzer fuzzes for the configured time:
 * {@code JAZZER_FUZZ=1 ./mvnw -pl control -am test -Dtest=BgpDecoderFuzzTest -Djazzer.hooks=true}
 * (the control POM turns Jazzer's hooks off, see there).
 */
class BgpDecoderFuzzTest {

    /**
     * The first octet of {@code input} says how: bit 0, a 4-octet AS session; bits 1-7, the
     * size of the reads the stream (the rest of {@code input}) arrives in, 1-128 octets.
     */
    @FuzzTest(maxDuration = "60s")
    void decode(byte[] input) {
        if (input.length == 0) {
            return;
        }
        boolean fourOctetAs = (input[0] & 1) != 0;
        int chunk = ((input[0] & 0xFF) >>> 1) + 1;
        BgpDecoder decoder = new BgpDecoder();
        decoder.fourOctetAs(fourOctetAs);
        EmbeddedChannel ch = new EmbeddedChannel(decoder);
        try {
            for (int at = 1; at < input.length; at += chunk) {
                ch.writeInbound(Unpooled.copiedBuffer(input, at, Math.min(chunk, input.length - at)));
                for (Object m; (m = ch.readInbound()) != null; ) {
                    roundTrip((BgpMessage) m, fourOctetAs);
                }
            }
        } catch (BgpDecoderException e) {
            assertNotNull(e.notification());
        } finally {
            for (Object m; (m = ch.readInbound()) != null; ) {
                roundTrip((BgpMessage) m, fourOctetAs);
            }
            ch.finishAndReleaseAll();
        }
    }

    /**
     * Jazzer 0.24.0 cannot instrument Java 25 class files ("Unsupported class file major version
     * 69"), so its fuzzing here runs without coverage feedback. This test mutates the seeds
     * instead (seeded, so a failure repeats): octets flipped, inserted, deleted, and length
     * fields set to values near their bounds, each run through {@link #decode}.
     */
    @org.junit.jupiter.api.Test
    void mutatedSeedsNeverBreakTheDecoder() throws java.io.IOException, java.net.URISyntaxException {
        java.nio.file.Path dir = java.nio.file.Path.of(getClass().getResource("BgpDecoderFuzzTestInputs/decode").toURI());
        java.util.List<byte[]> seeds = new java.util.ArrayList<>();
        try (var files = java.nio.file.Files.list(dir)) {
            for (java.nio.file.Path f : files.sorted().toList()) {
                seeds.add(java.nio.file.Files.readAllBytes(f));
            }
        }
        java.util.SplittableRandom random = new java.util.SplittableRandom(19);
        for (int i = 0; i < 4_000; i++) {
            byte[] seed = seeds.get(random.nextInt(seeds.size()));
            java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
            out.write(seed, 0, seed.length);
            byte[] m = out.toByteArray();
            for (int k = random.nextInt(1, 4); k > 0 && m.length > 1; k--) {
                int at = random.nextInt(1, m.length);
                switch (random.nextInt(4)) {
                    case 0 -> m[at] ^= (byte) (1 << random.nextInt(8));
                    case 1 -> m = splice(m, at, new byte[] {(byte) random.nextInt(256)}, 0);
                    case 2 -> m = splice(m, at, new byte[0], 1);
                    default -> m[at] = (byte) new int[] {0, 1, 2, 3, 4, 0x7f, 0x80, 0xfe, 0xff}[random.nextInt(9)];
                }
            }
            decode(m);
        }
    }

    private static byte[] splice(byte[] m, int at, byte[] insert, int delete) {
        byte[] out = new byte[m.length + insert.length - delete];
        System.arraycopy(m, 0, out, 0, at);
        System.arraycopy(insert, 0, out, at, insert.length);
        System.arraycopy(m, at + delete, out, at + insert.length, m.length - at - delete);
        return out;
    }

    private static void roundTrip(BgpMessage m, boolean fourOctetAs) {
        if (m instanceof BgpUpdate u && (u.malformed() != null || u.discarded() > 0)) {
            return; // what was dropped is not written again
        }
        ByteBuf b = Unpooled.buffer();
        try {
            BgpEncoder.write(m, b, fourOctetAs);
            assertEquals(m, BgpDecoder.decode(b, fourOctetAs));
        } catch (EncoderException e) {
            throw new AssertionError("a decoded message does not encode: " + m, e);
        } finally {
            b.release();
        }
    }
}
