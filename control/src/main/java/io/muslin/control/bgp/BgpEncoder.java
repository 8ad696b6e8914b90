package io.muslin.control.bgp;

import io.muslin.control.bgp.BgpPathAttributes.AsPathSegment;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.EncoderException;
import io.netty.handler.codec.MessageToByteEncoder;
import java.util.List;

/**
 * Writes {@link BgpMessage}s in RFC 4271's layout (§4). One per connection: it holds whether
 * AS_PATH numbers are 4 octets ({@link #fourOctetAs}); on a 2-octet session an AS above 65535
 * is written as AS_TRANS with the true path in AS4_PATH (RFC 6793 §4.2.2).
 *
 * <p>Attributes are written in type-code order with the flags their RFCs give them; the
 * Extended Length flag is set only when a value exceeds 255 octets. A message that would
 * exceed 4096 octets is an {@link EncoderException} (the speaker splits its NLRI before that).
 */
public final class BgpEncoder extends MessageToByteEncoder<BgpMessage> {
    private static final int WELL_KNOWN = Bgp.FLAG_TRANSITIVE;
    private static final int OPTIONAL = Bgp.FLAG_OPTIONAL;
    private static final int OPTIONAL_TRANSITIVE = Bgp.FLAG_OPTIONAL | Bgp.FLAG_TRANSITIVE;

    private boolean fourOctetAs;

    public BgpEncoder() {
        super(BgpMessage.class);
    }

    /** Both OPENs carried the 4-octet AS capability. */
    public void fourOctetAs(boolean on) {
        fourOctetAs = on;
    }

    @Override
    protected void encode(ChannelHandlerContext ctx, BgpMessage msg, ByteBuf out) {
        write(msg, out, fourOctetAs);
    }

    /** Appends {@code msg} to {@code out} (borrowed). */
    public static void write(BgpMessage msg, ByteBuf out, boolean fourOctetAs) {
        int start = out.writerIndex();
        for (int i = 0; i < Bgp.MARKER_LENGTH; i++) {
            out.writeByte(0xFF);
        }
        out.writeShort(0); // length, set below
        out.writeByte(msg.type());
        switch (msg) {
            case BgpOpen o -> open(o, out);
            case BgpUpdate u -> update(u, out, fourOctetAs);
            case BgpNotification n -> out.writeByte(n.code()).writeByte(n.subcode()).writeBytes(n.data());
            case BgpKeepalive k -> {
            }
            case BgpRouteRefresh r -> out.writeShort(r.afi()).writeByte(0).writeByte(r.safi());
        }
        int length = out.writerIndex() - start;
        if (length > Bgp.MAX_MESSAGE_LENGTH) {
            out.writerIndex(start);
            throw new EncoderException(Bgp.typeName(msg.type()) + " of " + length + " octets (accepted: up to "
                + Bgp.MAX_MESSAGE_LENGTH + ")");
        }
        out.setShort(start + Bgp.LENGTH_OFFSET, length);
    }

    /** The encoded length of {@code msg}, for splitting NLRI across messages. */
    public static int length(BgpMessage msg, boolean fourOctetAs) {
        ByteBuf b = io.netty.buffer.Unpooled.buffer();
        try {
            write(msg, b, fourOctetAs);
            return b.readableBytes();
        } finally {
            b.release();
        }
    }

