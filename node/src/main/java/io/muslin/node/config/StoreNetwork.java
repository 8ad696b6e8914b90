package io.muslin.node.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.IntNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.muslin.control.json.JsonFieldException;
import io.muslin.control.json.JsonFields;
import io.muslin.control.lease.LeaseJson;
import io.muslin.control.lease.NetworkConfig;
import io.muslin.dataplane.packet.Ipv4Address;
import io.muslin.dataplane.packet.Ipv4Prefix;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;

/**
 * The network fields a node's file may leave to its store, as flanneld takes them from etcd's
 * {@code <prefix>/config} (the hub serves its {@code NetworkConfig} the same way):
 * {@code Network}, {@code SubnetLen}, {@code SubnetMin}, {@code SubnetMax} and the
 * {@code Backend} fields muslin reads. {@link #merge} fills the ones the file leaves out from the
 * store's net-conf.json; a field both give must say the same, else the error names both values.
 *
 * <p>The store's net-conf.json is flannel's, shared with flannel nodes: fields muslin does not
 * read there (EnableIPv6, Backend.GBP, ...) are left alone, not refused. When it has a
 * {@code Network} and no {@code SubnetLen}, its SubnetLen is flannel's default
 * ({@link NetworkConfig#defaultSubnetLen}).
 */
final class StoreNetwork {
    static final List<String> TOP = List.of(ConfigLoader.NETWORK, ConfigLoader.SUBNET_LEN, ConfigLoader.SUBNET_MIN,
        ConfigLoader.SUBNET_MAX);
    static final List<String> BACKEND = List.of(ConfigLoader.TYPE, NodeConfig.Backend.VNI.name(),
        NodeConfig.Backend.PORT.name(), NodeConfig.Backend.MTU.name(), NodeConfig.Backend.DIRECT_ROUTING,
        NodeConfig.Backend.MSS_CLAMP);

    /** How each field's values compare: parsed where the text may differ for the same value. */
    private static final Map<String, Function<JsonNode, Object>> SAME_AS = Map.of(
        ConfigLoader.NETWORK, v -> Ipv4Prefix.parse(v.asText()),
        ConfigLoader.SUBNET_MIN, v -> Ipv4Address.parse(v.asText()),
        ConfigLoader.SUBNET_MAX, v -> Ipv4Address.parse(v.asText()));

    private StoreNetwork() {
    }

    /**
     * The node's file with the network fields it leaves out taken from {@code storeNetConf}.
     * The paths of the fields taken are added to {@code fromStore} (so that an error in one of
     * them can say where it came from).
     *
     * @param where the store, for messages: {@code etcd at http://192.168.50.1:2379}
     * @throws JsonFieldException naming the field and both values when the file and the store
     *                            disagree, or when the store's net-conf.json is not an object
     */
    static JsonNode merge(JsonNode file, Optional<String> storeNetConf, String where, Set<String> fromStore) {
        if (storeNetConf.isEmpty() || !file.isObject()) {
            return file;
        }
        JsonNode store;
        try {
            store = LeaseJson.readTree(storeNetConf.get());
        } catch (IllegalArgumentException e) {
            throw new JsonFieldException("", where + "'s network configuration is not JSON: " + e.getMessage());
        }
        if (!store.isObject()) {
            throw new JsonFieldException("", where + "'s network configuration is not a JSON object (expected: "
                + "flannel's net-conf.json)");
        }
        ObjectNode merged = ((ObjectNode) file).deepCopy();
        ObjectNode storeCopy = ((ObjectNode) store).deepCopy();
        JsonNode storeNetwork = present(storeCopy.get(ConfigLoader.NETWORK));
        if (storeNetwork != null && present(storeCopy.get(ConfigLoader.SUBNET_LEN)) == null && storeNetwork.isTextual()) {
            try {
                storeCopy.set(ConfigLoader.SUBNET_LEN,
                    IntNode.valueOf(NetworkConfig.defaultSubnetLen(Ipv4Prefix.parse(storeNetwork.asText()))));
            } catch (IllegalArgumentException e) {
                // the Network itself is reported when it is used or compared
            }
        }
        for (String field : TOP) {
            take(merged, storeCopy, field, field, where, fromStore);
        }
        JsonNode storeBackend = present(storeCopy.get(ConfigLoader.BACKEND));
        if (storeBackend != null && storeBackend.isObject()) {
            JsonNode fileBackend = present(merged.get(ConfigLoader.BACKEND));
            if (fileBackend == null) {
                fileBackend = merged.putObject(ConfigLoader.BACKEND);
            }
            if (fileBackend.isObject()) {
                for (String field : BACKEND) {
                    take((ObjectNode) fileBackend, (ObjectNode) storeBackend, field, ConfigLoader.BACKEND + "." + field,
                        where, fromStore);
                }
            }
        }
        return merged;
    }

    /** Takes {@code field} from the store's object into the file's when the file has none; else both must agree. */
    private static void take(ObjectNode file, ObjectNode store, String field, String path, String where,
                             Set<String> fromStore) {
        JsonNode theirs = present(store.get(field));
        if (theirs == null) {
            return;
        }
        JsonNode ours = present(file.get(field));
        if (ours == null) {
            file.set(field, theirs);
            fromStore.add(path);
            return;
        }
        if (!same(field, ours, theirs)) {
            throw new JsonFieldException(path, JsonFields.describe(ours) + " in this node's file differs from "
                + JsonFields.describe(theirs) + " in the network configuration of " + where
                + " (accepted: the same value, or leave " + path + " out of the file)");
        }
    }

    private static boolean same(String field, JsonNode a, JsonNode b) {
        Function<JsonNode, Object> parsed = SAME_AS.get(field);
        if (parsed != null && a.isTextual() && b.isTextual()) {
            try {
                return parsed.apply(a).equals(parsed.apply(b));
            } catch (IllegalArgumentException e) {
                return a.equals(b);
            }
        }
        if (a.isNumber() && b.isNumber()) {
            return a.isIntegralNumber() && b.isIntegralNumber() ? a.bigIntegerValue().equals(b.bigIntegerValue())
                : a.decimalValue().compareTo(b.decimalValue()) == 0;
        }
        return a.equals(b);
    }

    /** The value, or null when absent or JSON null (which counts as absent, as in {@link JsonFields}). */
    private static JsonNode present(JsonNode v) {
        return v == null || v.isNull() || v.isMissingNode() ? null : v;
    }
}
