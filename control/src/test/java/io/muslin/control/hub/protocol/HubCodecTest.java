package io.muslin.control.hub.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.DecoderException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class HubCodecTest {
    static final Lease VXLAN = Lease.vxlan(Ipv4Prefix.parse("10.244.1.0/24"), Ipv4Address.parse("192.168.50.1"), 1,
        0x6e7573000001L);
    static final Lease IPIP = Lease.of(Lease.IPIP, Ipv4Prefix.parse("10.244.2.0/24"), Ipv4Address.parse("192.168.50.2"));

    static Stream<HubMessage> messages() {
        return Stream.of(
            new Hello(1, "node1"),
            new Acquire(7, VXLAN, 86400),
            new Renew(8, IPIP),
            new Release(9, VXLAN.subnet(), VXLAN.publicIp()),
            new ListLeases(10),
            new GetConfig(11),
            new Watch(0),
            new Watch(Long.MAX_VALUE),
            new Welcome(1, "node1", 42, 10_000),
            Reply.ok(7),
            Reply.failed(8, Status.LOST, "expired"),
            new Reply(10, Status.OK, "", 42, List.of(VXLAN, IPIP), Optional.empty()),
            new Reply(11, Status.OK, "", 0, List.of(), Optional.of("{\"Network\":\"10.244.0.0/16\"}")),
            new Put(43, VXLAN),
            new Delete(44, IPIP.subnet()),
            new Resync(45, List.of(IPIP)),
            new Resync(0, List.of()),
            new Reply(12, Status.OK, "", 46, List.of(), Optional.empty(), 3),
            new Resync(47, List.of(), 2),
            new HubMessage.Leases(List.of(VXLAN, IPIP)),
            Ping.INSTANCE,
            new HubMessage.Error("unsupported protocol version 2 (this hub speaks 1)"));
    }

    @ParameterizedTest
    @MethodSource("messages")
    void everyMessageReadsBackEqual(HubMessage message) {
        assertEquals(message, HubCodec.fromJson(HubCodec.toJson(message)));
    }

    @ParameterizedTest
    @MethodSource("messages")
    void everyMessageCrossesTheFramesIntact(HubMessage message) {
        EmbeddedChannel out = new EmbeddedChannel(HubFrames.Encoder.INSTANCE);
        assertTrue(out.writeOutbound(message));
        ByteBuf frame = out.readOutbound();
        assertEquals(frame.readableBytes() - HubFrames.LENGTH_FIELD, frame.getInt(0));
        EmbeddedChannel in = new EmbeddedChannel(new HubFrames.Decoder());
        // split in two writes: a frame may arrive in pieces
        int half = frame.readableBytes() / 2;
        assertFalse(in.writeInbound(frame.readRetainedSlice(half)));
        assertTrue(in.writeInbound(frame));
        assertEquals(message, in.readInbound());
        assertFalse(out.finish());
        assertFalse(in.finish());
    }

    @Test
    void theWireFormIsFlannelsCapitalisedJson() {
        assertEquals("{\"Type\":\"Acquire\",\"Id\":7,\"TTL\":86400,\"Lease\":{\"Subnet\":\"10.244.1.0/24\","
            + "\"PublicIP\":\"192.168.50.1\",\"BackendType\":\"vxlan\",\"BackendData\":{\"VNI\":1,"
            + "\"VtepMAC\":\"6e:75:73:00:00:01\"}}}", HubCodec.toJson(new Acquire(7, VXLAN, 86400)));
        assertEquals("{\"Type\":\"Delete\",\"Revision\":44,\"Subnet\":\"10.244.2.0/24\"}",
            HubCodec.toJson(new Delete(44, IPIP.subnet())));
    }

    static Stream<Arguments> malformed() {
        return Stream.of(
            Arguments.of("{\"Type\":\"Acquire\",\"Id\":1,\"TTL\":0,\"Lease\":" + leaseJson() + "}",
                "Acquire.TTL: 0 is out of range (accepted: 1-2147483647)"),
            Arguments.of("{\"Type\":\"Acquire\",\"Id\":1,\"TTL\":5}", "Acquire.Lease: missing"),
            Arguments.of("{\"Type\":\"Acquire\",\"Id\":1,\"TTL\":5,\"Lease\":{\"Subnet\":\"10.244.1.0/24\","
                + "\"PublicIP\":\"300.1.1.1\",\"BackendType\":\"ipip\"}}", "Acquire.Lease.PublicIP"),
            Arguments.of("{\"Type\":\"Watch\",\"From\":-1}", "Watch.From: -1 is out of range"),
            Arguments.of("{\"Type\":\"Watch\",\"From\":\"1\"}", "Watch.From: not an integer"),
            Arguments.of("{\"Type\":\"Hello\",\"Version\":1,\"Node\":\"a\",\"Admin\":true}", "Hello.Admin: unknown field"),
            Arguments.of("{\"Type\":\"Launch\"}", "Type: unknown message \"Launch\""),
            Arguments.of("{\"Id\":1}", "Type: missing"),
            Arguments.of("[1,2]", "not a JSON object"),
            Arguments.of("{\"Type\":\"Ping\"", "malformed JSON"),
            Arguments.of("{\"Type\":\"Ping\"}{}", "malformed JSON"),
            Arguments.of("{\"Type\":\"Ping\",\"Type\":\"Ping\"}", "malformed JSON"),
            Arguments.of("{\"Type\":\"Reply\",\"Id\":1,\"Status\":\"maybe\"}", "Reply.Status: unknown status \"maybe\""),
            Arguments.of("{\"Type\":\"Release\",\"Id\":1,\"Subnet\":\"10.244.1.0/33\"}", "Release.Subnet"));
    }

    @ParameterizedTest
    @MethodSource("malformed")
    void malformedMessagesAreRejectedNamingTheField(String json, String expected) {
        HubProtocolException e = assertThrows(HubProtocolException.class, () -> HubCodec.fromJson(json));
        assertTrue(e.getMessage().startsWith(expected) || e.getMessage().contains(expected),
            () -> "message \"" + e.getMessage() + "\" does not contain \"" + expected + "\"");
    }

    @Test
    void garbageBytesInAFrameAreAProtocolError() {
        EmbeddedChannel in = new EmbeddedChannel(new HubFrames.Decoder());
        ByteBuf frame = Unpooled.buffer();
        frame.writeInt(5).writeBytes(new byte[] {(byte) 0xff, 0, 1, 2, 3});
        DecoderException e = assertThrows(DecoderException.class, () -> in.writeInbound(frame));
        assertInstanceOf(HubProtocolException.class, e);
        assertEquals(0, frame.refCnt());
        assertFalse(in.finish());
    }

    @Test
    void anOversizedLengthIsRejectedBeforeAnyOfItIsBuffered() {
        EmbeddedChannel in = new EmbeddedChannel(new HubFrames.Decoder());
        ByteBuf frame = Unpooled.buffer();
        frame.writeInt(HubFrames.MAX_FRAME + 1).writeBytes("{\"Type\":".getBytes(StandardCharsets.UTF_8));
        HubProtocolException e = assertThrows(HubProtocolException.class, () -> in.writeInbound(frame));
        assertTrue(e.getMessage().startsWith("frame too long"), e.getMessage());
        in.finishAndReleaseAll();
    }

    @Test
    void anEmptyFrameIsRejected() {
        EmbeddedChannel in = new EmbeddedChannel(new HubFrames.Decoder());
        ByteBuf frame = Unpooled.buffer().writeInt(0);
        HubProtocolException e = assertThrows(HubProtocolException.class, () -> in.writeInbound(frame));
        assertTrue(e.getMessage().startsWith("empty frame"), e.getMessage());
        in.finishAndReleaseAll();
    }

    @Test
    void aTruncatedFrameYieldsNothing() {
        EmbeddedChannel in = new EmbeddedChannel(new HubFrames.Decoder());
        ByteBuf frame = HubFrames.frame(in.alloc(), new Hello(1, "node1"));
        frame.writerIndex(frame.writerIndex() - 3);
        assertFalse(in.writeInbound(frame));
        assertFalse(in.finish());
        assertEquals(null, (Object) in.readInbound());
    }

    private static String leaseJson() {
        return "{\"Subnet\":\"10.244.1.0/24\",\"PublicIP\":\"192.168.50.1\",\"BackendType\":\"ipip\"}";
    }
}