    private static void open(BgpOpen o, ByteBuf out) {
        out.writeByte(o.version()).writeShort(o.myAs()).writeShort(o.holdTime()).writeInt(o.bgpId());
        int optLengthAt = out.writerIndex();
        out.writeByte(0);
        if (!o.capabilities().isEmpty()) {
            out.writeByte(Bgp.PARAM_CAPABILITIES);
            int paramLengthAt = out.writerIndex();
            out.writeByte(0);
            for (BgpCapability c : o.capabilities()) {
                out.writeByte(c.code());
                int capLengthAt = out.writerIndex();
                out.writeByte(0);
                switch (c) {
                    case BgpCapability.Multiprotocol m -> out.writeShort(m.afi()).writeByte(0).writeByte(m.safi());
                    case BgpCapability.RouteRefresh r -> {
                    }
                    case BgpCapability.FourOctetAs f -> out.writeInt((int) f.as());
                    case BgpCapability.GracefulRestart g -> {
                        out.writeShort(g.flags() << 12 | g.restartTime());
                        for (BgpCapability.GracefulRestart.Family f : g.families()) {
                            out.writeShort(f.afi()).writeByte(f.safi()).writeByte(f.flags());
                        }
                    }
                    case BgpCapability.Unknown u -> out.writeBytes(u.value());
                }
                setLength8(out, capLengthAt, "capability " + c.code());
            }
            setLength8(out, paramLengthAt, "capabilities parameter");
        }
        setLength8(out, optLengthAt, "optional parameters");
    }

    private static void setLength8(ByteBuf out, int at, String what) {
        int length = out.writerIndex() - at - 1;
        if (length > 0xFF) {
            throw new EncoderException(what + " of " + length + " octets (accepted: up to 255)");
        }
        out.setByte(at, length);
    }

    private static void update(BgpUpdate u, ByteBuf out, boolean fourOctetAs) {
        int withdrawnAt = out.writerIndex();
        out.writeShort(0);
        prefixes(u.withdrawn(), out);
        out.setShort(withdrawnAt, out.writerIndex() - withdrawnAt - 2);
        int attributesAt = out.writerIndex();
        out.writeShort(0);
        attributes(u.attributes(), out, fourOctetAs);
        out.setShort(attributesAt, out.writerIndex() - attributesAt - 2);
        prefixes(u.nlri(), out);
    }

    private static void prefixes(List<BgpPrefix> prefixes, ByteBuf out) {
        for (BgpPrefix p : prefixes) {
            out.writeByte(p.length());
            int octets = (p.length() + 7) / 8;
            for (int i = 0; i < octets; i++) {
                long word = i < 8 ? p.hi() : p.lo();
                out.writeByte((int) (word >>> (56 - 8 * (i % 8))));
            }
        }
    }

