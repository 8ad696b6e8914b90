package io.muslin.control.bgp.speaker;

import com.fasterxml.jackson.databind.JsonNode;
import io.muslin.control.bgp.Bgp;
import io.muslin.control.json.JsonFieldException;
import io.muslin.control.json.JsonFields;
import io.muslin.dataplane.packet.Ipv4Address;
import io.muslin.dataplane.packet.Ipv4Prefix;
import java.util.ArrayList;
import java.util.List;

/**
 * A node's {@code "Control": {"Type": "bgp", ...}} section, declared once here (defaults and
 * ranges) and read by the node's configuration loader:
 * <pre>
 * "Control": {"Type": "bgp", "AS": 64512, "HoldTime": 90, "Port": 179,
 *             "Peers": [{"Address": "192.168.50.250", "AS": 64512}, ...]}
 * </pre>
 *
 * @param as       our AS (default 64512, Calico's)
 * @param holdTime the hold time we offer, 0 or 3-65535 s (default 90)
 * @param port     the port we listen on and, unless a peer says its own, connect to (179)
 * @param peers    route reflectors, or every other node of a full mesh
 */
public record BgpControlConfig(long as, int holdTime, int port, List<BgpPeerConfig> peers) {
    public static final String AS = "AS";
    public static final String HOLD_TIME = "HoldTime";
    public static final String PORT = "Port";
    public static final String PEERS = "Peers";
    public static final String ADDRESS = "Address";
    /** The fields this section adds to {@code Control}. */
    public static final List<String> FIELDS = List.of(AS, HOLD_TIME, PORT, PEERS);
    public static final long MAX_AS = 0xFFFF_FFFFL;

    public BgpControlConfig {
        peers = List.copyOf(peers);
    }

    /** Reads the section from {@code c} (the Control object); errors name the field and what is accepted. */
    public static BgpControlConfig read(JsonFields c, Ipv4Prefix network) {
        long as = as(c, BgpSettings.DEFAULT_AS);
        String holdAccepted = "0 or " + Bgp.MIN_HOLD_TIME + "-65535";
        int holdTime = c.optionalInt(HOLD_TIME, BgpSettings.DEFAULT_HOLD_TIME, 0, 65535, holdAccepted);
        if (holdTime > 0 && holdTime < Bgp.MIN_HOLD_TIME) {
            throw c.error(HOLD_TIME, holdTime + " is out of range (accepted: " + holdAccepted + "; RFC 4271 refuses 1 and 2)");
        }
        int port = c.optionalInt(PORT, Bgp.PORT, 1, 65535);
        List<JsonNode> items = c.optionalArray(PEERS);
        if (items.isEmpty()) {
            throw c.error(PEERS, "missing (expected: the route reflectors, or every other node, such as "
                + "[{\"Address\": \"192.168.50.250\", \"AS\": 64512}])");
        }
        List<BgpPeerConfig> peers = new ArrayList<>();
        for (int i = 0; i < items.size(); i++) {
            String path = c.pathOf(PEERS, i);
            JsonFields p = JsonFields.of(items.get(i), path, ADDRESS, AS, PORT);
            int address = p.required(ADDRESS, "the peer's IPv4 address, such as \"192.168.50.250\"", Ipv4Address::parse);
            int first = address >>> 24;
            if (first == 0 || first >= 224 || first == 127) {
                throw p.error(ADDRESS, Ipv4Address.format(address) + " is not a unicast address of another host");
            }
            if (network.contains(address)) {
                throw p.error(ADDRESS, Ipv4Address.format(address) + " is inside Network " + network
                    + " (expected: the peer's underlay address)");
            }
            for (int j = 0; j < i; j++) {
                if (peers.get(j).address() == address) {
                    throw p.error(ADDRESS, Ipv4Address.format(address) + " is also " + c.pathOf(PEERS, j) + "."
                        + ADDRESS + " (expected: one entry per peer)");
                }
            }
            peers.add(new BgpPeerConfig(address, as(p, as), p.optionalInt(PORT, port, 1, 65535)));
        }
        return new BgpControlConfig(as, holdTime, port, peers);
    }

    private static long as(JsonFields f, long defaultValue) {
        return f.has(AS) ? f.requiredLong(AS, 1, MAX_AS) : defaultValue;
    }

    /** Throws unless no peer is this node itself ({@code Node.PublicIP}, which is also the router id). */
    public void checkNotSelf(int publicIp, String controlPath, String publicIpPath) {
        for (int i = 0; i < peers.size(); i++) {
            if (peers.get(i).address() == publicIp) {
                throw new JsonFieldException(controlPath + "." + PEERS + "[" + i + "]." + ADDRESS,
                    Ipv4Address.format(publicIp) + " is this node's " + publicIpPath + " (expected: another node or a route reflector)");
            }
        }
    }

    /** The speaker's settings for a node at {@code publicIp} (its router id) on {@code network}. */
    public BgpSettings settings(int publicIp, Ipv4Prefix network) {
        return BgpSettings.of(as, publicIp, holdTime, port, peers, network);
    }
}
