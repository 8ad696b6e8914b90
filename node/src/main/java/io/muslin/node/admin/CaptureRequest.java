package io.muslin.node.admin;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.muslin.dataplane.capture.BpfCompiler;
import io.muslin.dataplane.capture.CapturePoint;
import io.muslin.dataplane.capture.CaptureSettings;
import java.time.Duration;
import java.util.EnumSet;
import java.util.Iterator;
import java.util.List;
import java.util.Set;

/**
 * What {@code muslin capture} asks the daemon for, as the JSON object after {@code capture} on
 * the request line: {@code {"points":["tun-in","drop"],"filter":"tcp port 80","outer":false,
 * "snaplen":65535,"count":0,"durationMillis":0,"superPackets":false}} (absent fields take the
 * defaults of {@link CaptureSettings#defaults()}).
 */
public record CaptureRequest(List<String> points, String filter, boolean outer, int snapLength, long count,
                             long durationMillis, boolean superPackets) {
    public static final String WORD = "capture";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final List<String> FIELDS = List.of("points", "filter", "outer", "snaplen", "count",
        "durationMillis", "superPackets");

    public CaptureRequest {
        points = List.copyOf(points);
    }

    /** The request line, without the newline. */
    public String line() {
        ObjectNode o = JSON.createObjectNode();
        ArrayNode p = o.putArray("points");
        points.forEach(p::add);
        o.put("filter", filter).put("outer", outer).put("snaplen", snapLength).put("count", count)
            .put("durationMillis", durationMillis).put("superPackets", superPackets);
        return WORD + " " + o;
    }

    /** Parses the JSON after the word; IllegalArgumentException naming the field otherwise. */
    public static CaptureRequest parse(String json) {
        JsonNode o;
        try {
            o = JSON.readTree(json);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("capture request is not JSON: " + e.getOriginalMessage());
        }
        if (o == null || !o.isObject()) {
            throw new IllegalArgumentException("capture request is not a JSON object");
        }
        for (Iterator<String> it = o.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (!FIELDS.contains(f)) {
                throw new IllegalArgumentException("capture request: unknown field \"" + f + "\" (accepted: "
                    + String.join(", ", FIELDS) + ")");
            }
        }
        List<String> points = o.has("points") ? JSON.convertValue(o.get("points"),
            JSON.getTypeFactory().constructCollectionType(List.class, String.class)) : List.of();
        return new CaptureRequest(points, o.path("filter").asText(""), o.path("outer").asBoolean(false),
            o.path("snaplen").asInt(CaptureSettings.MAX_SNAP_LENGTH), o.path("count").asLong(0),
            o.path("durationMillis").asLong(0), o.path("superPackets").asBoolean(false));
    }

    /** The dataplane's settings for this request: points checked, filter compiled (libpcap). */
    public CaptureSettings settings() {
        Set<CapturePoint> selected = EnumSet.noneOf(CapturePoint.class);
        for (String p : points) {
            selected.add(CapturePoint.of(p));
        }
        if (selected.isEmpty()) {
            selected.addAll(CapturePoint.DEFAULT);
        }
        return new CaptureSettings(selected, BpfCompiler.compile(filter), outer, snapLength, count,
            durationMillis > 0 ? Duration.ofMillis(durationMillis) : null, superPackets,
            CaptureSettings.DEFAULT_RING_BYTES);
    }
}
