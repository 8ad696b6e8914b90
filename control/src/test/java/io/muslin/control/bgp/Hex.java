package io.muslin.control.bgp;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import java.util.HexFormat;

/** Test bytes written as hex with spaces; {@code M} stands for the 16-octet all-ones marker. */
final class Hex {
    static final String MARKER = "ff".repeat(16);

    private Hex() {
    }

    static String squash(String hex) {
        return hex.replace("M", MARKER).replaceAll("\\s+", "").toLowerCase();
    }

    static byte[] bytes(String hex) {
        return HexFormat.of().parseHex(squash(hex));
    }

    static ByteBuf buffer(String hex) {
        byte[] b = bytes(hex);
        return Unpooled.buffer(Math.max(1, b.length)).writeBytes(b);
    }

    static String hex(ByteBuf buf) {
        return ByteBufUtil.hexDump(buf);
    }

    static String hex(byte[] bytes) {
        return HexFormat.of().formatHex(bytes);
    }
}
