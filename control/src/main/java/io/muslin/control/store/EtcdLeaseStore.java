package io.muslin.control.store;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.ClientBuilder;
import io.etcd.jetcd.KV;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.common.exception.ErrorCode;
import io.etcd.jetcd.common.exception.EtcdException;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.kv.TxnResponse;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.CmpTarget;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.DeleteOption;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.PutOption;
import io.grpc.netty.GrpcSslContexts;
import io.muslin.control.json.JsonFieldException;
import io.muslin.control.lease.Lease;
import io.muslin.control.lease.LeaseJson;
import io.muslin.dataplane.packet.Ipv4Address;
import io.muslin.dataplane.packet.Ipv4Prefix;
import io.netty.handler.ssl.SslContextBuilder;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Leases in etcd (v3 API, through jetcd) in flannel's layout and with flannel's semantics, so
 * muslin nodes and flannel nodes can share one etcd:
 * <pre>
 *   &lt;prefix&gt;/config                 read by {@link #networkConfig()}
 *   &lt;prefix&gt;/subnets/10.244.2.0-24   {@link LeaseJson#toValueJson}, attached to an etcd lease
 *   (a dual-stack lease: &lt;prefix&gt;/subnets/10.244.2.0-24&amp;fd00:10:244:2::-64, flannel's {@code MakeSubnetKey})
 * </pre>
 *
 * <p>{@link #acquire} grants an etcd lease with the TTL and creates the key in a transaction
 * {@code If(Version(key) == 0) Then Put(key, value, lease) Else Get(key)}, as flannel does. An
 * existing key with our PublicIP is taken over ({@code If(ModRevision(key) == seen)}); any other
 * is refused. {@link #renew} is one keep-alive of the etcd lease (flannel renews an hour before a
 * 24 h lease ends); {@link #release} deletes the key and revokes the etcd lease.
 *
 * <p>Threads: the jetcd client runs gRPC (Netty) and Vert.x event loops and a small pool of
 * its own, all daemon threads; requests block the caller for at most the request timeout.
 * Each {@link #watch} adds one thread, {@code muslin-etcd-watch}, that calls its listener.
 * {@link #close()} ends them all.
 */
public final class EtcdLeaseStore implements LeaseStore {
    private static final Logger LOG = LoggerFactory.getLogger(EtcdLeaseStore.class);

    private final EtcdStoreConfig config;
    private final EtcdKeys keys;
    private final Client client;
    private final String where;
    /** The etcd lease behind each subnet this store acquired. */
    private final Map<Ipv4Prefix, Long> held = new HashMap<>();
    private final Set<EtcdLeaseWatch> watches = ConcurrentHashMap.newKeySet();

    private EtcdLeaseStore(EtcdStoreConfig config, Client client) {
        this.config = config;
        this.keys = new EtcdKeys(config.prefix());
        this.client = client;
        this.where = "etcd at " + String.join(",", config.endpoints().stream().map(URI::toString).toList());
    }

    /**
     * A store on {@code config}'s endpoints. Nothing is sent yet: an unreachable etcd shows on the
     * first request. Throws IOException if the TLS files cannot be read.
     */
    public static EtcdLeaseStore open(EtcdStoreConfig config) throws IOException {
        ClientBuilder builder = Client.builder()
            .endpoints(config.endpoints().toArray(URI[]::new))
            .connectTimeout(config.dialTimeout())
            // Fail a request while etcd is unreachable instead of queueing it until it comes back.
            .waitForReady(false);
        if (config.tls().isPresent()) {
            builder.sslContext(sslContext(config.tls().get()));
        }
        return new EtcdLeaseStore(config, builder.build());
    }

    private static io.netty.handler.ssl.SslContext sslContext(EtcdStoreConfig.Tls tls) throws IOException {
        SslContextBuilder ssl = GrpcSslContexts.forClient();
        try {
            if (tls.caFile().isPresent()) {
                ssl.trustManager(tls.caFile().get().toFile());
            }
            if (tls.certFile().isPresent()) {
                ssl.keyManager(tls.certFile().get().toFile(), tls.keyFile().orElseThrow().toFile());
            }
            return ssl.build();
        } catch (IllegalArgumentException | IOException e) {
            throw new IOException("etcd TLS: cannot use " + tls + ": " + e.getMessage(), e);
        }
    }

    @Override
    public String where() {
        return where;
    }

    public EtcdStoreConfig config() {
        return config;
    }

    @Override
    public Optional<String> networkConfig() throws IOException {
        GetResponse response = await(client.getKVClient().get(bytes(keys.config())), "read " + keys.config());
        return response.getKvs().stream().findFirst().map(kv -> kv.getValue().toString(StandardCharsets.UTF_8));
    }

    @Override
    public synchronized Written acquireWritten(Lease lease, Duration ttl) throws IOException {
        long ttlSeconds = ttlSeconds(ttl);
        String key = keys.key(lease.key());
        ByteSequence k = bytes(key);
        ByteSequence value = bytes(LeaseJson.toValueJson(lease));
        if (!clearOtherForms(lease, key)) {
            return Written.REFUSED;
        }
        long leaseId = await(client.getLeaseClient().grant(ttlSeconds), "grant a " + ttlSeconds + " s lease").getID();
        Written done = Written.REFUSED;
        try {
            KV kv = client.getKVClient();
            PutOption withLease = PutOption.builder().withLeaseId(leaseId).build();
            TxnResponse created = await(kv.txn()
                .If(new Cmp(k, Cmp.Op.EQUAL, CmpTarget.version(0)))
                .Then(Op.put(k, value, withLease))
                .Else(Op.get(k, GetOption.DEFAULT))
                .commit(), "create " + key);
            if (created.isSucceeded()) {
                LOG.info("acquired {} for {} s (etcd lease {})", key, ttlSeconds, Long.toHexString(leaseId));
                done = Written.at(created.getHeader().getRevision());
            } else {
                done = takeOver(lease, key, value, leaseId, created);
            }
            if (done.done()) {
                Long previous = held.put(lease.subnet(), leaseId);
                if (previous != null && previous != leaseId) {
                    revokeQuietly(previous);
                }
            }
            return done;
        } finally {
            if (!done.done()) {
                revokeQuietly(leaseId);
            }
        }
    }

    /**
     * The lease's subnet may be stored under the key's other form (IPv4-only, or with another IPv6
     * subnet: a node that changed its IPv6 setting). Ours (our PublicIP) are deleted; another
     * node's means the subnet is taken (false).
     */
    private boolean clearOtherForms(Lease lease, String key) throws IOException {
        for (KeyValue kv : keysOf(lease.subnet())) {
            String other = kv.getKey().toString(StandardCharsets.UTF_8);
            if (other.equals(key)) {
                continue;
            }
            int holder = publicIpOf(kv);
            if (holder != lease.publicIp()) {
                LOG.info("{} is held by {} under {}", lease.subnet(), Ipv4Address.format(holder), other);
                return false;
            }
            ByteSequence o = bytes(other);
            await(client.getKVClient().txn()
                .If(new Cmp(o, Cmp.Op.EQUAL, CmpTarget.modRevision(kv.getModRevision())))
                .Then(Op.delete(o, DeleteOption.DEFAULT))
                .commit(), "delete " + other);
            LOG.info("deleted {} (our own lease under the key's other form, now {})", other, key);
        }
        return true;
    }

    /** The stored keys, of either form, whose IPv4 subnet is {@code subnet}. */
    private List<KeyValue> keysOf(Ipv4Prefix subnet) throws IOException {
        String start = keys.subnet(subnet);
        GetResponse response = await(client.getKVClient().get(bytes(start), GetOption.builder().isPrefix(true).build()),
            "read " + start + "*");
        List<KeyValue> out = new ArrayList<>();
        for (KeyValue kv : response.getKvs()) {
            try {
                if (keys.parseKey(kv.getKey().toString(StandardCharsets.UTF_8)).subnet().equals(subnet)) {
                    out.add(kv);
                }
            } catch (IllegalArgumentException e) {
                // not a lease key (e.g. 10.244.1.0-240): not one of this subnet's
            }
        }
        return out;
    }

    /** The key exists: take it over if it holds our PublicIP (ours from before a restart). */
    private Written takeOver(Lease lease, String key, ByteSequence value, long leaseId, TxnResponse seen) throws IOException {
        List<KeyValue> kvs = seen.getGetResponses().isEmpty() ? List.of() : seen.getGetResponses().getFirst().getKvs();
        if (kvs.isEmpty()) {
            return Written.REFUSED; // deleted since; the caller may try again
        }
        KeyValue existing = kvs.getFirst();
        Lease theirs;
        try {
            theirs = LeaseJson.parseValue(existing.getValue().toString(StandardCharsets.UTF_8), lease.key());
        } catch (JsonFieldException e) {
            LOG.warn("{} holds a value that does not parse, leaving it alone: {}", key, e.getMessage());
            return Written.REFUSED;
        }
        if (theirs.publicIp() != lease.publicIp()) {
            LOG.info("{} is held by {}", key, Ipv4Address.format(theirs.publicIp()));
            return Written.REFUSED;
        }
        ByteSequence k = bytes(key);
        TxnResponse replaced = await(client.getKVClient().txn()
            .If(new Cmp(k, Cmp.Op.EQUAL, CmpTarget.modRevision(existing.getModRevision())))
            .Then(Op.put(k, value, PutOption.builder().withLeaseId(leaseId).build()))
            .commit(), "take over " + key);
        if (replaced.isSucceeded()) {
            LOG.info("took over {} (same PublicIP {}), now on etcd lease {}", key, Ipv4Address.format(lease.publicIp()),
                Long.toHexString(leaseId));
            return Written.at(replaced.getHeader().getRevision());
        }
        return Written.REFUSED;
    }

    @Override
    public synchronized Written renewWritten(Lease lease) throws IOException {
        Long leaseId = held.get(lease.subnet());
        if (leaseId == null) {
            throw new IllegalStateException("cannot renew " + lease.subnet() + ": not acquired by this store");
        }
        String key = keys.key(lease.key());
        KeyValue current = await(client.getKVClient().get(bytes(key)), "read " + key).getKvs().stream()
            .findFirst().orElse(null);
        if (current == null || current.getLease() != leaseId) {
            held.remove(lease.subnet());
            throw new LeaseLostException(where + ": lost " + key + ": "
                + (current == null ? "it expired or was deleted" : "it is now held by someone else (etcd lease "
                + Long.toHexString(current.getLease()) + ", ours was " + Long.toHexString(leaseId) + ")"));
        }
        int holder = publicIpOf(current);
        if (holder != lease.publicIp()) {
            // Same etcd lease (one store acting for many nodes: a hub), another node's value.
            throw new LeaseLostException(where + ": lost " + key + ": it is held by " + Ipv4Address.format(holder));
        }
        try {
            await(client.getLeaseClient().keepAliveOnce(leaseId), "keep " + key + " alive");
        } catch (IOException e) {
            if (e.getCause() instanceof EtcdException ee && ee.getErrorCode() == ErrorCode.NOT_FOUND) {
                held.remove(lease.subnet());
                throw new LeaseLostException(where + ": lost " + key + ": its etcd lease " + Long.toHexString(leaseId)
                    + " expired");
            }
            throw e;
        }
        ByteSequence value = bytes(LeaseJson.toValueJson(lease));
        if (!current.getValue().equals(value)) {
            ByteSequence k = bytes(key);
            TxnResponse updated = await(client.getKVClient().txn()
                .If(new Cmp(k, Cmp.Op.EQUAL, CmpTarget.modRevision(current.getModRevision())))
                .Then(Op.put(k, value, PutOption.builder().withLeaseId(leaseId).build()))
                .commit(), "update " + key);
            if (!updated.isSucceeded()) {
                held.remove(lease.subnet());
                throw new LeaseLostException(where + ": lost " + key + ": it changed while being updated");
            }
            LOG.info("updated {}: {}", key, lease);
            return Written.at(updated.getHeader().getRevision());
        }
        return Written.at(current.getModRevision());
    }

    @Override
    public synchronized Written releaseWritten(Ipv4Prefix subnet, int publicIp) throws IOException {
        List<KeyValue> stored = keysOf(subnet);
        KeyValue current = stored.stream().filter(kv -> publicIpOf(kv) == publicIp).findFirst().orElse(null);
        if (current == null) {
            if (stored.isEmpty()) {
                held.remove(subnet);
            }
            return Written.REFUSED;
        }
        String key = current.getKey().toString(StandardCharsets.UTF_8);
        ByteSequence k = bytes(key);
        TxnResponse deleted = await(client.getKVClient().txn()
            .If(new Cmp(k, Cmp.Op.EQUAL, CmpTarget.modRevision(current.getModRevision())))
            .Then(Op.delete(k, DeleteOption.DEFAULT))
            .commit(), "delete " + key);
        if (!deleted.isSucceeded()) {
            return Written.REFUSED; // changed meanwhile: whoever holds it now keeps it
        }
        held.remove(subnet);
        if (current.getLease() != 0) {
            revokeQuietly(current.getLease());
        }
        LOG.info("released {}", key);
        return Written.at(deleted.getHeader().getRevision());
    }

    /** The PublicIP of a stored lease, or 0 when its key or value does not parse. */
    private int publicIpOf(KeyValue kv) {
        try {
            return parse(kv.getKey().toString(StandardCharsets.UTF_8), kv.getValue()).publicIp();
        } catch (IllegalArgumentException e) {
            return 0;
        }
    }

    @Override
    public Snapshot list() throws IOException {
        GetResponse response = await(client.getKVClient().get(bytes(keys.subnets()), GetOption.builder().isPrefix(true).build()),
            "list " + keys.subnets());
        List<Lease> leases = new ArrayList<>(response.getKvs().size());
        List<Malformed> malformed = new ArrayList<>();
        for (KeyValue kv : response.getKvs()) {
            String key = kv.getKey().toString(StandardCharsets.UTF_8);
            try {
                leases.add(parse(key, kv.getValue()));
            } catch (IllegalArgumentException e) {
                malformed.add(new Malformed(key, e.getMessage()));
            }
        }
        if (!malformed.isEmpty()) {
            LOG.warn("{}: skipped {} entries that are not leases: {}", where, malformed.size(), malformed);
        }
        return new Snapshot(response.getHeader().getRevision(), leases, malformed);
    }

    @Override
    public Watch watch(long fromRevision, LeaseListener listener) {
        return watch(fromRevision, listener, EtcdLeaseWatch.PROGRESS_EVERY_MILLIS);
    }

    /** As {@link #watch(long, LeaseListener)}, asking etcd for progress every {@code progressEveryMillis}. */
    Watch watch(long fromRevision, LeaseListener listener, long progressEveryMillis) {
        if (fromRevision < 1) {
            throw new IllegalArgumentException("watch revision " + fromRevision + " is out of range (accepted: 1 or more)");
        }
        EtcdLeaseWatch watch = new EtcdLeaseWatch(this, client.getWatchClient(), listener, watches::remove,
            progressEveryMillis);
        watches.add(watch);
        watch.start(fromRevision);
        return watch;
    }

    /**
     * Closes the watches and the client. The etcd leases this store holds are left to expire (a
     * node that restarts within the TTL takes its subnet over); {@link #release} them to give
     * them up now.
     */
    @Override
    public void close() {
        for (EtcdLeaseWatch watch : List.copyOf(watches)) {
            watch.close();
        }
        client.close();
    }

    // --- for EtcdLeaseWatch ---

    EtcdKeys keys() {
        return keys;
    }

    /** A lease from its key and value; IllegalArgumentException (or its JsonFieldException) names what is wrong. */
    Lease parse(String key, ByteSequence value) {
        return LeaseJson.parseValue(value.toString(StandardCharsets.UTF_8), keys.parseKey(key));
    }

    static ByteSequence bytes(String text) {
        return ByteSequence.from(text, StandardCharsets.UTF_8);
    }

    private static long ttlSeconds(Duration ttl) {
        long seconds = ttl.toSeconds();
        if (seconds < 1 || ttl.toNanosPart() != 0) {
            throw new IllegalArgumentException("lease TTL " + ttl + " is not a whole number of seconds (accepted: 1 s or more)");
        }
        return seconds;
    }

    private void revokeQuietly(long leaseId) {
        try {
            await(client.getLeaseClient().revoke(leaseId), "revoke an unused lease");
        } catch (IOException e) {
            LOG.debug("could not revoke unused etcd lease {}; it expires with its TTL", Long.toHexString(leaseId), e);
        }
    }

    /**
     * Waits for a request. Every failure is an IOException naming the endpoints and the request;
     * the cause is jetcd's (an {@link EtcdException} with etcd's error code) or a timeout.
     */
    private <T> T await(CompletableFuture<T> request, String what) throws IOException {
        try {
            return request.get(config.requestTimeout().toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            request.cancel(true);
            Thread.currentThread().interrupt();
            throw new InterruptedIOException(where + ": interrupted during " + what);
        } catch (TimeoutException e) {
            request.cancel(true);
            throw new IOException(where + ": cannot " + what + ": no answer within " + config.requestTimeout()
                + " (is etcd running and reachable?)", e);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            throw new IOException(where + ": cannot " + what + ": " + cause.getMessage(), cause);
        }
    }
}
