package io.muslin.control.bgp;

import io.muslin.dataplane.packet.Ipv4Address;
import java.util.List;
import java.util.Optional;

/**
 * OPEN (RFC 4271 §4.2), with its capabilities (RFC 5492) gathered from the optional parameters.
 * <pre>
 *  +---------+------------------+------------+----------------+---------+---------------------+
 *  | Version | My AS (2)        | Hold Time  | BGP Identifier | Opt Len | Optional Parameters |
 *  |  (1)    | or AS_TRANS      |   (2)      |     (4)        |   (1)   | type 2: capabilities|
 *  +---------+------------------+------------+----------------+---------+---------------------+
 * </pre>
 *
 * @param version      4
 * @param myAs         the 2-octet My Autonomous System field ({@link Bgp#AS_TRANS} for a 4-octet AS)
 * @param holdTime     seconds: 0, or 3-65535
 * @param bgpId        the BGP Identifier, an IPv4 address as an int (the router id)
 * @param capabilities every capability, in the order they came
 */
public record BgpOpen(int version, int myAs, int holdTime, int bgpId, List<BgpCapability> capabilities)
    implements BgpMessage {
    public static final long MAX_AS = 0xFFFF_FFFFL;

    public BgpOpen {
        checkRange("version", version, 0, 0xFF);
        checkRange("My AS", myAs, 0, 0xFFFF);
        checkRange("Hold Time", holdTime, 0, 0xFFFF);
        capabilities = List.copyOf(capabilities);
    }

    /**
     * An OPEN for {@code as}: the 2-octet field says the AS or, above 65535, AS_TRANS; the
     * 4-octet capability (which {@code capabilities} should hold) says it in full.
     */
    public static BgpOpen of(long as, int holdTime, int bgpId, List<BgpCapability> capabilities) {
        checkAs(as);
        return new BgpOpen(Bgp.VERSION, as > 0xFFFF ? Bgp.AS_TRANS : (int) as, holdTime, bgpId, capabilities);
    }

    @Override
    public int type() {
        return Bgp.OPEN;
    }

    /** The sender's AS: the 4-octet capability's (RFC 6793 §4.1) or else My AS. */
    public long as() {
        return capability(BgpCapability.FourOctetAs.class).map(BgpCapability.FourOctetAs::as).orElse((long) myAs);
    }

    /** True when the sender supports 4-octet AS numbers. */
    public boolean fourOctetAs() {
        return capability(BgpCapability.FourOctetAs.class).isPresent();
    }

    /** True when the sender can take ROUTE-REFRESH. */
    public boolean routeRefresh() {
        return capabilities.contains(BgpCapability.RouteRefresh.INSTANCE);
    }

    /**
     * True when the sender announced multiprotocol (afi, safi); an OPEN without any
     * multiprotocol capability means IPv4 unicast alone (RFC 4760 §8 and RFC 4271).
     */
    public boolean supports(int afi, int safi) {
        boolean anyMp = capabilities.stream().anyMatch(c -> c instanceof BgpCapability.Multiprotocol);
        if (!anyMp) {
            return afi == Bgp.AFI_IPV4 && safi == Bgp.SAFI_UNICAST;
        }
        return capabilities.contains(new BgpCapability.Multiprotocol(afi, safi));
    }

    /** The graceful restart capability, if the sender has one. */
    public Optional<BgpCapability.GracefulRestart> gracefulRestart() {
        return capability(BgpCapability.GracefulRestart.class);
    }

    /** The first capability of {@code type}. */
    public <T extends BgpCapability> Optional<T> capability(Class<T> type) {
        return capabilities.stream().filter(type::isInstance).map(type::cast).findFirst();
    }

    @Override
    public String toString() {
        return "OPEN[version=" + version + ", as=" + as() + ", holdTime=" + holdTime + ", bgpId="
            + Ipv4Address.format(bgpId) + ", capabilities=" + capabilities + "]";
    }

    static void checkRange(String what, int value, int min, int max) {
        if (value < min || value > max) {
            throw new IllegalArgumentException(what + " " + value + " is out of range (accepted: " + min + "-" + max + ")");
        }
    }

    /** AS numbers are 1-4294967295 (0 is reserved, RFC 7607). */
    static void checkAs(long as) {
        if (as < 1 || as > MAX_AS) {
            throw new IllegalArgumentException("AS " + as + " is out of range (accepted: 1-" + MAX_AS + ")");
        }
    }
}
