package io.muslin.dataplane.engine;

import io.muslin.dataplane.offload.VirtioNetHeader;
import io.muslin.dataplane.packet.Icmp6;
import io.muslin.dataplane.path.TunReplies;
import io.muslin.tun.TunDevice;
import io.muslin.tun.linux.Libc;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * Writes the packets the dataplane makes (ICMP errors) into the TUN device, one at a time, from
 * one buffer allocated at start. In offload mode each write starts with an all-zero
 * virtio_net_hdr (no GSO, checksum complete). Event loop only.
 */
final class TunReplyWriter implements TunReplies, AutoCloseable {
    static final int CAPACITY = Icmp6.MAX_MESSAGE;

    private final TunDevice tun;
    private final ByteBuf buffer;
    private final int offset;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment errno = Libc.newErrnoSegment(arena);

    TunReplyWriter(TunDevice tun, ByteBufAllocator alloc) {
        this.tun = tun;
        this.offset = tun.offload() ? VirtioNetHeader.LENGTH : 0;
        this.buffer = alloc.directBuffer(offset + CAPACITY, offset + CAPACITY);
        buffer.setZero(0, buffer.capacity());
    }

    @Override
    public ByteBuf buffer() {
        return buffer;
    }

    @Override
    public int offset() {
        return offset;
    }

    @Override
    public boolean send(int length) {
        buffer.setZero(0, offset);
        return tun.write(errno, buffer.memoryAddress(), offset + length) > 0;
    }

    @Override
    public void close() {
        buffer.release();
        arena.close();
    }
}
