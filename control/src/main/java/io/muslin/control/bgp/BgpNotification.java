package io.muslin.control.bgp;

import java.util.Arrays;
import java.util.HexFormat;

/**
 * NOTIFICATION (RFC 4271 §4.5): the error that closes a session.
 * <pre>
 *  0                   1                   2                   3
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  | Error code    | Error subcode |   Data (variable)             |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * </pre>
 *
 * @param code    the error code, 1-255 ({@link Bgp#ERR_HEADER} ...)
 * @param subcode the error subcode, 0-255 (0: unspecific)
 * @param data    what the RFC says goes with the error (a copy is kept)
 */
public record BgpNotification(int code, int subcode, byte[] data) implements BgpMessage {
    public BgpNotification {
        BgpOpen.checkRange("error code", code, 0, 0xFF);
        BgpOpen.checkRange("error subcode", subcode, 0, 0xFF);
        data = data == null ? new byte[0] : data.clone();
    }

    public BgpNotification(int code, int subcode) {
        this(code, subcode, new byte[0]);
    }

    @Override
    public int type() {
        return Bgp.NOTIFICATION;
    }

    @Override
    public byte[] data() {
        return data.clone();
    }

    /** {@code 3/2}: the code and subcode as logs and tests write them. */
    public String codes() {
        return code + "/" + subcode;
    }

    /** {@code "UPDATE Message Error / Unrecognized Well-known Attribute (3/2)"}. */
    public String describe() {
        return codeName(code) + " / " + subcodeName(code, subcode) + " (" + codes() + ")";
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof BgpNotification n && n.code == code && n.subcode == subcode && Arrays.equals(n.data, data);
    }

    @Override
    public int hashCode() {
        return (code * 256 + subcode) * 31 + Arrays.hashCode(data);
    }

    @Override
    public String toString() {
        return "NOTIFICATION " + describe() + (data.length == 0 ? "" : " data " + HexFormat.of().formatHex(data));
    }

    static String codeName(int code) {
        return switch (code) {
            case Bgp.ERR_HEADER -> "Message Header Error";
            case Bgp.ERR_OPEN -> "OPEN Message Error";
            case Bgp.ERR_UPDATE -> "UPDATE Message Error";
            case Bgp.ERR_HOLD_TIMER_EXPIRED -> "Hold Timer Expired";
            case Bgp.ERR_FSM -> "Finite State Machine Error";
            case Bgp.ERR_CEASE -> "Cease";
            case Bgp.ERR_ROUTE_REFRESH -> "ROUTE-REFRESH Message Error";
            default -> "error " + code;
        };
    }

    static String subcodeName(int code, int subcode) {
        if (subcode == 0) {
            return "Unspecific";
        }
        String name = switch (code) {
            case Bgp.ERR_HEADER -> switch (subcode) {
                case Bgp.ERR_HEADER_NOT_SYNCHRONIZED -> "Connection Not Synchronized";
                case Bgp.ERR_HEADER_BAD_LENGTH -> "Bad Message Length";
                case Bgp.ERR_HEADER_BAD_TYPE -> "Bad Message Type";
                default -> null;
            };
            case Bgp.ERR_OPEN -> switch (subcode) {
                case Bgp.ERR_OPEN_UNSUPPORTED_VERSION -> "Unsupported Version Number";
                case Bgp.ERR_OPEN_BAD_PEER_AS -> "Bad Peer AS";
                case Bgp.ERR_OPEN_BAD_BGP_ID -> "Bad BGP Identifier";
                case Bgp.ERR_OPEN_UNSUPPORTED_PARAMETER -> "Unsupported Optional Parameter";
                case Bgp.ERR_OPEN_UNACCEPTABLE_HOLD_TIME -> "Unacceptable Hold Time";
                case Bgp.ERR_OPEN_UNSUPPORTED_CAPABILITY -> "Unsupported Capability";
                default -> null;
            };
            case Bgp.ERR_UPDATE -> switch (subcode) {
                case Bgp.ERR_UPDATE_MALFORMED_ATTRIBUTE_LIST -> "Malformed Attribute List";
                case Bgp.ERR_UPDATE_UNRECOGNIZED_WELL_KNOWN -> "Unrecognized Well-known Attribute";
                case Bgp.ERR_UPDATE_MISSING_WELL_KNOWN -> "Missing Well-known Attribute";
                case Bgp.ERR_UPDATE_ATTRIBUTE_FLAGS -> "Attribute Flags Error";
                case Bgp.ERR_UPDATE_ATTRIBUTE_LENGTH -> "Attribute Length Error";
                case Bgp.ERR_UPDATE_INVALID_ORIGIN -> "Invalid ORIGIN Attribute";
                case Bgp.ERR_UPDATE_INVALID_NEXT_HOP -> "Invalid NEXT_HOP Attribute";
                case Bgp.ERR_UPDATE_OPTIONAL_ATTRIBUTE -> "Optional Attribute Error";
                case Bgp.ERR_UPDATE_INVALID_NETWORK -> "Invalid Network Field";
                case Bgp.ERR_UPDATE_MALFORMED_AS_PATH -> "Malformed AS_PATH";
                default -> null;
            };
            case Bgp.ERR_FSM -> switch (subcode) {
                case Bgp.ERR_FSM_UNEXPECTED_IN_OPEN_SENT -> "Receive Unexpected Message in OpenSent State";
                case Bgp.ERR_FSM_UNEXPECTED_IN_OPEN_CONFIRM -> "Receive Unexpected Message in OpenConfirm State";
                case Bgp.ERR_FSM_UNEXPECTED_IN_ESTABLISHED -> "Receive Unexpected Message in Established State";
                default -> null;
            };
            case Bgp.ERR_CEASE -> switch (subcode) {
                case 1 -> "Maximum Number of Prefixes Reached";
                case Bgp.CEASE_ADMINISTRATIVE_SHUTDOWN -> "Administrative Shutdown";
                case Bgp.CEASE_PEER_DECONFIGURED -> "Peer De-configured";
                case 4 -> "Administrative Reset";
                case Bgp.CEASE_CONNECTION_REJECTED -> "Connection Rejected";
                case 6 -> "Other Configuration Change";
                case Bgp.CEASE_COLLISION_RESOLUTION -> "Connection Collision Resolution";
                case 8 -> "Out of Resources";
                case Bgp.CEASE_HARD_RESET -> "Hard Reset";
                default -> null;
            };
            case Bgp.ERR_ROUTE_REFRESH -> subcode == Bgp.ERR_ROUTE_REFRESH_INVALID_LENGTH ? "Invalid Message Length" : null;
            default -> null;
        };
        return name != null ? name : "subcode " + subcode;
    }
}
