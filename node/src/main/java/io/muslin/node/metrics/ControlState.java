package io.muslin.node.metrics;

/**
 * The control plane as metrics see it.
 *
 * @param source         {@code static}, {@code etcd} or {@code hub}
 * @param up             the store answered the last renewal (static: always)
 * @param leaseAgeSeconds seconds since this node's lease was last acquired or renewed, or -1 (static)
 * @param watchRevision  the last store revision the watch applied, or -1 (static)
 * @param watchLag       store revisions the watch has heard of and not applied
 *                       ({@link io.muslin.control.store.LeaseStore.Watch#lagRevisions}), or -1
 *                       (static, or a store that does not tell)
 */
public record ControlState(String source, boolean up, double leaseAgeSeconds, long watchRevision, long watchLag) {
    public static final ControlState STATIC = new ControlState("static", true, -1, -1, -1);
}
