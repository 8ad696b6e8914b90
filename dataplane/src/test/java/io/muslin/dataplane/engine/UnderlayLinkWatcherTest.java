package io.muslin.dataplane.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.Test;

/** RTM_NEWLINK parsing: the MTU of the watched interface, whatever else the datagram holds. */
class UnderlayLinkWatcherTest {
    /** One RTM_NEWLINK message for {@code index}: ifinfomsg, IFLA_IFNAME "eth0", IFLA_MTU. */
    private static void newLink(ByteBuf buf, int type, int index, int mtu) {
        int start = buf.writerIndex();
        buf.writeIntLE(0).writeShortLE(type).writeShortLE(0).writeIntLE(1).writeIntLE(0); // nlmsghdr, length later
        buf.writeByte(0).writeByte(0).writeShortLE(1).writeIntLE(index).writeIntLE(0).writeIntLE(0); // ifinfomsg
        buf.writeShortLE(9).writeShortLE(3).writeBytes(new byte[] {'e', 't', 'h', '0', 0}).writeZero(3); // IFLA_IFNAME
        buf.writeShortLE(8).writeShortLE(UnderlayLinkWatcher.IFLA_MTU).writeIntLE(mtu);
        buf.setIntLE(start, buf.writerIndex() - start);
    }

    @Test
    void findsTheWatchedInterfacesMtu() {
        ByteBuf buf = Unpooled.buffer();
        try {
            newLink(buf, UnderlayLinkWatcher.RTM_NEWLINK, 7, 9000);
            newLink(buf, UnderlayLinkWatcher.RTM_NEWLINK, 2, 1400);
            newLink(buf, 17 /* RTM_DELLINK */, 2, 1300);
            assertEquals(1400, UnderlayLinkWatcher.mtuOf(buf, 2));
            assertEquals(9000, UnderlayLinkWatcher.mtuOf(buf, 7));
            assertEquals(0, UnderlayLinkWatcher.mtuOf(buf, 3), "not mentioned");
            buf.writerIndex(buf.writerIndex() - 5);
            assertEquals(9000, UnderlayLinkWatcher.mtuOf(buf, 7), "a cut-short last message is ignored");
        } finally {
            buf.release();
        }
    }
}
