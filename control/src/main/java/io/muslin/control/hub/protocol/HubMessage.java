package io.muslin.control.hub.protocol;

import io.muslin.control.lease.Lease;
import io.muslin.dataplane.packet.Ipv4Prefix;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The messages of the hub protocol (see {@code package-info.java} for the framing and the
 * conversation). Each is one JSON object whose {@code "Type"} names it; {@link HubCodec}
 * writes and reads them.
 */
public sealed interface HubMessage {

    /** The JSON {@code "Type"} of this message. */
    String type();

    // ---- node → hub -------------------------------------------------------------------------

    /** The first message of a node: the protocol version it speaks and its name. */
    record Hello(int version, String node) implements HubMessage {
        public Hello {
            Objects.requireNonNull(node, "node");
        }

        @Override
        public String type() {
            return "Hello";
        }
    }

    /** Take {@code lease.subnet()} for {@code ttlSeconds}; answered by a {@link Reply}. */
    record Acquire(long id, Lease lease, int ttlSeconds) implements HubMessage {
        public Acquire {
            Objects.requireNonNull(lease, "lease");
        }

        @Override
        public String type() {
            return "Acquire";
        }
    }

    /** Extend a lease held by this node (and store {@code lease} if it changed). */
    record Renew(long id, Lease lease) implements HubMessage {
        public Renew {
            Objects.requireNonNull(lease, "lease");
        }

        @Override
        public String type() {
            return "Renew";
        }
    }

    /**
     * Give up this node's lease for {@code subnet}, if it still holds one with {@code publicIp}
     * (answered {@code ok}; {@code lost} when it does not, and nothing is changed).
     */
    record Release(long id, Ipv4Prefix subnet, int publicIp) implements HubMessage {
        public Release {
            Objects.requireNonNull(subnet, "subnet");
        }

        @Override
        public String type() {
            return "Release";
        }
    }

    /** Ask for all leases; answered by a {@link Reply} with a revision and leases. */
    record ListLeases(long id) implements HubMessage {
        @Override
        public String type() {
            return "List";
        }
    }

    /** Ask for the network configuration (flannel's net-conf.json); answered by a {@link Reply}. */
    record GetConfig(long id) implements HubMessage {
        @Override
        public String type() {
            return "Config";
        }
    }

    /**
     * Follow changes from revision {@code from} (the first one this node has not seen). The hub
     * answers with the changes since then if it still has them, else with a {@link Resync}, and
     * then with every change as it happens. {@code from} 0 asks for a snapshot.
     */
    record Watch(long from) implements HubMessage {
        @Override
        public String type() {
            return "Watch";
        }
    }

    // ---- hub → node -------------------------------------------------------------------------

    /**
     * The hub accepts the session: the version it speaks, the name it bound, its revision, and
     * its heartbeat, which the node adopts for the session (so both sides agree when three
     * quiet heartbeats mean a dead peer).
     */
    record Welcome(int version, String node, long revision, long heartbeatMillis) implements HubMessage {
        /** Heartbeats a Welcome may set: 100 ms to one hour. */
        public static final long MIN_HEARTBEAT_MS = 100;
        public static final long MAX_HEARTBEAT_MS = 3_600_000;

        public Welcome {
            Objects.requireNonNull(node, "node");
            if (heartbeatMillis < MIN_HEARTBEAT_MS || heartbeatMillis > MAX_HEARTBEAT_MS) {
                throw new IllegalArgumentException("Heartbeat: " + heartbeatMillis + " is out of range (accepted: "
                    + MIN_HEARTBEAT_MS + "-" + MAX_HEARTBEAT_MS + " ms)");
            }
        }

        @Override
        public String type() {
            return "Welcome";
        }
    }

