package io.muslin.node.config;

import io.muslin.control.json.JsonFields;

/**
 * An integer setting declared once: its JSON field name, default and accepted range.
 *
 * @param name         the JSON field name ({@code VNI})
 * @param defaultValue the value when the field is absent
 * @param min          smallest accepted value
 * @param max          largest accepted value
 */
public record IntSetting(String name, int defaultValue, int min, int max) {

    /** Reads the setting from {@code fields}: the default when absent, else a value in range. */
    int read(JsonFields fields) {
        return fields.optionalInt(name, defaultValue, min, max);
    }

    /** {@code 0-16777215}, as error messages and the README show it. */
    public String range() {
        return min + "-" + max;
    }
}
