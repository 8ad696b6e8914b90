package io.muslin.control.bgp;

/**
 * BGP-4's wire constants, as the RFCs number them (spec constants only: what this
 * implementation chooses lives with the classes that choose it).
 *
 * <pre>
 *  RFC 4271 §4.1, the message header:
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                                                               |
 *  +                     Marker (16 octets, all ones)              +
 *  |                                                               |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |          Length (19-4096)     |      Type     |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * </pre>
 */
public final class Bgp {
    private Bgp() {
    }

    /** The protocol version this is (RFC 4271). */
    public static final int VERSION = 4;
    /** The well-known TCP port (RFC 4271 §8.2.1). */
    public static final int PORT = 179;

    // ---- RFC 4271 §4.1: header
    public static final int MARKER_LENGTH = 16;
    public static final int HEADER_LENGTH = 19;
    public static final int LENGTH_OFFSET = 16;
    public static final int TYPE_OFFSET = 18;
    /** Without the Extended Message capability (RFC 8654, not supported here). */
    public static final int MAX_MESSAGE_LENGTH = 4096;

    // ---- message types (RFC 4271 §4.1, RFC 2918 §3)
    public static final int OPEN = 1;
    public static final int UPDATE = 2;
    public static final int NOTIFICATION = 3;
    public static final int KEEPALIVE = 4;
    public static final int ROUTE_REFRESH = 5;

    // ---- smallest message of each type (RFC 4271 §4.2-4.5, RFC 2918 §3)
    public static final int MIN_OPEN_LENGTH = 29;
    public static final int MIN_UPDATE_LENGTH = 23;
    public static final int MIN_NOTIFICATION_LENGTH = 21;
    public static final int KEEPALIVE_LENGTH = 19;
    public static final int ROUTE_REFRESH_LENGTH = 23;

    // ---- OPEN (RFC 4271 §4.2; RFC 5492 capabilities; RFC 6793 AS_TRANS)
    /** The optional parameter that carries capabilities (RFC 5492 §4). */
    public static final int PARAM_CAPABILITIES = 2;
    /** The 2-octet stand-in for a 4-octet AS number (RFC 6793 §9). */
    public static final int AS_TRANS = 23456;
    /** Hold Time 1 and 2 must be refused; 0 means no keepalives (RFC 4271 §4.2). */
    public static final int MIN_HOLD_TIME = 3;

    // ---- capability codes (IANA "Capability Codes")
    public static final int CAP_MULTIPROTOCOL = 1;      // RFC 4760 §8
    public static final int CAP_ROUTE_REFRESH = 2;      // RFC 2918 §2
    public static final int CAP_GRACEFUL_RESTART = 64;  // RFC 4724 §3
    public static final int CAP_FOUR_OCTET_AS = 65;     // RFC 6793 §3

    /** Graceful restart flags (RFC 4724 §3; N is RFC 8538 §2). */
    public static final int GR_RESTART_STATE = 0x8;
    public static final int GR_NOTIFICATION = 0x4;
    public static final int GR_MAX_RESTART_TIME = 0xFFF;
    /** Per address family: forwarding state preserved (RFC 4724 §3). */
    public static final int GR_FORWARDING_PRESERVED = 0x80;

    // ---- address families (IANA AFI, SAFI)
    public static final int AFI_IPV4 = 1;
    public static final int AFI_IPV6 = 2;
    public static final int SAFI_UNICAST = 1;

    // ---- path attributes (RFC 4271 §4.3, §5)
    public static final int FLAG_OPTIONAL = 0x80;
    public static final int FLAG_TRANSITIVE = 0x40;
    public static final int FLAG_PARTIAL = 0x20;
    public static final int FLAG_EXTENDED_LENGTH = 0x10;

    public static final int ATTR_ORIGIN = 1;
    public static final int ATTR_AS_PATH = 2;
    public static final int ATTR_NEXT_HOP = 3;
    public static final int ATTR_MULTI_EXIT_DISC = 4;
    public static final int ATTR_LOCAL_PREF = 5;
    public static final int ATTR_ATOMIC_AGGREGATE = 6;
    public static final int ATTR_AGGREGATOR = 7;
    public static final int ATTR_COMMUNITIES = 8;           // RFC 1997
    public static final int ATTR_ORIGINATOR_ID = 9;         // RFC 4456
    public static final int ATTR_CLUSTER_LIST = 10;         // RFC 4456
    public static final int ATTR_MP_REACH_NLRI = 14;        // RFC 4760 §3
    public static final int ATTR_MP_UNREACH_NLRI = 15;      // RFC 4760 §4
    public static final int ATTR_EXTENDED_COMMUNITIES = 16; // RFC 4360
    public static final int ATTR_AS4_PATH = 17;             // RFC 6793
    public static final int ATTR_AS4_AGGREGATOR = 18;       // RFC 6793
    public static final int ATTR_LARGE_COMMUNITIES = 32;    // RFC 8092