    /**
     * The answer to request {@code id}. {@code revision}: a List's, or the revision of what an
     * Acquire, Renew or Release wrote (the hub sends the reply only once a List would show it);
     * {@code leases} and {@code config} are set only for the requests that ask for them (0,
     * empty, absent otherwise).
     */
    record Reply(long id, Status status, String message, long revision, List<Lease> leases,
                 Optional<String> config, int chunks) implements HubMessage {
        public Reply {
            Objects.requireNonNull(status, "status");
            message = message == null ? "" : message;
            leases = List.copyOf(leases);
            Objects.requireNonNull(config, "config");
            if (chunks < 0) {
                throw new IllegalArgumentException("Chunks: " + chunks + " is out of range (accepted: 0 or more)");
            }
        }

        /** A reply whose leases are all inline (no {@link Leases} frames follow). */
        public Reply(long id, Status status, String message, long revision, List<Lease> leases, Optional<String> config) {
            this(id, status, message, revision, leases, config, 0);
        }

        /** This reply with {@code more} leases (the chunks that followed it), and none to follow. */
        public Reply withLeases(List<Lease> more) {
            List<Lease> all = new java.util.ArrayList<>(leases);
            all.addAll(more);
            return new Reply(id, status, message, revision, all, config, 0);
        }

        public static Reply ok(long id) {
            return ok(id, 0);
        }

        /** Done; {@code revision} is the write's (the hub's view has it when this is sent). */
        public static Reply ok(long id, long revision) {
            return new Reply(id, Status.OK, "", revision, List.of(), Optional.empty());
        }

        public static Reply failed(long id, Status status, String message) {
            return new Reply(id, status, message, 0, List.of(), Optional.empty());
        }

        @Override
        public String type() {
            return "Reply";
        }
    }

    /** A lease was created or changed at {@code revision}. */
    record Put(long revision, Lease lease) implements HubMessage {
        public Put {
            Objects.requireNonNull(lease, "lease");
        }

        @Override
        public String type() {
            return "Put";
        }
    }

    /** The lease for {@code subnet} was released or expired at {@code revision}. */
    record Delete(long revision, Ipv4Prefix subnet) implements HubMessage {
        public Delete {
            Objects.requireNonNull(subnet, "subnet");
        }

        @Override
        public String type() {
            return "Delete";
        }
    }

    /**
     * Every lease at {@code revision}: replaces what the node knew. The leases are inline, and
     * in the {@code chunks} {@link Leases} frames that follow. Changes after it follow.
     */
    record Resync(long revision, List<Lease> leases, int chunks) implements HubMessage {
        public Resync {
            leases = List.copyOf(leases);
            if (chunks < 0) {
                throw new IllegalArgumentException("Chunks: " + chunks + " is out of range (accepted: 0 or more)");
            }
        }

        /** A resync with its leases inline. */
        public Resync(long revision, List<Lease> leases) {
            this(revision, leases, 0);
        }

        /** This resync with {@code more} leases (the chunks that followed it), and none to follow. */
        public Resync withLeases(List<Lease> more) {
            List<Lease> all = new java.util.ArrayList<>(leases);
            all.addAll(more);
            return new Resync(revision, all, 0);
        }

        @Override
        public String type() {
            return "Resync";
        }
    }

    /**
     * Some of the leases of the {@link Reply} or {@link Resync} just before it, which announced
     * how many such frames follow ({@code Chunks}); nothing else comes between. A hub keeps each
     * chunk encoded and sends the same bytes to every session until a lease in it changes, so a
     * snapshot of a large network costs little to send and bounds no frame's size.
     */
    record Leases(List<Lease> leases) implements HubMessage {
        public Leases {
            leases = List.copyOf(leases);
        }

        @Override
        public String type() {
            return "Leases";
        }
    }

    // ---- both ways --------------------------------------------------------------------------

    /** A heartbeat: sent by either side after a quiet interval; never answered. */
    record Ping() implements HubMessage {
        public static final Ping INSTANCE = new Ping();

        @Override
        public String type() {
            return "Ping";
        }
    }

    /** The session ends: why, in words. The sender closes the connection after it. */
    record Error(String message) implements HubMessage {
        public Error {
            Objects.requireNonNull(message, "message");
        }

        @Override
        public String type() {
            return "Error";
        }
    }

    /** The outcome of a request. */
    enum Status {
        /** Done. */
        OK("ok"),
        /** Acquire: the subnet is held by another node. */
        HELD("held"),
        /** Renew, Release: the lease expired, was released, or is held by someone else now. */
        LOST("lost"),
        /** The node's certificate does not allow it (another node's PublicIP or subnet). */
        DENIED("denied"),
        /** The request's content is out of range (e.g. a TTL). */
        INVALID("invalid"),
        /** The hub's store failed (e.g. etcd unreachable); try again later. */
        UNAVAILABLE("unavailable");

        private final String wire;

        Status(String wire) {
            this.wire = wire;
        }

        public String wire() {
            return wire;
        }

        public static Status ofWire(String text) {
            for (Status s : values()) {
                if (s.wire.equals(text)) {
                    return s;
                }
            }
            throw new IllegalArgumentException("unknown status \"" + text + "\" (accepted: ok, held, lost, denied, "
                + "invalid, unavailable)");
        }
    }
}
