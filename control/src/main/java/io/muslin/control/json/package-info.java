/**
 * Reading JSON objects field by field with errors that name the field's path and the accepted
 * values. Jackson parses; {@link io.muslin.control.json.JsonFields} checks. Field names are
 * matched exactly (flannel's own names: {@code Network}, {@code PublicIP}, ...).
 */
package io.muslin.control.json;
