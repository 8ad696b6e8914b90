package io.muslin.control.bgp;

import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;

/**
 * One capability of an OPEN (RFC 5492 §4: code, length, value). The ones this speaker uses are
 * typed; the rest are kept as {@link Unknown} (a capability we do not know is ignored, RFC 5492 §5).
 */
public sealed interface BgpCapability {
    /** The capability code (IANA "Capability Codes"). */
    int code();

    /** Multiprotocol Extensions (RFC 4760 §8): AFI (2), reserved (1), SAFI (1). */
    record Multiprotocol(int afi, int safi) implements BgpCapability {
        public Multiprotocol {
            BgpOpen.checkRange("AFI", afi, 0, 0xFFFF);
            BgpOpen.checkRange("SAFI", safi, 0, 0xFF);
        }

        public static final Multiprotocol IPV4_UNICAST = new Multiprotocol(Bgp.AFI_IPV4, Bgp.SAFI_UNICAST);
        public static final Multiprotocol IPV6_UNICAST = new Multiprotocol(Bgp.AFI_IPV6, Bgp.SAFI_UNICAST);

        @Override
        public int code() {
            return Bgp.CAP_MULTIPROTOCOL;
        }
    }

    /** Route Refresh (RFC 2918 §2): no value. */
    enum RouteRefresh implements BgpCapability {
        INSTANCE;

        @Override
        public int code() {
            return Bgp.CAP_ROUTE_REFRESH;
        }
    }

    /** Support for 4-octet AS numbers (RFC 6793 §3): the speaker's AS, 4 octets. */
    record FourOctetAs(long as) implements BgpCapability {
        public FourOctetAs {
            BgpOpen.checkAs(as);
        }

        @Override
        public int code() {
            return Bgp.CAP_FOUR_OCTET_AS;
        }
    }

    /**
     * Graceful Restart (RFC 4724 §3).
     * <pre>
     *  +--------+--------+--------+--------+--------+--------+--------+--------+
     *  |R|N|res | Restart Time (12 bits)   | AFI (2)         | SAFI   | Flags  | ... per family
     *  +--------+--------+--------+--------+--------+--------+--------+--------+
     * </pre>
     *
     * @param flags       the 4 flag bits ({@link Bgp#GR_RESTART_STATE}, {@link Bgp#GR_NOTIFICATION})
     * @param restartTime seconds, 0-4095: how long the peer should keep our routes while we restart
     * @param families    the families whose routes the sender keeps across its restart (none: it
     *                    only supports the procedures of a receiving speaker)
     */
    record GracefulRestart(int flags, int restartTime, List<GracefulRestart.Family> families) implements BgpCapability {
        public GracefulRestart {
            BgpOpen.checkRange("graceful restart flags", flags, 0, 0xF);
            BgpOpen.checkRange("graceful restart time", restartTime, 0, Bgp.GR_MAX_RESTART_TIME);
            families = List.copyOf(families);
        }

        /**
         * @param afi   the address family
         * @param safi  the subsequent address family
         * @param flags {@link Bgp#GR_FORWARDING_PRESERVED} or 0
         */
        public record Family(int afi, int safi, int flags) {
            public Family {
                BgpOpen.checkRange("AFI", afi, 0, 0xFFFF);
                BgpOpen.checkRange("SAFI", safi, 0, 0xFF);
                BgpOpen.checkRange("address family flags", flags, 0, 0xFF);
            }
        }

        @Override
        public int code() {
            return Bgp.CAP_GRACEFUL_RESTART;
        }

        /** True when the sender keeps the routes of (afi, safi) across its restart. */
        public boolean covers(int afi, int safi) {
            return families.stream().anyMatch(f -> f.afi == afi && f.safi == safi);
        }
    }

    /** A capability this speaker does not interpret. */
    record Unknown(int code, byte[] value) implements BgpCapability {
        public Unknown {
            BgpOpen.checkRange("capability code", code, 0, 0xFF);
            BgpOpen.checkRange("capability length", value.length, 0, 0xFF);
            value = value.clone();
        }

        @Override
        public byte[] value() {
            return value.clone();
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Unknown u && u.code == code && Arrays.equals(u.value, value);
        }

        @Override
        public int hashCode() {
            return code * 31 + Arrays.hashCode(value);
        }

        @Override
        public String toString() {
            return "Unknown[code=" + code + ", value=" + HexFormat.of().formatHex(value) + "]";
        }
    }
}
