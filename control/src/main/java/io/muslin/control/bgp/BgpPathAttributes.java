package io.muslin.control.bgp;

import io.muslin.dataplane.packet.Ipv4Address;
import io.muslin.dataplane.packet.MacAddress;
import io.muslin.dataplane.table.Family;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.StringJoiner;

/**
 * The path attributes of an UPDATE (RFC 4271 §4.3, §5), each as its RFC defines it. An absent
 * attribute is {@code null} (or an empty list); attributes this speaker does not interpret,
 * and optional transitive ones it does not know, are kept in {@link #others} as they came.
 * <pre>
 *  +----------------+----------------+-------------------+----------------------+
 *  | Flags (1)      | Type Code (1)  | Length (1, or 2   | Value                |
 *  | O T P E 0 0 0 0|                | when E is set)    |                      |
 *  +----------------+----------------+-------------------+----------------------+
 * </pre>
 *
 * @param origin              ORIGIN: {@link Bgp#ORIGIN_IGP}, EGP or INCOMPLETE
 * @param asPath              AS_PATH segments (an empty list: present and empty, as iBGP sends it)
 * @param nextHop             NEXT_HOP, an IPv4 address
 * @param med                 MULTI_EXIT_DISC
 * @param localPref           LOCAL_PREF
 * @param atomicAggregate     ATOMIC_AGGREGATE present
 * @param communities         COMMUNITIES (RFC 1997), each 4 octets
 * @param extendedCommunities EXTENDED_COMMUNITIES (RFC 4360), each 8 octets as a long
 * @param originatorId        ORIGINATOR_ID (RFC 4456), set by route reflectors
 * @param clusterList         CLUSTER_LIST (RFC 4456)
 * @param mpReach             MP_REACH_NLRI (RFC 4760 §3)
 * @param mpUnreach           MP_UNREACH_NLRI (RFC 4760 §4)
 * @param others              every other attribute, in the order received
 */
