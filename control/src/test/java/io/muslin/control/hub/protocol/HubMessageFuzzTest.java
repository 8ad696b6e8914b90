package io.muslin.control.hub.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.muslin.control.hub.protocol.HubMessage.Acquire;
import io.muslin.control.hub.protocol.HubMessage.Delete;
import io.muslin.control.hub.protocol.HubMessage.GetConfig;
import io.muslin.control.hub.protocol.HubMessage.Hello;
import io.muslin.control.hub.protocol.HubMessage.ListLeases;
import io.muslin.control.hub.protocol.HubMessage.Ping;
import io.muslin.control.hub.protocol.HubMessage.Put;
import io.muslin.control.hub.protocol.HubMessage.Release;
import io.muslin.control.hub.protocol.HubMessage.Renew;
import io.muslin.control.hub.protocol.HubMessage.Reply;
import io.muslin.control.hub.protocol.HubMessage.Resync;
import io.muslin.control.hub.protocol.HubMessage.Status;
import io.muslin.control.hub.protocol.HubMessage.Watch;
import io.muslin.control.hub.protocol.HubMessage.Welcome;
import io.muslin.control.lease.Lease;
import io.muslin.dataplane.packet.Ipv4Address;
import io.muslin.dataplane.packet.Ipv4Prefix;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.channel.embedded.EmbeddedChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Fuzz target: every kind of {@link HubMessage}, its fields drawn from the input (any strings,
 * any numbers in the ranges the protocol allows, any leases a node may hold), written as a
 * frame by {@link HubFrames#frame} and read by {@link HubFrames.Decoder}.
 *
 * <p>What must hold: whatever a hub or node may send, it can write (no exception), and the
 * other side reads back an equal message. The reverse of {@link HubCodecFuzzTest}: that one
 * starts from bytes, this one from messages.
 */
class HubMessageFuzzTest {
    @FuzzTest
    void roundTrip(FuzzedDataProvider data) {
        HubMessage message = message(data);
        ByteBuf frame = HubFrames.frame(UnpooledByteBufAllocator.DEFAULT, message);
        EmbeddedChannel channel = new EmbeddedChannel(new HubFrames.Decoder());
        try {
            channel.writeInbound(frame);
            assertEquals(message, channel.readInbound());
        } finally {
            channel.finishAndReleaseAll();
        }
    }

    private static HubMessage message(FuzzedDataProvider d) {
        return switch (d.consumeInt(0, 13)) {
            case 0 -> new Hello(d.consumeInt(1, 65535), d.consumeString(80));
            case 1 -> new Acquire(id(d), lease(d), d.consumeInt(1, Integer.MAX_VALUE));
            case 2 -> new Renew(id(d), lease(d));
            case 3 -> new Release(id(d), prefix(d), d.consumeInt());
            case 4 -> new ListLeases(id(d));
            case 5 -> new GetConfig(id(d));
            case 6 -> new Watch(d.consumeLong(0, Long.MAX_VALUE));
            case 7 -> new Welcome(d.consumeInt(1, 65535), d.consumeString(80), d.consumeLong(0, Long.MAX_VALUE),
                d.consumeLong(Welcome.MIN_HEARTBEAT_MS, Welcome.MAX_HEARTBEAT_MS));
            case 8 -> new Reply(id(d), d.pickValue(Status.values()), d.consumeString(200),
                d.consumeBoolean() ? 0 : d.consumeLong(0, Long.MAX_VALUE), leases(d),
                d.consumeBoolean() ? Optional.empty() : Optional.of(d.consumeString(300)));
            case 9 -> new Put(d.consumeLong(1, Long.MAX_VALUE), lease(d));
            case 10 -> new Delete(d.consumeLong(1, Long.MAX_VALUE), prefix(d));
            case 11 -> new Resync(d.consumeLong(0, Long.MAX_VALUE), leases(d));
            case 12 -> Ping.INSTANCE;
            default -> new HubMessage.Error(d.consumeString(200));
        };
    }

    private static long id(FuzzedDataProvider d) {
        return d.consumeLong(0, Long.MAX_VALUE);
    }

    private static Ipv4Prefix prefix(FuzzedDataProvider d) {
        int length = d.consumeInt(0, 32);
        return new Ipv4Prefix(d.consumeInt() & Ipv4Address.mask(length), length);
    }

    private static List<Lease> leases(FuzzedDataProvider d) {
        List<Lease> out = new ArrayList<>();
        for (int n = d.consumeInt(0, 4); n > 0; n--) {
            out.add(lease(d));
        }
        return out;
    }

    /** A lease a node may hold: any subnet and address, any backend; VXLAN data in range, the MAC unicast and not zero. */
    private static Lease lease(FuzzedDataProvider d) {
        Ipv4Prefix subnet = prefix(d);
        int publicIp = d.consumeInt();
        if (d.consumeBoolean()) {
            long mac = d.consumeLong(1, 0xFFFF_FFFF_FFFFL) & ~(1L << 40);
            return Lease.vxlan(subnet, publicIp, d.consumeInt(0, Lease.MAX_VNI), mac == 0 ? 2 : mac);
        }
        String backend = d.consumeBoolean() ? d.pickValue(new String[] {Lease.IPIP, Lease.HOST_GW}) : d.consumeString(40);
        if (backend.equals(Lease.VXLAN)) {
            backend = Lease.IPIP;
        }
        return Lease.of(backend, subnet, publicIp);
    }
}
