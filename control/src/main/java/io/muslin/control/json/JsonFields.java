package io.muslin.control.json;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.function.Function;

/**
 * One JSON object, read field by field. Every failure is a {@link JsonFieldException} whose
 * message names the field's path and what is accepted:
 * <pre>
 *   Backend.VNI: 16777216 is out of range (accepted: 0-16777215)
 *   Backend.Vni: unknown field (did you mean "VNI"? accepted: Type, VNI, Port, MTU)
 *   Peers[1].BackendData.VtepMAC: not a MAC address: "zz" (expected: aa:bb:cc:dd:ee:ff)
 * </pre>
 * The accepted field names are declared when the object is opened, so a misspelt field is
 * reported before anything else. A JSON {@code null} counts as absent.
 */
public final class JsonFields {
    private final ObjectNode node;
    private final String path;

    private JsonFields(ObjectNode node, String path) {
        this.node = node;
        this.path = path;
    }

    /**
     * Opens {@code node} (which must be a JSON object) at {@code path} ("" for the document)
     * and rejects every field not in {@code accepted}.
     */
    public static JsonFields of(JsonNode node, String path, String... accepted) {
        if (node == null || node.isMissingNode() || node.isNull()) {
            throw new JsonFieldException(path, "missing (expected: a JSON object)");
        }
        if (!node.isObject()) {
            throw new JsonFieldException(path, "not a JSON object: " + describe(node));
        }
        JsonFields fields = new JsonFields((ObjectNode) node, path);
        fields.rejectUnknown(accepted);
        return fields;
    }

    /** The path of this object ("" for the document). */
    public String path() {
        return path;
    }

    /** The path of one of its fields: {@code Backend.VNI}, or {@code Network} at the top. */
    public String pathOf(String field) {
        return path.isEmpty() ? field : path + "." + field;
    }

    /** True when the field is present and not null. */
    public boolean has(String field) {
        JsonNode v = node.get(field);
        return v != null && !v.isNull();
    }

    /** A failure of one of this object's fields. */
    public JsonFieldException error(String field, String detail) {
        return new JsonFieldException(pathOf(field), detail);
    }

    /** A string field that must be present; {@code expected} describes it for the "missing" message. */
    public String requiredString(String field, String expected) {
        if (!has(field)) {
            throw error(field, "missing (expected: " + expected + ")");
        }
        return string(field, expected);
    }

    public String optionalString(String field, String defaultValue, String expected) {
        return has(field) ? string(field, expected) : defaultValue;
    }

    /**
     * A string field turned into a value by {@code parser}, whose IllegalArgumentException
     * message becomes the detail: {@code PublicIP: not an IPv4 address: "1.2.3" (expected: a.b.c.d)}.
     */
    public <T> T required(String field, String expected, Function<String, T> parser) {
        return parse(field, requiredString(field, expected), parser);
    }

    /** As {@link #required}, or {@code defaultValue} when the field is absent. */
    public <T> T optional(String field, T defaultValue, String expected, Function<String, T> parser) {
        return has(field) ? parse(field, string(field, expected), parser) : defaultValue;
    }

    /** An integer field that must be present and within {@code min..max}. */
    public int requiredInt(String field, int min, int max) {
        if (!has(field)) {
            throw error(field, "missing (accepted: " + range(min, max) + ")");
        }
        return integer(field, min, max, range(min, max));
    }

    /** A 64-bit integer field that must be present and within {@code min..max}. */
    public long requiredLong(String field, long min, long max) {
        if (!has(field)) {
            throw error(field, "missing (accepted: " + min + "-" + max + ")");
        }
        JsonNode v = node.get(field);
        if (!v.isIntegralNumber()) {
            throw error(field, "not an integer: " + describe(v) + " (accepted: " + min + "-" + max + ")");
        }
        if (!v.canConvertToLong() || v.longValue() < min || v.longValue() > max) {
            throw error(field, v.asText() + " is out of range (accepted: " + min + "-" + max + ")");
        }
        return v.longValue();
    }

