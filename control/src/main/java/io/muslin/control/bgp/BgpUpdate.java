package io.muslin.control.bgp;

import java.util.ArrayList;
import java.util.List;

/**
 * UPDATE (RFC 4271 §4.3).
 * <pre>
 *  +-----------------------------------------------------+
 *  |   Withdrawn Routes Length (2 octets)                |
 *  +-----------------------------------------------------+
 *  |   Withdrawn Routes (variable): (length, prefix)...  |
 *  +-----------------------------------------------------+
 *  |   Total Path Attribute Length (2 octets)            |
 *  +-----------------------------------------------------+
 *  |   Path Attributes (variable)                        |
 *  +-----------------------------------------------------+
 *  |   Network Layer Reachability Information (variable) |
 *  +-----------------------------------------------------+
 * </pre>
 *
 * <p>An UPDATE whose attributes were malformed in a way RFC 7606 answers with
 * "treat-as-withdraw" is decoded with {@link #malformed} saying why: its receiver must treat
 * every prefix it announces ({@link #nlri} and the MP_REACH_NLRI's) as withdrawn, and keep the
 * session. Errors that RFC 7606 answers with "session reset" are a {@link BgpDecoderException}.
 *
 * @param withdrawn  the IPv4 prefixes withdrawn
 * @param attributes the path attributes ({@link BgpPathAttributes#NONE} when there are none)
 * @param nlri       the IPv4 prefixes announced
 * @param malformed  null, or why RFC 7606 says to treat this UPDATE as a withdrawal
 * @param discarded  attributes dropped as RFC 7606 "attribute discard" (they did not matter)
 */
public record BgpUpdate(List<BgpPrefix> withdrawn, BgpPathAttributes attributes, List<BgpPrefix> nlri,
                        String malformed, int discarded) implements BgpMessage {
    public BgpUpdate {
        withdrawn = List.copyOf(withdrawn);
        nlri = List.copyOf(nlri);
    }

    public BgpUpdate(List<BgpPrefix> withdrawn, BgpPathAttributes attributes, List<BgpPrefix> nlri) {
        this(withdrawn, attributes, nlri, null, 0);
    }

    /** The End-of-RIB marker of IPv4 unicast (RFC 4724 §2): an UPDATE with nothing in it. */
    public static final BgpUpdate END_OF_RIB_IPV4 = new BgpUpdate(List.of(), BgpPathAttributes.NONE, List.of());

    /** The End-of-RIB marker of another family: an UPDATE with only an empty MP_UNREACH_NLRI. */
    public static BgpUpdate endOfRib(int afi, int safi) {
        if (afi == Bgp.AFI_IPV4 && safi == Bgp.SAFI_UNICAST) {
            return END_OF_RIB_IPV4;
        }
        return new BgpUpdate(List.of(), BgpPathAttributes.builder()
            .mpUnreach(new BgpPathAttributes.MpUnreach(afi, safi, List.of())).build(), List.of());
    }

    @Override
    public int type() {
        return Bgp.UPDATE;
    }

    /** The family (AFI, SAFI) whose End-of-RIB this is, or null when it is not an End-of-RIB marker. */
    public int[] endOfRib() {
        if (!withdrawn.isEmpty() || !nlri.isEmpty() || malformed != null) {
            return null;
        }
        if (attributes.isEmpty()) {
            return new int[] {Bgp.AFI_IPV4, Bgp.SAFI_UNICAST};
        }
        BgpPathAttributes.MpUnreach u = attributes.mpUnreach();
        if (u != null && u.withdrawn().isEmpty() && attributes.equals(BgpPathAttributes.builder().mpUnreach(u).build())) {
            return new int[] {u.afi(), u.safi()};
        }
        return null;
    }

    /** Every prefix this UPDATE announces: the NLRI field's and the MP_REACH_NLRI's. */
    public List<BgpPrefix> announced() {
        BgpPathAttributes.MpReach r = attributes.mpReach();
        if (r == null || r.nlri().isEmpty()) {
            return nlri;
        }
        List<BgpPrefix> all = new ArrayList<>(nlri);
        all.addAll(r.nlri());
        return all;
    }

    /** Every prefix this UPDATE withdraws: the Withdrawn Routes field's and the MP_UNREACH_NLRI's. */
    public List<BgpPrefix> withdrawnAll() {
        BgpPathAttributes.MpUnreach u = attributes.mpUnreach();
        if (u == null || u.withdrawn().isEmpty()) {
            return withdrawn;
        }
        List<BgpPrefix> all = new ArrayList<>(withdrawn);
        all.addAll(u.withdrawn());
        return all;
    }
}
