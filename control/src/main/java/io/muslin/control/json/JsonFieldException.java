package io.muslin.control.json;

/**
 * A JSON document has a field that is missing, of the wrong type or out of range. The message
 * starts with the field's path, e.g. {@code Backend.VNI: 16777216 is out of range (accepted: 0-16777215)}.
 */
public final class JsonFieldException extends IllegalArgumentException {
    private final String path;

    public JsonFieldException(String path, String detail) {
        super(path.isEmpty() ? detail : path + ": " + detail);
        this.path = path;
    }

    /** The field's path ({@code Peers[1].BackendData.VtepMAC}); empty for the document itself. */
    public String path() {
        return path;
    }
}
