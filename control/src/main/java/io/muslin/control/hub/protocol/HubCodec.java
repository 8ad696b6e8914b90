package io.muslin.control.hub.protocol;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.muslin.control.hub.protocol.HubMessage.Acquire;
import io.muslin.control.hub.protocol.HubMessage.Delete;
import io.muslin.control.hub.protocol.HubMessage.Error;
import io.muslin.control.hub.protocol.HubMessage.GetConfig;
import io.muslin.control.hub.protocol.HubMessage.Hello;
import io.muslin.control.hub.protocol.HubMessage.Leases;
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
import io.muslin.control.json.JsonFieldException;
import io.muslin.control.json.JsonFields;
import io.muslin.control.lease.Lease;
import io.muslin.control.lease.LeaseJson;
import io.muslin.dataplane.packet.Ipv4Address;
import io.muslin.dataplane.packet.Ipv4Prefix;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufInputStream;
import io.netty.buffer.ByteBufOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Hub messages to and from their JSON form. Field names follow flannel's capitalised style;
 * leases are flannel's lease JSON with {@code "Subnet"} inline ({@link LeaseJson}).
 *
 * <pre>
 *   {"Type":"Hello","Version":1,"Node":"node1"}
 *   {"Type":"Acquire","Id":7,"TTL":86400,"Lease":{"Subnet":"10.244.1.0/24","PublicIP":"192.168.50.1",...}}
 *   {"Type":"Reply","Id":7,"Status":"ok"}
 *   {"Type":"Put","Revision":42,"Lease":{...}}
 * </pre>
 *
 * Reading is strict: unknown fields, missing fields, duplicate keys and values out of range are
 * a {@link HubProtocolException} naming the message type and the field.
 */
public final class HubCodec {
    static final String TYPE = "Type";
    private static final String VERSION = "Version";
    private static final String NODE = "Node";
    private static final String ID = "Id";
    private static final String LEASE = "Lease";
    private static final String LEASES = "Leases";
    private static final String TTL = "TTL";
    private static final String SUBNET = "Subnet";
    private static final String PUBLIC_IP = "PublicIP";
    private static final String FROM = "From";
    private static final String REVISION = "Revision";
    private static final String STATUS = "Status";
    private static final String MESSAGE = "Message";
    private static final String CONFIG = "Config";
    private static final String HEARTBEAT = "Heartbeat";
    private static final String CHUNKS = "Chunks";
    /** The most chunks a Reply or Resync may announce (2^24 of up to 64 leases: more than any IPv4 network has subnets). */
    public static final int MAX_CHUNKS = 1 << 24;

    private HubCodec() {
    }

    /** Writes {@code message}'s JSON to {@code out} (borrowed; the caller owns it). */
    public static void write(HubMessage message, ByteBuf out) {
        try (ByteBufOutputStream stream = new ByteBufOutputStream(out)) {
            LeaseJson.MAPPER.writeValue((java.io.OutputStream) stream, toTree(message));
        } catch (IOException e) {
            throw new IllegalStateException("writing into a ByteBuf cannot fail", e);
        }
    }

    /** The JSON text of {@code message}, for logs and tests. */
    public static String toJson(HubMessage message) {
        try {
            return LeaseJson.MAPPER.writeValueAsString(toTree(message));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a tree of strings and numbers always writes", e);
        }
    }

    /**
     * Reads one message from the readable bytes of {@code in} (borrowed; its reader index is
     * moved to the end).
     *
     * @throws HubProtocolException when the bytes are not one well-formed message
     */
    public static HubMessage read(ByteBuf in) {
        JsonNode tree;
        try (ByteBufInputStream stream = new ByteBufInputStream(in)) {
            tree = LeaseJson.MAPPER.readTree((java.io.InputStream) stream);
        } catch (JsonProcessingException e) {
            String where = e.getLocation() == null ? "" : " at column " + e.getLocation().getColumnNr();
            String detail = e.getOriginalMessage();
            int source = detail.indexOf(" (start marker at");
            throw new HubProtocolException("malformed JSON" + where + ": " + (source < 0 ? detail : detail.substring(0, source)));
        } catch (IOException e) {
            throw new HubProtocolException("malformed JSON: " + e.getMessage());
        }
        in.skipBytes(in.readableBytes());
        return fromTree(tree);
    }

