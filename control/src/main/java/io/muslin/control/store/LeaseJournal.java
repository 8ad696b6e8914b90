package io.muslin.control.store;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.muslin.control.json.JsonFields;
import io.muslin.control.lease.Lease;
import io.muslin.control.lease.LeaseJson;
import io.muslin.dataplane.packet.Ipv4Prefix;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The embedded store on disk: a snapshot ({@code leases.json}, replaced atomically) and a
 * journal of the changes since ({@code leases.journal}, one JSON line per change, forced to disk
 * before the change is acknowledged). Renewals are not written: after a restart every lease
 * gets its full TTL again.
 *
 * <pre>
 *   leases.json     {"Revision":120,"Leases":[{"TTL":86400,"Lease":{"Subnet":"10.244.1.0/24",...}}, ...]}
 *   leases.journal  {"Revision":121,"TTL":86400,"Put":{"Subnet":"10.244.7.0/24",...}}
 *                   {"Revision":122,"Delete":"10.244.3.0/24"}
 * </pre>
 *
 * A crash can leave the journal's last line half written: it is cut off with a warning (that
 * change was never acknowledged). Any other line that does not parse is an error naming the
 * file and line. Not thread-safe: {@link EmbeddedLeaseStore} calls it under its lock.
 */
final class LeaseJournal implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(LeaseJournal.class);
    static final String SNAPSHOT = "leases.json";
    static final String JOURNAL = "leases.journal";
    private static final String REVISION = "Revision";
    private static final String LEASES = "Leases";
    private static final String LEASE = "Lease";
    private static final String TTL = "TTL";
    private static final String PUT = "Put";
    private static final String DELETE = "Delete";

    /** A lease as stored: the value and the TTL it was taken for. */
    record Stored(Lease lease, long ttlSeconds) {
    }

    /** What was on disk: leases by subnet and the last revision. */
    record Loaded(Map<Ipv4Prefix, Stored> leases, long revision) {
    }

    private final Path dir;
    private final FileChannel journal;
    private int records;

    private LeaseJournal(Path dir, FileChannel journal, int records) {
        this.dir = dir;
        this.journal = journal;
        this.records = records;
    }

    /** Opens (creating) the files in {@code dir} and loads them into {@code into}; returns the journal and the revision. */
    static LeaseJournal open(Path dir, Map<Ipv4Prefix, Stored> into, long[] revisionOut) throws IOException {
        Files.createDirectories(dir);
        long revision = 0;
        Path snapshot = dir.resolve(SNAPSHOT);
        if (Files.exists(snapshot)) {
            revision = readSnapshot(snapshot, into);
        }
        Path file = dir.resolve(JOURNAL);
        FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
        try {
            int[] count = new int[1];
            revision = replay(file, ch, into, revision, count);
            ch.position(ch.size());
            revisionOut[0] = revision;
            return new LeaseJournal(dir, ch, count[0]);
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
    }

    private static long readSnapshot(Path file, Map<Ipv4Prefix, Stored> into) throws IOException {
        try {
            JsonFields f = JsonFields.of(LeaseJson.readTree(Files.readString(file, StandardCharsets.UTF_8)), "", REVISION,
                LEASES);
            long revision = f.requiredLong(REVISION, 0, Long.MAX_VALUE);
            List<JsonNode> items = f.optionalArray(LEASES);
            for (int i = 0; i < items.size(); i++) {
                JsonFields item = JsonFields.of(items.get(i), f.pathOf(LEASES, i), TTL, LEASE);
                Lease lease = LeaseJson.fromTree(item.raw(LEASE), item.pathOf(LEASE));
                into.put(lease.subnet(), new Stored(lease, item.requiredLong(TTL, 1, Long.MAX_VALUE)));
            }
            return revision;
        } catch (IllegalArgumentException e) {
            throw new IOException(file + ": " + e.getMessage(), e);
        }
    }

    private static long replay(Path file, FileChannel ch, Map<Ipv4Prefix, Stored> into, long revision, int[] count)
        throws IOException {
        byte[] all = Files.readAllBytes(file);
        int start = 0;
        int line = 0;
        while (start < all.length) {
            line++;
            int end = start;
            while (end < all.length && all[end] != '\n') {
                end++;
            }
            boolean complete = end < all.length;
            String text = new String(all, start, end - start, StandardCharsets.UTF_8);
            try {
                revision = apply(text, into, revision);
                count[0]++;
            } catch (IllegalArgumentException e) {
                boolean last = !complete || end + 1 >= all.length;
                if (!last) {
                    throw new IOException(file + " line " + line + ": " + e.getMessage(), e);
                }
                LOG.warn("{} line {}: cut off an unfinished last record ({}); it was never acknowledged", file, line,
                    e.getMessage());
                ch.truncate(start);
                ch.force(true);
                return revision;
            }
            if (!complete) {
                // a whole record without its newline: keep it, finish the line
                ch.position(all.length);
                ch.write(ByteBuffer.wrap(new byte[] {'\n'}));
                ch.force(false);
            }
            start = end + 1;
        }
        return revision;
    }

    private static long apply(String text, Map<Ipv4Prefix, Stored> into, long revision) {
        JsonFields f = JsonFields.of(LeaseJson.readTree(text), "", REVISION, TTL, PUT, DELETE);
        long rev = f.requiredLong(REVISION, 1, Long.MAX_VALUE);
        if (rev <= revision) {
            return revision; // already in the snapshot (a crash between snapshot and truncation)
        }
        if (f.has(PUT)) {
            Lease lease = LeaseJson.fromTree(f.raw(PUT), f.pathOf(PUT));
            into.put(lease.subnet(), new Stored(lease, f.requiredLong(TTL, 1, Long.MAX_VALUE)));
        } else {
            into.remove(f.required(DELETE, "a subnet such as 10.244.1.0/24", Ipv4Prefix::parse));
        }
        return rev;
    }

    /** Records a put; on disk when this returns. */
    void put(long revision, Lease lease, long ttlSeconds) throws IOException {
        ObjectNode o = LeaseJson.MAPPER.createObjectNode();
        o.put(REVISION, revision).put(TTL, ttlSeconds);
        o.set(PUT, LeaseJson.toTree(lease, true));
        append(o);
    }

    /** Records a delete; on disk when this returns. */
    void delete(long revision, Ipv4Prefix subnet) throws IOException {
        ObjectNode o = LeaseJson.MAPPER.createObjectNode();
        o.put(REVISION, revision).put(DELETE, subnet.toString());
        append(o);
    }

    private void append(ObjectNode record) throws IOException {
        byte[] bytes = (write(record) + "\n").getBytes(StandardCharsets.UTF_8);
        ByteBuffer buf = ByteBuffer.wrap(bytes);
        while (buf.hasRemaining()) {
            journal.write(buf);
        }
        journal.force(false);
        records++;
    }

    /** Records written since the last {@link #compact}. */
    int records() {
        return records;
    }

    /** Writes every lease as the new snapshot (atomically) and empties the journal. */
    void compact(long revision, Map<Ipv4Prefix, Stored> leases) throws IOException {
        ObjectNode o = LeaseJson.MAPPER.createObjectNode();
        o.put(REVISION, revision);
        ArrayNode array = o.putArray(LEASES);
        for (Stored s : leases.values()) {
            ObjectNode item = array.addObject();
            item.put(TTL, s.ttlSeconds());
            item.set(LEASE, LeaseJson.toTree(s.lease(), true));
        }
        Path target = dir.resolve(SNAPSHOT);
        Path tmp = dir.resolve(SNAPSHOT + ".tmp");
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
            StandardOpenOption.TRUNCATE_EXISTING)) {
            ByteBuffer buf = ByteBuffer.wrap(write(o).getBytes(StandardCharsets.UTF_8));
            while (buf.hasRemaining()) {
                ch.write(buf);
            }
            ch.force(true);
        }
        try {
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
        }
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        } catch (IOException e) {
            // some file systems cannot sync a directory; the rename is still atomic
        }
        journal.truncate(0);
        journal.position(0);
        journal.force(true);
        records = 0;
    }

    @Override
    public void close() throws IOException {
        journal.close();
    }

    private static String write(ObjectNode o) {
        try {
            return LeaseJson.MAPPER.writeValueAsString(o);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a tree of strings and numbers always writes", e);
        }
    }
}