public record BgpPathAttributes(Integer origin, List<AsPathSegment> asPath, Integer nextHop, Long med, Long localPref,
                                boolean atomicAggregate, List<Integer> communities, List<Long> extendedCommunities,
                                Integer originatorId, List<Integer> clusterList, MpReach mpReach, MpUnreach mpUnreach,
                                List<Raw> others) {
    public static final BgpPathAttributes NONE = new Builder().build();

    public BgpPathAttributes {
        asPath = asPath == null ? null : List.copyOf(asPath);
        communities = List.copyOf(communities);
        extendedCommunities = List.copyOf(extendedCommunities);
        clusterList = List.copyOf(clusterList);
        others = List.copyOf(others);
    }

    public static Builder builder() {
        return new Builder();
    }

    /** True when no attribute is present (an End-of-RIB marker, a pure withdrawal). */
    public boolean isEmpty() {
        return equals(NONE);
    }

    /** The MAC of the first Router's MAC extended community (RFC 9135 §8.1), or {@link MacAddress#NONE}. */
    public long routersMac() {
        for (long ec : extendedCommunities) {
            if (isRoutersMac(ec)) {
                return ec & 0xFFFF_FFFF_FFFFL;
            }
        }
        return MacAddress.NONE;
    }

    /** The Router's MAC extended community for {@code mac}: type 0x06, sub-type 0x03, the MAC. */
    public static long routersMacCommunity(long mac) {
        return ((long) Bgp.EXT_TYPE_EVPN << 56) | ((long) Bgp.EXT_SUBTYPE_ROUTERS_MAC << 48) | (mac & 0xFFFF_FFFF_FFFFL);
    }

    static boolean isRoutersMac(long ec) {
        return (ec >>> 56) == Bgp.EXT_TYPE_EVPN && ((ec >>> 48) & 0xFF) == Bgp.EXT_SUBTYPE_ROUTERS_MAC;
    }

    /** The number of ASes on the path, as the decision process counts it (an AS_SET counts one, RFC 4271 §9.1.2.2). */
    public int asPathLength() {
        if (asPath == null) {
            return 0;
        }
        int n = 0;
        for (AsPathSegment s : asPath) {
            n += switch (s.type()) {
                case Bgp.AS_SEQUENCE -> s.asns().size();
                case Bgp.AS_SET -> 1;
                default -> 0; // confederation segments do not count (RFC 5065 §5.3)
            };
        }
        return n;
    }

    /**
     * One AS_PATH segment (RFC 4271 §4.3; 4-octet numbers per RFC 6793 when both ends support them).
     *
     * @param type {@link Bgp#AS_SET}, {@link Bgp#AS_SEQUENCE}, {@link Bgp#AS_CONFED_SEQUENCE}, {@link Bgp#AS_CONFED_SET}
     * @param asns 1-255 AS numbers
     */
    public record AsPathSegment(int type, List<Long> asns) {
        public AsPathSegment {
            BgpOpen.checkRange("AS_PATH segment type", type, Bgp.AS_SET, Bgp.AS_CONFED_SET);
            BgpOpen.checkRange("AS_PATH segment length", asns.size(), 1, 255);
            asns = List.copyOf(asns);
        }

        public static AsPathSegment sequence(long... asns) {
            return new AsPathSegment(Bgp.AS_SEQUENCE, Arrays.stream(asns).boxed().toList());
        }
    }

    /**
     * MP_REACH_NLRI (RFC 4760 §3). For a family this codec does not parse (not IPv4 or IPv6
     * unicast) the next hops and NLRI are empty.
     *
     * @param afi      address family
     * @param safi     subsequent address family
     * @param nextHops the next hop, and for IPv6 possibly a link-local one after it (RFC 2545 §3)
     * @param nlri     the announced prefixes
     */
    public record MpReach(int afi, int safi, List<BgpAddress> nextHops, List<BgpPrefix> nlri) {
        public MpReach {
            nextHops = List.copyOf(nextHops);
            nlri = List.copyOf(nlri);
        }

        /** The family, or null when it is not one this codec parses. */
        public Family family() {
            return BgpDecoder.family(afi, safi);
        }
    }

    /**
     * MP_UNREACH_NLRI (RFC 4760 §4).
     *
     * @param afi       address family
     * @param safi      subsequent address family
     * @param withdrawn the withdrawn prefixes (none, alone in an UPDATE: the family's End-of-RIB, RFC 4724 §2)
     */
    public record MpUnreach(int afi, int safi, List<BgpPrefix> withdrawn) {
        public MpUnreach {
            withdrawn = List.copyOf(withdrawn);
        }

        public Family family() {
            return BgpDecoder.family(afi, safi);
        }
    }

    /** An attribute kept as it came: flags (Extended Length cleared), type code, value. */
    public record Raw(int flags, int type, byte[] value) {
        public Raw {
            BgpOpen.checkRange("attribute flags", flags, 0, 0xFF);
            BgpOpen.checkRange("attribute type", type, 0, 0xFF);
            value = value.clone();
        }

        @Override
        public byte[] value() {
            return value.clone();
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Raw r && r.flags == flags && r.type == type && Arrays.equals(r.value, value);
        }

        @Override
        public int hashCode() {
            return (flags * 256 + type) * 31 + Arrays.hashCode(value);
        }

        @Override
        public String toString() {
            return "Raw[flags=0x" + Integer.toHexString(flags) + ", type=" + type + ", value="
                + HexFormat.of().formatHex(value) + "]";
        }
    }

    @Override
    public String toString() {
        StringJoiner j = new StringJoiner(", ", "[", "]");
        if (origin != null) {
            j.add("origin " + origin);
        }
        if (asPath != null) {
            j.add("as-path " + asPath);
        }
        if (nextHop != null) {
            j.add("next-hop " + Ipv4Address.format(nextHop));
        }
        if (med != null) {
            j.add("med " + med);
        }
        if (localPref != null) {
            j.add("local-pref " + localPref);
        }
        if (atomicAggregate) {
            j.add("atomic-aggregate");
        }
        if (!communities.isEmpty()) {
            j.add("communities " + communities.size());
        }
        if (!extendedCommunities.isEmpty()) {
            j.add("ext-communities " + extendedCommunities.stream().map(Long::toHexString).toList());
        }
        if (originatorId != null) {
            j.add("originator " + Ipv4Address.format(originatorId));
        }
        if (!clusterList.isEmpty()) {
            j.add("cluster-list " + clusterList.stream().map(Ipv4Address::format).toList());
        }
        if (mpReach != null) {
            j.add("mp-reach " + mpReach);
        }
        if (mpUnreach != null) {
            j.add("mp-unreach " + mpUnreach);
        }
        if (!others.isEmpty()) {
            j.add("others " + others);
        }
        return j.toString();
    }

    /** Builds attributes field by field (the decoder and the speaker use it). */
    public static final class Builder {
        private Integer origin;
        private List<AsPathSegment> asPath;
        private Integer nextHop;
        private Long med;
        private Long localPref;
        private boolean atomicAggregate;
        private final List<Integer> communities = new ArrayList<>();
        private final List<Long> extendedCommunities = new ArrayList<>();
        private Integer originatorId;
        private final List<Integer> clusterList = new ArrayList<>();
        private MpReach mpReach;
        private MpUnreach mpUnreach;
        private final List<Raw> others = new ArrayList<>();

        public Builder origin(int v) {
            origin = v;
            return this;
        }

        public Builder asPath(List<AsPathSegment> v) {
            asPath = v;
            return this;
        }

        public Builder nextHop(int v) {
            nextHop = v;
            return this;
        }

        public Builder med(long v) {
            med = v;
            return this;
        }

        public Builder localPref(long v) {
            localPref = v;
            return this;
        }

        public Builder atomicAggregate() {
            atomicAggregate = true;
            return this;
        }

        public Builder community(int v) {
            communities.add(v);
            return this;
        }

        public Builder extendedCommunity(long v) {
            extendedCommunities.add(v);
            return this;
        }

        public Builder originatorId(int v) {
            originatorId = v;
            return this;
        }

        public Builder cluster(int v) {
            clusterList.add(v);
            return this;
        }

        public Builder mpReach(MpReach v) {
            mpReach = v;
            return this;
        }

        public Builder mpUnreach(MpUnreach v) {
            mpUnreach = v;
            return this;
        }

        public Builder other(Raw v) {
            others.add(v);
            return this;
        }

        public BgpPathAttributes build() {
            return new BgpPathAttributes(origin, asPath, nextHop, med, localPref, atomicAggregate, communities,
                extendedCommunities, originatorId, clusterList, mpReach, mpUnreach, others);
        }
    }
}
