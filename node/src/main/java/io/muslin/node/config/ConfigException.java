package io.muslin.node.config;

/**
 * The configuration is unreadable or invalid. The message names the field's JSON path and what
 * is accepted, e.g. {@code Backend.VNI: 16777216 is out of range (accepted: 0-16777215)}.
 */
public final class ConfigException extends Exception {
    private static final long serialVersionUID = 1L;

    public ConfigException(String message) {
        super(message);
    }

    public ConfigException(String message, Throwable cause) {
        super(message, cause);
    }
}
