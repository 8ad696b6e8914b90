package io.muslin.dataplane.engine;

import io.muslin.dataplane.table.Family;
import io.muslin.dataplane.table.Underlay;
import io.muslin.tun.linux.MessageBatch;

/** Where a staged message goes: a {@code sockaddr_in} or {@code sockaddr_in6} by the underlay's family. */
final class Destinations {
    private Destinations() {
    }

    /** Sets message {@code i} of {@code batch} to go to {@code underlay}, port {@code port} (0 for a raw socket). */
    static void set(MessageBatch batch, int i, Underlay underlay, int port) {
        set(batch, i, underlay.family(), underlay.addressHi(), underlay.addressLo(), port);
    }

    /** Sets message {@code i} of {@code batch} to go to ({@code hi}, {@code lo}) of {@code family}, port {@code port}. */
    static void set(MessageBatch batch, int i, Family family, long hi, long lo, int port) {
        if (family == Family.IPV4) {
            batch.setDestination(i, (int) (hi >>> 32), port);
        } else {
            batch.setDestination6(i, hi, lo, port);
        }
    }
}
