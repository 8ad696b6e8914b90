package io.muslin.control.bgp;

import io.muslin.control.bgp.BgpPathAttributes.AsPathSegment;
import io.muslin.dataplane.table.Family;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Splits a BGP session's TCP stream into messages (RFC 4271 §4) and checks each as §6 says,
 * with UPDATE's attribute errors revised by RFC 7606. One per connection (not sharable): it
 * holds whether the session uses 4-octet AS numbers in AS_PATH ({@link #fourOctetAs}, set once
 * both OPENs say so, RFC 6793 §4) and whether it has failed.
 *
 * <p>What an error gets:
 * <ul>
 *   <li><b>Session reset</b> (a {@link BgpDecoderException} carrying the NOTIFICATION): a
 *       marker not all ones (1/1, noticed as soon as the first wrong octet arrives), a length
 *       outside 19-4096 or wrong for the type (1/2, data: the length field), an unknown type
 *       (1/3, data: the type), any OPEN error (2/x), Withdrawn Routes or Total Path Attribute
 *       lengths that overrun the message (3/1), an unrecognized well-known attribute (3/2, data:
 *       the attribute), MP_REACH_NLRI or MP_UNREACH_NLRI twice (3/1), malformed or with wrong
 *       flags (3/9, 3/4), a Withdrawn Routes or NLRI field that does not parse (3/10). After
 *       one the decoder discards everything: the session is over.</li>
 *   <li><b>Treat-as-withdraw</b> (RFC 7606 §2): a malformed ORIGIN, AS_PATH, NEXT_HOP, MED,
 *       LOCAL_PREF, COMMUNITIES, ORIGINATOR_ID, CLUSTER_LIST, EXTENDED_COMMUNITIES or
 *       LARGE_COMMUNITY, an optional/transitive flag conflict, attribute lengths that do not add
 *       up to the Total Path Attribute Length (§4), or a missing well-known mandatory attribute
 *       (§3 d): the UPDATE is passed on with {@link BgpUpdate#malformed} set.</li>
 *   <li><b>Attribute discard</b>: a malformed ATOMIC_AGGREGATE, AGGREGATOR, AS4_PATH or
 *       AS4_AGGREGATOR, and any repeated attribute after the first (§3 g): counted in
 *       {@link BgpUpdate#discarded}.</li>
 * </ul>
 * Unrecognized optional attributes are kept when transitive and dropped when not (RFC 4271 §5).
 * Families other than IPv4 and IPv6 unicast in MP_REACH/MP_UNREACH are kept unparsed.
 *
 * <p>The input buffer is Netty's cumulation (borrowed); messages hold no buffers.
 */
public final class BgpDecoder extends ByteToMessageDecoder {
    private static final byte ALL_ONES = (byte) 0xFF;

    private boolean fourOctetAs;
    private boolean failed;

    /** Both OPENs carried the 4-octet AS capability: AS_PATH numbers are 4 octets from now on. */
    public void fourOctetAs(boolean on) {
        fourOctetAs = on;
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        if (failed) {
            in.skipBytes(in.readableBytes());
            return;
        }
        try {
            BgpMessage m = decode(in, fourOctetAs);
            if (m != null) {
                out.add(m);
            }
        } catch (BgpDecoderException e) {
            failed = true;
            in.skipBytes(in.readableBytes());
            throw e;
        }
    }

    /**
     * Decodes the first message of {@code in} (borrowed) and moves its reader index past it, or
     * returns null (index unmoved) when the message has not all arrived yet.
     *
     * @throws BgpDecoderException when the session must end with its NOTIFICATION
     */
    public static BgpMessage decode(ByteBuf in, boolean fourOctetAs) {
        int r = in.readerIndex();
        int n = in.readableBytes();
        for (int i = 0; i < Math.min(n, Bgp.MARKER_LENGTH); i++) {
            if (in.getByte(r + i) != ALL_ONES) {
                throw new BgpDecoderException(Bgp.ERR_HEADER, Bgp.ERR_HEADER_NOT_SYNCHRONIZED,
                    "marker octet " + i + " is 0x" + hex(in.getUnsignedByte(r + i)) + " (expected: 16 octets of 0xff)");
            }
        }
        if (n < Bgp.HEADER_LENGTH) {
            return null;
        }
        int length = in.getUnsignedShort(r + Bgp.LENGTH_OFFSET);
        int type = in.getUnsignedByte(r + Bgp.TYPE_OFFSET);
        checkLength(length, type);
        if (n < length) {
            return null;
        }
        ByteBuf body = in.slice(r + Bgp.HEADER_LENGTH, length - Bgp.HEADER_LENGTH);
        in.skipBytes(length);
        return switch (type) {
            case Bgp.OPEN -> open(body);
            case Bgp.UPDATE -> update(body, fourOctetAs);
            case Bgp.NOTIFICATION -> new BgpNotification(body.readUnsignedByte(), body.readUnsignedByte(),
                ByteBufUtil.getBytes(body));
            case Bgp.KEEPALIVE -> BgpKeepalive.INSTANCE;
            case Bgp.ROUTE_REFRESH -> routeRefresh(body);
            default -> throw new AssertionError(type);
        };
    }

    /** RFC 4271 §6.1: the length and type of the header. */
    private static void checkLength(int length, int type) {
        byte[] lengthField = {(byte) (length >>> 8), (byte) length};
        if (length < Bgp.HEADER_LENGTH || length > Bgp.MAX_MESSAGE_LENGTH) {
            throw new BgpDecoderException(Bgp.ERR_HEADER, Bgp.ERR_HEADER_BAD_LENGTH, lengthField,
                "bad message length " + length + " (expected: " + Bgp.HEADER_LENGTH + "-" + Bgp.MAX_MESSAGE_LENGTH + ")");
        }
        int min;
        int max = Bgp.MAX_MESSAGE_LENGTH;
        switch (type) {
            case Bgp.OPEN -> min = Bgp.MIN_OPEN_LENGTH;
            case Bgp.UPDATE -> min = Bgp.MIN_UPDATE_LENGTH;
            case Bgp.NOTIFICATION -> min = Bgp.MIN_NOTIFICATION_LENGTH;
            case Bgp.KEEPALIVE -> min = max = Bgp.KEEPALIVE_LENGTH;
            case Bgp.ROUTE_REFRESH -> min = max = Bgp.ROUTE_REFRESH_LENGTH;
            default -> throw new BgpDecoderException(Bgp.ERR_HEADER, Bgp.ERR_HEADER_BAD_TYPE, new byte[] {(byte) type},
                "bad message type " + type + " (expected: 1-5)");
        }
        if (length < min || length > max) {
            throw new BgpDecoderException(Bgp.ERR_HEADER, Bgp.ERR_HEADER_BAD_LENGTH, lengthField,
                "bad " + Bgp.typeName(type) + " length " + length + " (expected: " + (min == max ? min : min + "-" + max) + ")");
        }
    }

    // ------------------------------------------------------------------ OPEN (RFC 4271 §4.2, §6.2; RFC 5492)

    private static BgpOpen open(ByteBuf b) {
        int version = b.readUnsignedByte();
        if (version != Bgp.VERSION) {
            throw new BgpDecoderException(Bgp.ERR_OPEN, Bgp.ERR_OPEN_UNSUPPORTED_VERSION, new byte[] {0, Bgp.VERSION},
                "unsupported BGP version " + version + " (expected: 4)");
        }
        int myAs = b.readUnsignedShort();
        int holdTime = b.readUnsignedShort();
        if (holdTime == 1 || holdTime == 2) {
            throw new BgpDecoderException(Bgp.ERR_OPEN, Bgp.ERR_OPEN_UNACCEPTABLE_HOLD_TIME,
                "unacceptable hold time " + holdTime + " (expected: 0 or 3-65535)");
        }
        int bgpId = b.readInt();
        if (bgpId == 0) {
            throw new BgpDecoderException(Bgp.ERR_OPEN, Bgp.ERR_OPEN_BAD_BGP_ID, "BGP identifier 0.0.0.0 (expected: non-zero)");
        }
        int optLength = b.readUnsignedByte();
        if (optLength != b.readableBytes()) {
            throw openError("optional parameters length " + optLength + " but " + b.readableBytes() + " octets follow");
        }
        List<BgpCapability> caps = new ArrayList<>();
        while (b.isReadable()) {
            if (b.readableBytes() < 2) {
                throw openError("optional parameter header truncated");
            }
            int paramType = b.readUnsignedByte();
            int paramLength = b.readUnsignedByte();
            if (paramLength > b.readableBytes()) {
                throw openError("optional parameter length " + paramLength + " exceeds the " + b.readableBytes()
                    + " octets left");
            }
            ByteBuf param = b.readSlice(paramLength);
            if (paramType != Bgp.PARAM_CAPABILITIES) {
                throw new BgpDecoderException(Bgp.ERR_OPEN, Bgp.ERR_OPEN_UNSUPPORTED_PARAMETER,
                    "unsupported optional parameter type " + paramType + " (expected: 2, capabilities)");
            }
            capabilities(param, caps);
        }
        return new BgpOpen(version, myAs, holdTime, bgpId, caps);
    }

    private static void capabilities(ByteBuf p, List<BgpCapability> out) {
        while (p.isReadable()) {
            if (p.readableBytes() < 2) {
                throw openError("capability header truncated");
            }
            int code = p.readUnsignedByte();
            int length = p.readUnsignedByte();
            if (length > p.readableBytes()) {
                throw openError("capability " + code + " length " + length + " exceeds the " + p.readableBytes()
                    + " octets left");
            }
            ByteBuf v = p.readSlice(length);
            out.add(switch (code) {
                case Bgp.CAP_MULTIPROTOCOL -> {
                    capabilityLength(code, length, 4);
                    int afi = v.readUnsignedShort();
                    v.skipBytes(1);
                    yield new BgpCapability.Multiprotocol(afi, v.readUnsignedByte());
                }
                case Bgp.CAP_ROUTE_REFRESH -> {
                    capabilityLength(code, length, 0);
                    yield BgpCapability.RouteRefresh.INSTANCE;
                }
                case Bgp.CAP_FOUR_OCTET_AS -> {
                    capabilityLength(code, length, 4);
                    long as = v.readUnsignedInt();
                    if (as == 0) {
                        throw new BgpDecoderException(Bgp.ERR_OPEN, Bgp.ERR_OPEN_BAD_PEER_AS,
                            "4-octet AS capability says AS 0 (RFC 6793 §4.1)");
                    }
                    yield new BgpCapability.FourOctetAs(as);
                }
                case Bgp.CAP_GRACEFUL_RESTART -> {
                    if (length < 2 || (length - 2) % 4 != 0) {
                        throw openError("graceful restart capability length " + length + " (expected: 2 + 4 per family)");
                    }
                    int word = v.readUnsignedShort();
                    List<BgpCapability.GracefulRestart.Family> families = new ArrayList<>();
                    while (v.isReadable()) {
                        families.add(new BgpCapability.GracefulRestart.Family(v.readUnsignedShort(), v.readUnsignedByte(),
                            v.readUnsignedByte()));
                    }
                    yield new BgpCapability.GracefulRestart(word >>> 12, word & Bgp.GR_MAX_RESTART_TIME, families);
                }
                default -> new BgpCapability.Unknown(code, ByteBufUtil.getBytes(v));
            });
        }
    }

    private static void capabilityLength(int code, int length, int expected) {
        if (length != expected) {
            throw openError("capability " + code + " length " + length + " (expected: " + expected + ")");
        }
    }

    private static BgpDecoderException openError(String message) {
        return new BgpDecoderException(Bgp.ERR_OPEN, 0, "malformed OPEN: " + message);
    }

    // ------------------------------------------------------------------ ROUTE-REFRESH (RFC 2918 §3)

    private static BgpRouteRefresh routeRefresh(ByteBuf b) {
        int afi = b.readUnsignedShort();
        b.skipBytes(1);
        return new BgpRouteRefresh(afi, b.readUnsignedByte());
    }

    // ------------------------------------------------------------------ UPDATE (RFC 4271 §4.3, §6.3; RFC 7606)

    private static BgpUpdate update(ByteBuf b, boolean fourOctetAs) {
        int withdrawnLength = b.readUnsignedShort();
        if (withdrawnLength > b.readableBytes() - 2) {
            throw new BgpDecoderException(Bgp.ERR_UPDATE, Bgp.ERR_UPDATE_MALFORMED_ATTRIBUTE_LIST,
                "withdrawn routes length " + withdrawnLength + " exceeds the " + (b.readableBytes() - 2) + " octets left");
        }
        List<BgpPrefix> withdrawn = prefixes(b.readSlice(withdrawnLength), Family.IPV4, Bgp.ERR_UPDATE_INVALID_NETWORK,
            "withdrawn routes");
        int attributesLength = b.readUnsignedShort();
        if (attributesLength > b.readableBytes()) {
            throw new BgpDecoderException(Bgp.ERR_UPDATE, Bgp.ERR_UPDATE_MALFORMED_ATTRIBUTE_LIST,
                "total path attribute length " + attributesLength + " exceeds the " + b.readableBytes() + " octets left");
        }
        Attributes a = new Attributes(fourOctetAs);
        a.parse(b.readSlice(attributesLength));
        List<BgpPrefix> nlri = prefixes(b, Family.IPV4, Bgp.ERR_UPDATE_INVALID_NETWORK, "NLRI");
        BgpPathAttributes attrs = a.out.build();
        String malformed = a.malformed;
        BgpPathAttributes.MpReach reach = attrs.mpReach();
        boolean announces = !nlri.isEmpty() || reach != null && !reach.nlri().isEmpty();
        if (malformed == null && announces) {
            String missing = attrs.origin() == null ? "ORIGIN" : attrs.asPath() == null ? "AS_PATH"
                : !nlri.isEmpty() && attrs.nextHop() == null ? "NEXT_HOP" : null;
            if (missing != null) {
                malformed = "missing well-known attribute " + missing;
            }
        }
        return new BgpUpdate(withdrawn, attrs, nlri, malformed, a.discarded);
    }

    /** Reads (length, prefix) pairs to the end of {@code b}; a bad one is a session reset with {@code subcode}. */
    private static List<BgpPrefix> prefixes(ByteBuf b, Family family, int subcode, String field) {
        List<BgpPrefix> out = new ArrayList<>();
        while (b.isReadable()) {
            int length = b.readUnsignedByte();
            if (length > family.bits()) {
                throw new BgpDecoderException(Bgp.ERR_UPDATE, subcode,
                    field + ": prefix length " + length + " (expected: 0-" + family.bits() + " for " + family + ")");
            }
            int octets = (length + 7) / 8;
            if (octets > b.readableBytes()) {
                throw new BgpDecoderException(Bgp.ERR_UPDATE, subcode,
                    field + ": a /" + length + " needs " + octets + " octets, " + b.readableBytes() + " left");
            }
            long hi = 0;
            long lo = 0;
            for (int i = 0; i < octets; i++) {
                long octet = b.readUnsignedByte();
                if (i < 8) {
                    hi |= octet << (56 - 8 * i);
                } else {
                    lo |= octet << (56 - 8 * (i - 8));
                }
            }
            out.add(new BgpPrefix(family, hi, lo, length));
        }
        return out;
    }

    /** IPv4 or IPv6 unicast, the families this codec parses; null for any other. */
    static Family family(int afi, int safi) {
        if (safi != Bgp.SAFI_UNICAST) {
            return null;
        }
        return afi == Bgp.AFI_IPV4 ? Family.IPV4 : afi == Bgp.AFI_IPV6 ? Family.IPV6 : null;
    }

    /** One UPDATE's path attributes being read. */
    private static final class Attributes {
        private static final int WELL_KNOWN = Bgp.FLAG_TRANSITIVE;
        private static final int OPTIONAL = Bgp.FLAG_OPTIONAL;
        private static final int OPTIONAL_TRANSITIVE = Bgp.FLAG_OPTIONAL | Bgp.FLAG_TRANSITIVE;

        final BgpPathAttributes.Builder out = BgpPathAttributes.builder();
        final boolean fourOctetAs;
        final Set<Integer> seen = new HashSet<>();
        String malformed;
        int discarded;

        Attributes(boolean fourOctetAs) {
            this.fourOctetAs = fourOctetAs;
        }

        void parse(ByteBuf b) {
            while (b.isReadable()) {
                int start = b.readerIndex();
                if (b.readableBytes() < 3) {
                    withdraw("attribute header truncated: " + b.readableBytes() + " octets left (RFC 7606 §4)");
                    return;
                }
                int flags = b.readUnsignedByte();
                int type = b.readUnsignedByte();
                boolean extended = (flags & Bgp.FLAG_EXTENDED_LENGTH) != 0;
                if (extended && b.readableBytes() < 2) {
                    withdraw("attribute " + type + " header truncated (RFC 7606 §4)");
                    return;
                }
                int length = extended ? b.readUnsignedShort() : b.readUnsignedByte();
                if (length > b.readableBytes()) {
                    withdraw("attribute " + type + " length " + length + " exceeds the " + b.readableBytes()
                        + " octets left (RFC 7606 §4)");
                    return;
                }
                ByteBuf v = b.readSlice(length);
                if (!seen.add(type)) {
                    if (type == Bgp.ATTR_MP_REACH_NLRI || type == Bgp.ATTR_MP_UNREACH_NLRI) {
                        throw new BgpDecoderException(Bgp.ERR_UPDATE, Bgp.ERR_UPDATE_MALFORMED_ATTRIBUTE_LIST,
                            "attribute " + type + " appears twice (RFC 7606 §3 g)");
                    }
                    discarded++;
                    continue;
                }
                attribute(flags, type, v, b.slice(start, b.readerIndex() - start));
            }
        }

        private void attribute(int flags, int type, ByteBuf v, ByteBuf whole) {
            int length = v.readableBytes();
            switch (type) {
                case Bgp.ATTR_ORIGIN -> {
                    if (flagsOk(flags, WELL_KNOWN, type) && lengthIs(type, length, 1)) {
                        int origin = v.readUnsignedByte();
                        if (origin > Bgp.ORIGIN_INCOMPLETE) {
                            withdraw("ORIGIN " + origin + " (expected: 0-2)");
                        } else {
                            out.origin(origin);
                        }
                    }
                }
                case Bgp.ATTR_AS_PATH -> {
                    if (flagsOk(flags, WELL_KNOWN, type)) {
                        List<AsPathSegment> path = asPath(v, fourOctetAs ? 4 : 2);
                        if (path != null) {
                            out.asPath(path);
                        } else {
                            withdraw("malformed AS_PATH of " + length + " octets");
                        }
                    }
                }
                case Bgp.ATTR_NEXT_HOP -> {
                    if (flagsOk(flags, WELL_KNOWN, type) && lengthIs(type, length, 4)) {
                        out.nextHop(v.readInt());
                    }
                }
                case Bgp.ATTR_MULTI_EXIT_DISC -> {
                    if (flagsOk(flags, OPTIONAL, type) && lengthIs(type, length, 4)) {
                        out.med(v.readUnsignedInt());
                    }
                }
                case Bgp.ATTR_LOCAL_PREF -> {
                    if (flagsOk(flags, WELL_KNOWN, type) && lengthIs(type, length, 4)) {
                        out.localPref(v.readUnsignedInt());
                    }
                }
                case Bgp.ATTR_ATOMIC_AGGREGATE -> {
                    if ((flags & OPTIONAL_TRANSITIVE) != WELL_KNOWN || length != 0) {
                        discarded++;
                    } else {
                        out.atomicAggregate();
                    }
                }
                case Bgp.ATTR_AGGREGATOR, Bgp.ATTR_AS4_AGGREGATOR -> {
                    int expected = type == Bgp.ATTR_AGGREGATOR && !fourOctetAs ? 6 : 8;
                    if ((flags & OPTIONAL_TRANSITIVE) != OPTIONAL_TRANSITIVE || length != expected) {
                        discarded++;
                    } else {
                        keep(flags, type, v);
                    }
                }
                case Bgp.ATTR_AS4_PATH -> {
                    if ((flags & OPTIONAL_TRANSITIVE) != OPTIONAL_TRANSITIVE || asPath(v.duplicate(), 4) == null) {
                        discarded++; // RFC 6793 §6: a malformed AS4_PATH is discarded
                    } else {
                        keep(flags, type, v);
                    }
                }
                case Bgp.ATTR_COMMUNITIES -> {
                    if (flagsOk(flags, OPTIONAL_TRANSITIVE, type) && multipleOf(type, length, 4)) {
                        while (v.isReadable()) {
                            out.community(v.readInt());
                        }
                    }
                }
                case Bgp.ATTR_EXTENDED_COMMUNITIES -> {
                    if (flagsOk(flags, OPTIONAL_TRANSITIVE, type) && multipleOf(type, length, 8)) {
                        while (v.isReadable()) {
                            out.extendedCommunity(v.readLong());
                        }
                    }
                }
                case Bgp.ATTR_LARGE_COMMUNITIES -> {
                    if (flagsOk(flags, OPTIONAL_TRANSITIVE, type) && multipleOf(type, length, 12)) {
                        keep(flags, type, v);
                    }
                }
                case Bgp.ATTR_ORIGINATOR_ID -> {
                    if (flagsOk(flags, OPTIONAL, type) && lengthIs(type, length, 4)) {
                        out.originatorId(v.readInt());
                    }
                }
                case Bgp.ATTR_CLUSTER_LIST -> {
                    if (flagsOk(flags, OPTIONAL, type) && multipleOf(type, length, 4)) {
                        while (v.isReadable()) {
                            out.cluster(v.readInt());
                        }
                    }
                }
                case Bgp.ATTR_MP_REACH_NLRI -> {
                    mpFlags(flags, type, whole);
                    out.mpReach(mpReach(v));
                }
                case Bgp.ATTR_MP_UNREACH_NLRI -> {
                    mpFlags(flags, type, whole);
                    out.mpUnreach(mpUnreach(v));
                }
                default -> {
                    if ((flags & Bgp.FLAG_OPTIONAL) == 0) {
                        throw new BgpDecoderException(Bgp.ERR_UPDATE, Bgp.ERR_UPDATE_UNRECOGNIZED_WELL_KNOWN,
                            ByteBufUtil.getBytes(whole), "unrecognized well-known attribute " + type
                            + " (flags 0x" + hex(flags) + ", length " + length + ")");
                    }
                    if ((flags & Bgp.FLAG_TRANSITIVE) != 0) {
                        keep(flags, type, v);
                    }
                }
            }
        }

        private void keep(int flags, int type, ByteBuf v) {
            out.other(new BgpPathAttributes.Raw(flags & ~Bgp.FLAG_EXTENDED_LENGTH, type, ByteBufUtil.getBytes(v)));
        }

        /** RFC 7606 §3 c: an Optional or Transitive bit in conflict with the attribute's definition. */
        private boolean flagsOk(int flags, int expected, int type) {
            if ((flags & OPTIONAL_TRANSITIVE) == expected) {
                return true;
            }
            withdraw("attribute " + type + " has flags 0x" + hex(flags) + " (expected: optional/transitive 0x"
                + hex(expected) + ")");
            return false;
        }

        private boolean lengthIs(int type, int length, int expected) {
            if (length == expected) {
                return true;
            }
            withdraw("attribute " + type + " length " + length + " (expected: " + expected + ")");
            return false;
        }

        private boolean multipleOf(int type, int length, int unit) {
            if (length > 0 && length % unit == 0) {
                return true;
            }
            withdraw("attribute " + type + " length " + length + " (expected: a positive multiple of " + unit + ")");
            return false;
        }

        /** The NLRI of a malformed MP attribute cannot be located: session reset (RFC 7606 §7.11, §7.12). */
        private static void mpFlags(int flags, int type, ByteBuf whole) {
            if ((flags & OPTIONAL_TRANSITIVE) != OPTIONAL) {
                throw new BgpDecoderException(Bgp.ERR_UPDATE, Bgp.ERR_UPDATE_ATTRIBUTE_FLAGS, ByteBufUtil.getBytes(whole),
                    "attribute " + type + " has flags 0x" + hex(flags) + " (expected: optional, non-transitive)");
            }
        }

        private static BgpPathAttributes.MpReach mpReach(ByteBuf v) {
            if (v.readableBytes() < 5) {
                throw mpError("MP_REACH_NLRI of " + v.readableBytes() + " octets (expected: 5+)");
            }
            int afi = v.readUnsignedShort();
            int safi = v.readUnsignedByte();
            int nextHopLength = v.readUnsignedByte();
            if (nextHopLength + 1 > v.readableBytes()) {
                throw mpError("MP_REACH_NLRI next hop length " + nextHopLength + " exceeds the " + v.readableBytes()
                    + " octets left");
            }
            Family family = family(afi, safi);
            if (family == null) {
                return new BgpPathAttributes.MpReach(afi, safi, List.of(), List.of());
            }
            int width = family.bits() / 8;
            if (nextHopLength != width && !(family == Family.IPV6 && nextHopLength == 2 * width)) {
                throw mpError("MP_REACH_NLRI next hop length " + nextHopLength + " for " + family + " (expected: "
                    + (family == Family.IPV6 ? "16 or 32" : "4") + ")");
            }
            List<BgpAddress> nextHops = new ArrayList<>(2);
            for (int left = nextHopLength; left > 0; left -= width) {
                if (family == Family.IPV4) {
                    nextHops.add(BgpAddress.ipv4(v.readInt()));
                } else {
                    nextHops.add(new BgpAddress(Family.IPV6, v.readLong(), v.readLong()));
                }
            }
            v.skipBytes(1); // reserved
            return new BgpPathAttributes.MpReach(afi, safi, nextHops,
                prefixes(v, family, Bgp.ERR_UPDATE_OPTIONAL_ATTRIBUTE, "MP_REACH_NLRI"));
        }

        private static BgpPathAttributes.MpUnreach mpUnreach(ByteBuf v) {
            if (v.readableBytes() < 3) {
                throw mpError("MP_UNREACH_NLRI of " + v.readableBytes() + " octets (expected: 3+)");
            }
            int afi = v.readUnsignedShort();
            int safi = v.readUnsignedByte();
            Family family = family(afi, safi);
            if (family == null) {
                return new BgpPathAttributes.MpUnreach(afi, safi, List.of());
            }
            return new BgpPathAttributes.MpUnreach(afi, safi,
                prefixes(v, family, Bgp.ERR_UPDATE_OPTIONAL_ATTRIBUTE, "MP_UNREACH_NLRI"));
        }

        private static BgpDecoderException mpError(String message) {
            return new BgpDecoderException(Bgp.ERR_UPDATE, Bgp.ERR_UPDATE_OPTIONAL_ATTRIBUTE, message);
        }

        private void withdraw(String why) {
            if (malformed == null) {
                malformed = why;
            }
        }
    }

    /** AS_PATH segments of {@code asSize}-octet numbers, or null when they do not parse (RFC 7606 §7.2). */
    static List<AsPathSegment> asPath(ByteBuf v, int asSize) {
        List<AsPathSegment> path = new ArrayList<>();
        while (v.isReadable()) {
            if (v.readableBytes() < 2) {
                return null;
            }
            int type = v.readUnsignedByte();
            int count = v.readUnsignedByte();
            if (type < Bgp.AS_SET || type > Bgp.AS_CONFED_SET || count == 0 || count * asSize > v.readableBytes()) {
                return null;
            }
            List<Long> asns = new ArrayList<>(count);
            for (int i = 0; i < count; i++) {
                asns.add(asSize == 4 ? v.readUnsignedInt() : v.readUnsignedShort());
            }
            path.add(new AsPathSegment(type, asns));
        }
        return path;
    }

    private static String hex(int octet) {
        return String.format("%02x", octet);
    }
}