    /** Reads one message from its JSON text. */
    public static HubMessage fromJson(String json) {
        try {
            return fromTree(LeaseJson.MAPPER.readTree(json));
        } catch (JsonProcessingException e) {
            throw new HubProtocolException("malformed JSON: " + e.getOriginalMessage());
        }
    }

    static HubMessage fromTree(JsonNode tree) {
        if (tree == null || !tree.isObject()) {
            throw new HubProtocolException("not a JSON object (expected: {\"Type\": ...})");
        }
        JsonNode typeNode = tree.get(TYPE);
        if (typeNode == null || !typeNode.isTextual()) {
            throw new HubProtocolException("Type: missing or not a string (expected: one of " + TYPES + ")");
        }
        String type = typeNode.asText();
        try {
            return switch (type) {
                case "Hello" -> {
                    JsonFields f = fields(tree, type, VERSION, NODE);
                    yield new Hello(f.requiredInt(VERSION, 1, 65535), f.optionalString(NODE, "", "a node name"));
                }
                case "Acquire" -> {
                    JsonFields f = fields(tree, type, ID, LEASE, TTL);
                    yield new Acquire(id(f), LeaseJson.fromTree(f.raw(LEASE), f.pathOf(LEASE)),
                        f.requiredInt(TTL, 1, Integer.MAX_VALUE));
                }
                case "Renew" -> {
                    JsonFields f = fields(tree, type, ID, LEASE);
                    yield new Renew(id(f), LeaseJson.fromTree(f.raw(LEASE), f.pathOf(LEASE)));
                }
                case "Release" -> {
                    JsonFields f = fields(tree, type, ID, SUBNET, PUBLIC_IP);
                    yield new Release(id(f), f.required(SUBNET, "an IPv4 prefix such as 10.244.2.0/24", Ipv4Prefix::parse),
                        f.required(PUBLIC_IP, "an IPv4 address such as 192.168.1.11", Ipv4Address::parse));
                }
                case "List" -> new ListLeases(id(fields(tree, type, ID)));
                case "Config" -> new GetConfig(id(fields(tree, type, ID)));
                case "Watch" -> new Watch(fields(tree, type, FROM).requiredLong(FROM, 0, Long.MAX_VALUE));
                case "Welcome" -> {
                    JsonFields f = fields(tree, type, VERSION, NODE, REVISION, HEARTBEAT);
                    yield new Welcome(f.requiredInt(VERSION, 1, 65535), f.optionalString(NODE, "", "a node name"),
                        f.requiredLong(REVISION, 0, Long.MAX_VALUE),
                        f.requiredLong(HEARTBEAT, Welcome.MIN_HEARTBEAT_MS, Welcome.MAX_HEARTBEAT_MS));
                }
                case "Reply" -> {
                    JsonFields f = fields(tree, type, ID, STATUS, MESSAGE, REVISION, LEASES, CONFIG, CHUNKS);
                    Status status = f.required(STATUS, "ok, held, lost, denied, invalid or unavailable", Status::ofWire);
                    long revision = f.has(REVISION) ? f.requiredLong(REVISION, 0, Long.MAX_VALUE) : 0;
                    yield new Reply(id(f), status, f.optionalString(MESSAGE, "", "a string"), revision,
                        leases(f, LEASES), Optional.ofNullable(f.optionalString(CONFIG, null, "a string")),
                        f.optionalInt(CHUNKS, 0, 0, MAX_CHUNKS));
                }
                case "Put" -> {
                    JsonFields f = fields(tree, type, REVISION, LEASE);
                    yield new Put(f.requiredLong(REVISION, 1, Long.MAX_VALUE), LeaseJson.fromTree(f.raw(LEASE), f.pathOf(LEASE)));
                }
                case "Delete" -> {
                    JsonFields f = fields(tree, type, REVISION, SUBNET);
                    yield new Delete(f.requiredLong(REVISION, 1, Long.MAX_VALUE),
                        f.required(SUBNET, "an IPv4 prefix such as 10.244.2.0/24", Ipv4Prefix::parse));
                }
                case "Resync" -> {
                    JsonFields f = fields(tree, type, REVISION, LEASES, CHUNKS);
                    yield new Resync(f.requiredLong(REVISION, 0, Long.MAX_VALUE), leases(f, LEASES),
                        f.optionalInt(CHUNKS, 0, 0, MAX_CHUNKS));
                }
                case "Leases" -> new Leases(leases(fields(tree, type, LEASES), LEASES));
                case "Ping" -> {
                    fields(tree, type);
                    yield Ping.INSTANCE;
                }
                case "Error" -> new Error(fields(tree, type, MESSAGE).requiredString(MESSAGE, "a string"));
                default -> throw new HubProtocolException("Type: unknown message \"" + type + "\" (expected: one of "
                    + TYPES + ")");
            };
        } catch (JsonFieldException e) {
            throw new HubProtocolException(type + "." + e.getMessage());
        } catch (IllegalArgumentException e) {
            throw new HubProtocolException(type + ": " + e.getMessage());
        }
    }

