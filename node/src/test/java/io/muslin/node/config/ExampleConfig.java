package io.muslin.node.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.muslin.control.lease.LeaseJson;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;

/** The example configuration {@code example-node1.json} (test resources) and edits of it. */
public final class ExampleConfig {
    public static final String RESOURCE = "/example-node1.json";

    private ExampleConfig() {
    }

    /** The example's text. */
    public static String text() throws IOException {
        try (InputStream in = ExampleConfig.class.getResourceAsStream(RESOURCE)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    /**
     * The example with the value at {@code pointer} replaced by JSON {@code value} (REMOVE
     * deletes it; an array index one past the end appends).
     */
    public static String mutate(String pointer, String value) throws IOException {
        JsonNode root = LeaseJson.MAPPER.readTree(text());
        int slash = pointer.lastIndexOf('/');
        JsonNode parent = root.at(pointer.substring(0, slash));
        String last = pointer.substring(slash + 1);
        boolean remove = "REMOVE".equals(value);
        JsonNode v = remove ? null : LeaseJson.MAPPER.readTree(value);
        if (parent instanceof ArrayNode array) {
            int i = Integer.parseInt(last);
            if (remove) {
                array.remove(i);
            } else if (i == array.size()) {
                array.add(v);
            } else {
                array.set(i, v);
            }
        } else {
            ObjectNode object = (ObjectNode) parent;
            if (remove) {
                object.remove(last);
            } else {
                object.set(last, v);
            }
        }
        return LeaseJson.MAPPER.writeValueAsString(root);
    }
}