    /** An integer field within {@code min..max}, or {@code defaultValue} when absent. */
    public int optionalInt(String field, int defaultValue, int min, int max) {
        return has(field) ? integer(field, min, max, range(min, max)) : defaultValue;
    }

    /**
     * An integer field within {@code min..max}, with {@code accepted} describing the values
     * for the message (for ranges that depend on other fields or have holes).
     */
    public int optionalInt(String field, int defaultValue, int min, int max, String accepted) {
        return has(field) ? integer(field, min, max, accepted) : defaultValue;
    }

    /** A boolean field ({@code true} or {@code false}), or {@code defaultValue} when absent. */
    public boolean optionalBoolean(String field, boolean defaultValue) {
        if (!has(field)) {
            return defaultValue;
        }
        JsonNode v = node.get(field);
        if (!v.isBoolean()) {
            throw error(field, "not a boolean: " + describe(v) + " (accepted: true, false)");
        }
        return v.booleanValue();
    }

    /** A nested object that must be present, with its accepted field names. */
    public JsonFields requiredObject(String field, String... accepted) {
        return of(node.get(field), pathOf(field), accepted);
    }

    /** A nested object, or an empty one when absent (so its fields take their defaults). */
    public JsonFields optionalObject(String field, String... accepted) {
        JsonNode v = has(field) ? node.get(field) : JsonNodeFactory.instance.objectNode();
        return of(v, pathOf(field), accepted);
    }

    /** The raw value of a field (null when absent), for values this class does not interpret. */
    public JsonNode raw(String field) {
        return has(field) ? node.get(field) : null;
    }

    /** The elements of an array field; empty when absent. Element {@code i} has path {@code field[i]}. */
    public List<JsonNode> optionalArray(String field) {
        if (!has(field)) {
            return List.of();
        }
        JsonNode v = node.get(field);
        if (!v.isArray()) {
            throw error(field, "not a JSON array: " + describe(v));
        }
        List<JsonNode> out = new ArrayList<>(v.size());
        v.forEach(out::add);
        return out;
    }

    /** The path of element {@code index} of an array field: {@code Peers[1]}. */
    public String pathOf(String field, int index) {
        return pathOf(field) + "[" + index + "]";
    }

    /** A short rendering of a value for messages: {@code "zz"}, {@code 1.5}, {@code an array}. */
    public static String describe(JsonNode v) {
        if (v.isTextual()) {
            return '"' + v.asText() + '"';
        }
        if (v.isArray()) {
            return "an array";
        }
        if (v.isObject()) {
            return "an object";
        }
        return v.toString();
    }

    private String string(String field, String expected) {
        JsonNode v = node.get(field);
        if (!v.isTextual()) {
            throw error(field, "not a string: " + describe(v) + " (expected: " + expected + ")");
        }
        return v.asText();
    }

    private <T> T parse(String field, String text, Function<String, T> parser) {
        try {
            return parser.apply(text);
        } catch (JsonFieldException e) {
            throw e;
        } catch (IllegalArgumentException e) {
            throw error(field, e.getMessage());
        }
    }

    private int integer(String field, int min, int max, String accepted) {
        JsonNode v = node.get(field);
        if (!v.isIntegralNumber()) {
            throw error(field, "not an integer: " + describe(v) + " (accepted: " + accepted + ")");
        }
        if (!v.canConvertToInt() || v.intValue() < min || v.intValue() > max) {
            throw error(field, v.asText() + " is out of range (accepted: " + accepted + ")");
        }
        return v.intValue();
    }

    private static String range(int min, int max) {
        return min + "-" + max;
    }

    private void rejectUnknown(String... accepted) {
        Set<String> known = Set.of(accepted);
        for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
            String name = it.next();
            if (known.contains(name)) {
                continue;
            }
            String list = accepted.length == 0 ? "none" : String.join(", ", accepted);
            for (String candidate : accepted) {
                if (candidate.toLowerCase(Locale.ROOT).equals(name.toLowerCase(Locale.ROOT))) {
                    throw error(name, "unknown field (did you mean \"" + candidate + "\"? accepted: " + list + ")");
                }
            }
            throw error(name, "unknown field (accepted: " + list + ")");
        }
    }
}
