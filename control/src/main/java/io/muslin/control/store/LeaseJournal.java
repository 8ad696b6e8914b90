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
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
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
 * Leases are in flannel's lease JSON ({@link LeaseJson}) with {@code Subnet}. Revisions in the
 * journal increase; a record at or below the snapshot's revision is already in the snapshot (a
 * crash between writing the snapshot and emptying the journal) and is skipped.
 *
 * <p>A crash can leave the journal's last line half written: it is cut off with a warning (that
 * change was never acknowledged). Any other line that does not parse is an error naming the
 * file and line. A write that fails is taken back (the file is cut to its length before), so
 * later records never follow a partial line.
 *
 * <p>The journal is locked ({@link FileChannel#tryLock}) while open: a second store on the same
 * directory, in this process or another, is refused. Not thread-safe: {@link EmbeddedLeaseStore}
 * calls it under its lock, except {@link #sync}, which its journal thread calls without it so
 * that writers go on appending while the disk syncs (group commit: one fsync for every record
 * written meanwhile).
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
    /** Read back without the store's range, so a file written under another limit still loads. */
    private static final long MAX_STORED_TTL = Integer.MAX_VALUE;

    /** A lease as stored: the value and the TTL it was taken for. */
    record Stored(Lease lease, long ttlSeconds) {
    }

    /** An open journal, and what was on disk when it was opened: leases by subnet and the last revision. */
    record Loaded(LeaseJournal journal, Map<Ipv4Prefix, Stored> leases, long revision) {
    }

    /** How the journal is forced to disk ({@code FileChannel.force(false)}; tests hold it to see what waits for it). */
    interface Syncer {
        Syncer FORCE = ch -> ch.force(false);

        void force(FileChannel journal) throws IOException;
    }

    private final Path dir;
    private final Path file;
    private final Syncer syncer;
    /** Written under the store's lock; read by {@link #sync} without it. */
    private volatile FileChannel journal;
    private int records;
    /** Set when a failed write could not be taken back: no more writes. */
    private IOException broken;
    private boolean closed;

    private LeaseJournal(Path dir, FileChannel journal, int records, Syncer syncer) {
        this.dir = dir;
        this.syncer = syncer;
        this.file = dir.resolve(JOURNAL);
        this.journal = journal;
        this.records = records;
    }

    /** Opens (creating) the files in {@code dir}, locks the journal and loads both files. */
    static Loaded open(Path dir) throws IOException {
        return open(dir, Syncer.FORCE);
    }

    /** As {@link #open(Path)}, forcing the journal with {@code syncer}. */
    static Loaded open(Path dir, Syncer syncer) throws IOException {
        Files.createDirectories(dir);
        Path file = dir.resolve(JOURNAL);
        boolean created = !Files.exists(file);
        FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
        try {
            lock(file, ch);
            if (created) {
                syncDirectory(dir);
            }
            Map<Ipv4Prefix, Stored> leases = new HashMap<>();
            Path snapshot = dir.resolve(SNAPSHOT);
            long revision = Files.exists(snapshot) ? readSnapshot(snapshot, leases) : 0;
            Replay replay = new Replay(file, revision);
            replay.run(ch, leases);
            ch.position(ch.size());
            return new Loaded(new LeaseJournal(dir, ch, replay.applied, syncer), leases, replay.revision);
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
    }

    /** Locks the journal for this process; held until the channel closes. */
    private static void lock(Path file, FileChannel ch) throws IOException {
        FileLock lock;
        try {
            lock = ch.tryLock();
        } catch (OverlappingFileLockException e) {
            lock = null;
        }
        if (lock == null) {
            throw new IOException(file + " is locked: another store has this directory open");
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
                into.put(lease.subnet(), new Stored(lease, item.requiredLong(TTL, 1, MAX_STORED_TTL)));
            }
            return revision;
        } catch (IllegalArgumentException e) {
            throw new IOException(file + ": " + e.getMessage(), e);
        }
    }

    /** Replays the journal's lines onto the snapshot's leases. */
    private static final class Replay {
        private final Path file;
        private final long snapshotRevision;
        private long revision;
        private int applied;

        Replay(Path file, long snapshotRevision) {
            this.file = file;
            this.snapshotRevision = snapshotRevision;
            this.revision = snapshotRevision;
        }

        void run(FileChannel ch, Map<Ipv4Prefix, Stored> into) throws IOException {
            byte[] all = readAll(file, ch);
            int start = 0;
            for (int line = 1; start < all.length; line++) {
                int end = start;
                while (end < all.length && all[end] != '\n') {
                    end++;
                }
                boolean last = end >= all.length - 1;
                try {
                    apply(new String(all, start, end - start, StandardCharsets.UTF_8), into);
                } catch (IllegalArgumentException e) {
                    if (!last) {
                        throw new IOException(file + " line " + line + ": " + e.getMessage(), e);
                    }
                    LOG.warn("{} line {}: cut off an unfinished last record ({}); it was never acknowledged", file, line,
                        e.getMessage());
                    ch.truncate(start);
                    ch.force(true);
                    return;
                }
                if (end == all.length) {
                    // a whole record without its newline (the crash came between the two): keep it
                    ch.write(ByteBuffer.wrap(new byte[] {'\n'}), all.length);
                    ch.force(false);
                }
                start = end + 1;
            }
        }

        private void apply(String text, Map<Ipv4Prefix, Stored> into) {
            JsonFields f = JsonFields.of(LeaseJson.readTree(text), "", REVISION, TTL, PUT, DELETE);
            long rev = f.requiredLong(REVISION, 1, Long.MAX_VALUE);
            if (rev <= snapshotRevision) {
                return; // already in the snapshot
            }
            if (rev <= revision) {
                throw f.error(REVISION, rev + " does not follow " + revision + " (expected: increasing revisions)");
            }
            if (f.has(PUT) == f.has(DELETE)) {
                throw f.error(PUT, "expected exactly one of Put and Delete");
            }
            if (f.has(PUT)) {
                Lease lease = LeaseJson.fromTree(f.raw(PUT), f.pathOf(PUT));
                into.put(lease.subnet(), new Stored(lease, f.requiredLong(TTL, 1, MAX_STORED_TTL)));
            } else {
                into.remove(f.required(DELETE, "a subnet such as 10.244.1.0/24", Ipv4Prefix::parse));
            }
            revision = rev;
            applied++;
        }
    }

    /**
     * The whole journal, read through the locked channel: opening and closing another descriptor
     * on the file would drop this process's lock (POSIX record locks are per process and file).
     */
    private static byte[] readAll(Path file, FileChannel ch) throws IOException {
        long size = ch.size();
        if (size > Integer.MAX_VALUE - 8) {
            throw new IOException(file + ": " + size + " bytes is too large to replay");
        }
        ByteBuffer buf = ByteBuffer.allocate((int) size);
        while (buf.hasRemaining() && ch.read(buf, buf.position()) >= 0) {
            // until full, or the end
        }
        return Arrays.copyOf(buf.array(), buf.position());
    }

    /** Writes a put (into the page cache: on disk after the next {@link #sync}); returns where its record starts. */
    long put(long revision, Lease lease, long ttlSeconds) throws IOException {
        ObjectNode o = LeaseJson.MAPPER.createObjectNode();
        o.put(REVISION, revision).put(TTL, ttlSeconds);
        o.set(PUT, LeaseJson.toTree(lease, true));
        return append(line(o), 1);
    }

    /**
     * Writes deletes at {@code firstRevision}, {@code firstRevision + 1}, ... (on disk after the
     * next {@link #sync}); returns where their records start.
     */
    long delete(long firstRevision, List<Ipv4Prefix> subnets) throws IOException {
        StringBuilder lines = new StringBuilder();
        long revision = firstRevision;
        for (Ipv4Prefix subnet : subnets) {
            ObjectNode o = LeaseJson.MAPPER.createObjectNode();
            o.put(REVISION, revision++).put(DELETE, subnet.toString());
            lines.append(line(o));
        }
        return append(lines.toString(), subnets.size());
    }

    private long append(String lines, int count) throws IOException {
        if (broken != null) {
            throw new IOException(file + ": not written since an earlier write could not be taken back or synced ("
                + broken.getMessage() + "); restart the store to reload it", broken);
        }
        long before = -1;
        try {
            FileChannel ch = channel();
            before = ch.size();
            writeFully(ch, lines.getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            if (before >= 0) {
                takeBack(before, e);
            }
            throw new IOException(file + ": cannot record a change: " + e, e);
        }
        records += count;
        return before;
    }

    /**
     * Forces what was written to disk (fsync, data only). The one call that may run while the
     * store's lock is not held: it touches only the channel, which {@link FileChannel} allows.
     *
     * @return false if the channel was closed under it (an interrupted writer closed it, see
     *         {@link #channel()}): call {@link #reopen()} under the lock and sync again; nothing
     *         was lost, the data is in the page cache
     */
    boolean sync() throws IOException {
        try {
            syncer.force(journal);
            return true;
        } catch (ClosedChannelException e) {
            return false;
        }
    }

    /** After {@link #sync} returned false: opens the journal again (under the store's lock). */
    void reopen() throws IOException {
        channel();
    }

    /**
     * A sync failed: what was written since the last good one is in an unknown state, so it is
     * cut off again (back to {@code keepLength}, best effort: a store opened on this directory
     * later must not bring back changes whose callers were told they failed), and the journal
     * takes no more writes until it is opened again, as PostgreSQL stops after a failed fsync.
     */
    void syncFailed(IOException e, long keepLength) {
        if (broken == null) {
            broken = e;
        }
        boolean interrupted = Thread.interrupted();
        try {
            FileChannel ch = channel();
            ch.truncate(keepLength);
            ch.force(false);
        } catch (IOException ex) {
            e.addSuppressed(ex);
            LOG.error("{}: cannot cut the unsynced records off after a failed sync: {}", file, ex.toString());
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /**
     * After a failed write: cuts the journal back to {@code length}, so no later record follows a
     * partial line. If that fails too, the journal takes no more writes.
     */
    private void takeBack(long length, IOException failure) {
        boolean interrupted = Thread.interrupted(); // else the next call on the channel is interrupted too
        try {
            FileChannel ch = channel();
            ch.truncate(length);
            ch.position(length);
        } catch (IOException e) {
            failure.addSuppressed(e);
            broken = failure;
            LOG.error("{}: a failed write could not be taken back; the store takes no more changes: {}", file, e.toString());
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /**
     * The journal's channel, opened (and locked) again if an interrupted caller closed it: a
     * {@link FileChannel} closes itself when a thread blocked in it is interrupted.
     */
    private FileChannel channel() throws IOException {
        if (!journal.isOpen() && !closed) {
            FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE);
            try {
                lock(file, ch);
                ch.position(ch.size());
            } catch (IOException | RuntimeException e) {
                ch.close();
                throw e;
            }
            journal = ch;
            LOG.warn("{}: opened again after an interrupted caller closed it", file);
        }
        return journal;
    }

    /** Records in the journal (written since the last {@link #compact}, or loaded). */
    int records() {
        return records;
    }

    /** Writes every lease as the new snapshot (atomically) and empties the journal. */
    void compact(long revision, Collection<Stored> leases) throws IOException {
        ObjectNode o = LeaseJson.MAPPER.createObjectNode();
        o.put(REVISION, revision);
        ArrayNode array = o.putArray(LEASES);
        for (Stored s : leases) {
            ObjectNode item = array.addObject();
            item.put(TTL, s.ttlSeconds());
            item.set(LEASE, LeaseJson.toTree(s.lease(), true));
        }
        Path target = dir.resolve(SNAPSHOT);
        Path tmp = dir.resolve(SNAPSHOT + ".tmp");
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
            StandardOpenOption.TRUNCATE_EXISTING)) {
            writeFully(ch, write(o).getBytes(StandardCharsets.UTF_8));
            ch.force(true);
        }
        try {
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
        }
        syncDirectory(dir);
        // Only now may the journal go: until the rename is durable its records are still needed.
        FileChannel ch = channel();
        ch.truncate(0);
        ch.position(0);
        ch.force(true);
        records = 0;
    }

    @Override
    public void close() throws IOException {
        closed = true;
        journal.close(); // releases the lock
    }

    private static void writeFully(FileChannel ch, byte[] bytes) throws IOException {
        ByteBuffer buf = ByteBuffer.wrap(bytes);
        while (buf.hasRemaining()) {
            ch.write(buf);
        }
    }

    /** Makes a created or renamed entry of {@code dir} durable. */
    private static void syncDirectory(Path dir) {
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        } catch (IOException e) {
            LOG.debug("{}: cannot sync the directory ({}); some file systems do not allow it", dir, e.getMessage());
        }
    }

    private static String line(ObjectNode o) {
        return write(o) + "\n";
    }

    private static String write(ObjectNode o) {
        try {
            return LeaseJson.MAPPER.writeValueAsString(o);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a tree of strings and numbers always writes", e);
        }
    }
}