    public static final int ORIGIN_IGP = 0;
    public static final int ORIGIN_EGP = 1;
    public static final int ORIGIN_INCOMPLETE = 2;

    public static final int AS_SET = 1;
    public static final int AS_SEQUENCE = 2;
    public static final int AS_CONFED_SEQUENCE = 3; // RFC 5065
    public static final int AS_CONFED_SET = 4;      // RFC 5065

    // ---- NOTIFICATION error codes and subcodes (RFC 4271 §4.5, §6; RFC 4486; RFC 6608; RFC 7313; RFC 8538)
    public static final int ERR_HEADER = 1;
    public static final int ERR_HEADER_NOT_SYNCHRONIZED = 1;
    public static final int ERR_HEADER_BAD_LENGTH = 2;
    public static final int ERR_HEADER_BAD_TYPE = 3;

    public static final int ERR_OPEN = 2;
    public static final int ERR_OPEN_UNSUPPORTED_VERSION = 1;
    public static final int ERR_OPEN_BAD_PEER_AS = 2;
    public static final int ERR_OPEN_BAD_BGP_ID = 3;
    public static final int ERR_OPEN_UNSUPPORTED_PARAMETER = 4;
    public static final int ERR_OPEN_UNACCEPTABLE_HOLD_TIME = 6;
    public static final int ERR_OPEN_UNSUPPORTED_CAPABILITY = 7;

    public static final int ERR_UPDATE = 3;
    public static final int ERR_UPDATE_MALFORMED_ATTRIBUTE_LIST = 1;
    public static final int ERR_UPDATE_UNRECOGNIZED_WELL_KNOWN = 2;
    public static final int ERR_UPDATE_MISSING_WELL_KNOWN = 3;
    public static final int ERR_UPDATE_ATTRIBUTE_FLAGS = 4;
    public static final int ERR_UPDATE_ATTRIBUTE_LENGTH = 5;
    public static final int ERR_UPDATE_INVALID_ORIGIN = 6;
    public static final int ERR_UPDATE_INVALID_NEXT_HOP = 8;
    public static final int ERR_UPDATE_OPTIONAL_ATTRIBUTE = 9;
    public static final int ERR_UPDATE_INVALID_NETWORK = 10;
    public static final int ERR_UPDATE_MALFORMED_AS_PATH = 11;

    public static final int ERR_HOLD_TIMER_EXPIRED = 4;

    public static final int ERR_FSM = 5;
    public static final int ERR_FSM_UNEXPECTED_IN_OPEN_SENT = 1;
    public static final int ERR_FSM_UNEXPECTED_IN_OPEN_CONFIRM = 2;
    public static final int ERR_FSM_UNEXPECTED_IN_ESTABLISHED = 3;

    public static final int ERR_CEASE = 6;
    public static final int CEASE_ADMINISTRATIVE_SHUTDOWN = 2;
    public static final int CEASE_PEER_DECONFIGURED = 3;
    public static final int CEASE_CONNECTION_REJECTED = 5;
    public static final int CEASE_COLLISION_RESOLUTION = 7;
    public static final int CEASE_HARD_RESET = 9;

    public static final int ERR_ROUTE_REFRESH = 7;
    public static final int ERR_ROUTE_REFRESH_INVALID_LENGTH = 1;

    // ---- extended communities (RFC 4360 §2; RFC 9135 §8.1)
    /** EVPN type (RFC 7432 §7.5), sub-type Router's MAC (RFC 9135 §8.1): the 6 octets are a MAC. */
    public static final int EXT_TYPE_EVPN = 0x06;
    public static final int EXT_SUBTYPE_ROUTERS_MAC = 0x03;

    /** The name of a message type, for logs. */
    public static String typeName(int type) {
        return switch (type) {
            case OPEN -> "OPEN";
            case UPDATE -> "UPDATE";
            case NOTIFICATION -> "NOTIFICATION";
            case KEEPALIVE -> "KEEPALIVE";
            case ROUTE_REFRESH -> "ROUTE-REFRESH";
            default -> "type " + type;
        };
    }
}
