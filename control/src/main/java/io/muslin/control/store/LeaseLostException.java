package io.muslin.control.store;

import java.io.IOException;

/**
 * A lease this node held is no longer its own: the entry expired, was deleted, or now belongs to
 * another node. The node has to {@link LeaseStore#acquire acquire} a subnet again.
 */
public final class LeaseLostException extends IOException {
    private static final long serialVersionUID = 1L;

    public LeaseLostException(String message) {
        super(message);
    }
}