    private static void attributes(BgpPathAttributes a, ByteBuf out, boolean fourOctetAs) {
        if (a.origin() != null) {
            int at = begin(out, WELL_KNOWN, Bgp.ATTR_ORIGIN);
            out.writeByte(a.origin());
            end(out, at);
        }
        boolean needsAs4Path = false;
        if (a.asPath() != null) {
            int at = begin(out, WELL_KNOWN, Bgp.ATTR_AS_PATH);
            needsAs4Path = asPath(a.asPath(), out, fourOctetAs);
            end(out, at);
        }
        if (a.nextHop() != null) {
            int at = begin(out, WELL_KNOWN, Bgp.ATTR_NEXT_HOP);
            out.writeInt(a.nextHop());
            end(out, at);
        }
        if (a.med() != null) {
            int at = begin(out, OPTIONAL, Bgp.ATTR_MULTI_EXIT_DISC);
            out.writeInt((int) (long) a.med());
            end(out, at);
        }
        if (a.localPref() != null) {
            int at = begin(out, WELL_KNOWN, Bgp.ATTR_LOCAL_PREF);
            out.writeInt((int) (long) a.localPref());
            end(out, at);
        }
        if (a.atomicAggregate()) {
            end(out, begin(out, WELL_KNOWN, Bgp.ATTR_ATOMIC_AGGREGATE));
        }
        if (!a.communities().isEmpty()) {
            int at = begin(out, OPTIONAL_TRANSITIVE, Bgp.ATTR_COMMUNITIES);
            a.communities().forEach(out::writeInt);
            end(out, at);
        }
        if (a.originatorId() != null) {
            int at = begin(out, OPTIONAL, Bgp.ATTR_ORIGINATOR_ID);
            out.writeInt(a.originatorId());
            end(out, at);
        }
        if (!a.clusterList().isEmpty()) {
            int at = begin(out, OPTIONAL, Bgp.ATTR_CLUSTER_LIST);
            a.clusterList().forEach(out::writeInt);
            end(out, at);
        }
        if (a.mpReach() != null) {
            BgpPathAttributes.MpReach r = a.mpReach();
            int at = begin(out, OPTIONAL, Bgp.ATTR_MP_REACH_NLRI);
            out.writeShort(r.afi()).writeByte(r.safi());
            out.writeByte(r.nextHops().stream().mapToInt(BgpAddress::wireLength).sum());
            for (BgpAddress nh : r.nextHops()) {
                if (nh.wireLength() == 4) {
                    out.writeInt(nh.ipv4());
                } else {
                    out.writeLong(nh.hi()).writeLong(nh.lo());
                }
            }
            out.writeByte(0);
            prefixes(r.nlri(), out);
            end(out, at);
        }
        if (a.mpUnreach() != null) {
            BgpPathAttributes.MpUnreach w = a.mpUnreach();
            int at = begin(out, OPTIONAL, Bgp.ATTR_MP_UNREACH_NLRI);
            out.writeShort(w.afi()).writeByte(w.safi());
            prefixes(w.withdrawn(), out);
            end(out, at);
        }
        if (!a.extendedCommunities().isEmpty()) {
            int at = begin(out, OPTIONAL_TRANSITIVE, Bgp.ATTR_EXTENDED_COMMUNITIES);
            a.extendedCommunities().forEach(out::writeLong);
            end(out, at);
        }
        if (needsAs4Path) {
            int at = begin(out, OPTIONAL_TRANSITIVE, Bgp.ATTR_AS4_PATH);
            asPath(a.asPath(), out, true);
            end(out, at);
        }
        for (BgpPathAttributes.Raw raw : a.others()) {
            if (needsAs4Path && raw.type() == Bgp.ATTR_AS4_PATH) {
                continue;
            }
            int at = begin(out, raw.flags(), raw.type());
            out.writeBytes(raw.value());
            end(out, at);
        }
    }

    /** Writes the segments; true when a number did not fit 2 octets (AS4_PATH must follow). */
    private static boolean asPath(List<AsPathSegment> path, ByteBuf out, boolean fourOctetAs) {
        boolean trans = false;
        for (AsPathSegment s : path) {
            out.writeByte(s.type()).writeByte(s.asns().size());
            for (long as : s.asns()) {
                if (fourOctetAs) {
                    out.writeInt((int) as);
                } else if (as > 0xFFFF) {
                    out.writeShort(Bgp.AS_TRANS);
                    trans = true;
                } else {
                    out.writeShort((int) as);
                }
            }
        }
        return trans;
    }

    /**
     * Starts an attribute, always with a 2-octet length slot; {@link #end} shrinks it to one
     * octet when the value fits, so short attributes are written without Extended Length.
     */
    private static int begin(ByteBuf out, int flags, int type) {
        int at = out.writerIndex();
        out.writeByte(flags | Bgp.FLAG_EXTENDED_LENGTH).writeByte(type).writeShort(0);
        return at;
    }

    private static void end(ByteBuf out, int at) {
        int valueAt = at + 4;
        int length = out.writerIndex() - valueAt;
        if (length > 0xFFFF) {
            throw new EncoderException("attribute of " + length + " octets (accepted: up to 65535)");
        }
        if (length <= 0xFF) {
            out.setByte(at, out.getUnsignedByte(at) & ~Bgp.FLAG_EXTENDED_LENGTH);
            out.setByte(at + 2, length);
            // move the value one octet back over the second length octet
            for (int i = 0; i < length; i++) {
                out.setByte(valueAt - 1 + i, out.getByte(valueAt + i));
            }
            out.writerIndex(out.writerIndex() - 1);
        } else {
            out.setShort(at + 2, length);
        }
    }
}