    private static final String TYPES = "Hello, Acquire, Renew, Release, List, Config, Watch, Welcome, Reply, Put, "
        + "Delete, Resync, Leases, Ping, Error";

    private static JsonFields fields(JsonNode tree, String type, String... accepted) {
        String[] all = new String[accepted.length + 1];
        all[0] = TYPE;
        System.arraycopy(accepted, 0, all, 1, accepted.length);
        return JsonFields.of(tree, "", all);
    }

    private static long id(JsonFields f) {
        return f.requiredLong(ID, 0, Long.MAX_VALUE);
    }

    private static List<Lease> leases(JsonFields f, String field) {
        List<JsonNode> items = f.optionalArray(field);
        List<Lease> out = new ArrayList<>(items.size());
        for (int i = 0; i < items.size(); i++) {
            out.add(LeaseJson.fromTree(items.get(i), f.pathOf(field, i)));
        }
        return out;
    }

    static ObjectNode toTree(HubMessage message) {
        ObjectNode o = LeaseJson.MAPPER.createObjectNode();
        o.put(TYPE, message.type());
        switch (message) {
            case Hello m -> o.put(VERSION, m.version()).put(NODE, m.node());
            case Acquire m -> {
                o.put(ID, m.id()).put(TTL, m.ttlSeconds());
                o.set(LEASE, LeaseJson.toTree(m.lease(), true));
            }
            case Renew m -> {
                o.put(ID, m.id());
                o.set(LEASE, LeaseJson.toTree(m.lease(), true));
            }
            case Release m -> o.put(ID, m.id()).put(SUBNET, m.subnet().toString())
                .put(PUBLIC_IP, Ipv4Address.format(m.publicIp()));
            case ListLeases m -> o.put(ID, m.id());
            case GetConfig m -> o.put(ID, m.id());
            case Watch m -> o.put(FROM, m.from());
            case Welcome m -> o.put(VERSION, m.version()).put(NODE, m.node()).put(REVISION, m.revision())
                .put(HEARTBEAT, m.heartbeatMillis());
            case Reply m -> {
                o.put(ID, m.id()).put(STATUS, m.status().wire());
                if (!m.message().isEmpty()) {
                    o.put(MESSAGE, m.message());
                }
                if (m.revision() != 0) {
                    o.put(REVISION, m.revision());
                }
                if (!m.leases().isEmpty()) {
                    putLeases(o, m.leases());
                }
                m.config().ifPresent(c -> o.put(CONFIG, c));
                if (m.chunks() != 0) {
                    o.put(CHUNKS, m.chunks());
                }
            }
            case Put m -> {
                o.put(REVISION, m.revision());
                o.set(LEASE, LeaseJson.toTree(m.lease(), true));
            }
            case Delete m -> o.put(REVISION, m.revision()).put(SUBNET, m.subnet().toString());
            case Resync m -> {
                o.put(REVISION, m.revision());
                putLeases(o, m.leases());
                if (m.chunks() != 0) {
                    o.put(CHUNKS, m.chunks());
                }
            }
            case Leases m -> putLeases(o, m.leases());
            case Ping m -> {
            }
            case Error m -> o.put(MESSAGE, m.message());
        }
        return o;
    }

    private static void putLeases(ObjectNode o, List<Lease> leases) {
        ArrayNode array = o.putArray(LEASES);
        leases.forEach(l -> array.add(LeaseJson.toTree(l, true)));
    }
}
