package io.muslin.node.admin;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedSelectorException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Iterator;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node's admin socket: a Unix domain stream socket, mode 0600 (root only), default
 * {@code /run/muslin/<interface>.sock}.
 *
 * <p>Protocol: the client sends one line ({@code routes}, {@code neigh}, {@code fdb},
 * {@code stats}; see {@link AdminCommand}), the server writes the reply and closes. An unknown
 * command gets one {@code error: ...} line.
 *
 * <p>Thread: one daemon thread, {@code muslin-admin}, runs a selector over the listening socket
 * and its clients; it only reads table snapshots and counters, never touches the packet path.
 * A client that sends nothing is dropped after {@link #CLIENT_TIMEOUT_MILLIS}, so one stuck
 * client cannot block the others.
 *
 * <p>Files: the socket is bound under a temporary name, restricted to 0600 and then renamed
 * into place, so it is never reachable with a wider mode. A stale socket file (no one
 * listening) is replaced; a live one is an error. {@link #close} removes the file if it is
 * still ours.
 */
public final class AdminServer implements AutoCloseable {
    public static final String DEFAULT_DIR = "/run/muslin";
    /** Longest request line accepted, in bytes. */
    static final int MAX_REQUEST = 4096;
    static final long CLIENT_TIMEOUT_MILLIS = 5_000;
    private static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rw-------");
    private static final Logger LOG = LoggerFactory.getLogger(AdminServer.class);

    private final Path path;
    private final AdminView view;
    private final ServerSocketChannel server;
    private final Selector selector;
    private final Object fileKey;
    private final Thread thread;
    private volatile boolean closed;

    private AdminServer(Path path, AdminView view, ServerSocketChannel server, Selector selector, Object fileKey) {
        this.path = path;
        this.view = view;
        this.server = server;
        this.selector = selector;
        this.fileKey = fileKey;
        this.thread = Thread.ofPlatform().daemon().name("muslin-admin").unstarted(this::run);
    }

    /** {@code /run/muslin/<interface>.sock}. */
    public static Path defaultSocket(String interfaceName) {
        return Path.of(DEFAULT_DIR, interfaceName + ".sock");
    }

    /** Binds {@code path} (creating its directory) and starts serving {@code view}. */
    public static AdminServer start(Path path, AdminView view) throws IOException {
        Objects.requireNonNull(view, "view");
        Files.createDirectories(path.toAbsolutePath().getParent());
        removeStale(path);
        Path tmp = path.resolveSibling(path.getFileName() + ".new");
        Files.deleteIfExists(tmp);
        ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        Selector selector = null;
        boolean moved = false;
        boolean success = false;
        try {
            server.bind(UnixDomainSocketAddress.of(tmp));
            Files.setPosixFilePermissions(tmp, OWNER_ONLY);
            Files.move(tmp, path, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            moved = true;
            Object fileKey = Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).fileKey();
            server.configureBlocking(false);
            selector = Selector.open();
            server.register(selector, SelectionKey.OP_ACCEPT);
            AdminServer admin = new AdminServer(path, view, server, selector, fileKey);
            admin.thread.start();
            success = true;
            return admin;
        } finally {
            if (!success) {
                closeQuietly(server);
                if (selector != null) {
                    closeQuietly(selector);
                }
                Files.deleteIfExists(tmp);
                if (moved) {
                    Files.deleteIfExists(path);
                }
            }
        }
    }

    public Path path() {
        return path;
    }

    /** Stops the thread, closes the socket and removes its file (if still ours). Idempotent. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        selector.wakeup();
        try {
            thread.join(TimeUnit.SECONDS.toMillis(2));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            for (SelectionKey key : selector.keys()) {
                closeQuietly(key.channel());
            }
        } catch (ClosedSelectorException e) {
            // already closed
        }
        closeQuietly(selector);
        closeQuietly(server);
        try {
            Object current = Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).fileKey();
            if (Objects.equals(current, fileKey)) {
                Files.deleteIfExists(path);
            }
        } catch (IOException e) {
            // gone already, or replaced by someone else's socket: leave it
        }
    }

    private void run() {
        try {
            while (!closed) {
                selector.select(CLIENT_TIMEOUT_MILLIS / 5);
                Iterator<SelectionKey> it = selector.selectedKeys().iterator();
                while (it.hasNext()) {
                    SelectionKey key = it.next();
                    it.remove();
                    if (!key.isValid()) {
                        continue;
                    }
                    if (key.isAcceptable()) {
                        accept();
                    } else {
                        serve(key);
                    }
                }
                expireClients();
            }
        } catch (IOException | ClosedSelectorException e) {
            if (!closed) {
                LOG.warn("admin socket {} stopped: {}", path, e.toString());
            }
        }
    }

    private void accept() {
        try {
            SocketChannel ch = server.accept();
            if (ch != null) {
                ch.configureBlocking(false);
                ch.register(selector, SelectionKey.OP_READ, new Client(System.nanoTime()
                    + TimeUnit.MILLISECONDS.toNanos(CLIENT_TIMEOUT_MILLIS)));
            }
        } catch (IOException e) {
            LOG.warn("admin socket {}: accept failed: {}", path, e.toString());
        }
    }

    private void serve(SelectionKey key) {
        try {
            if (key.isReadable()) {
                read(key);
            } else if (key.isWritable()) {
                write(key);
            }
        } catch (IOException | RuntimeException e) {
            LOG.debug("admin client dropped: {}", e.toString());
            closeClient(key);
        }
    }

    private void read(SelectionKey key) throws IOException {
        Client c = (Client) key.attachment();
        if (c.draining) {
            // Reply sent: discard what the client still sends until it closes, so that closing
            // with unread bytes does not reset the connection before the client read the reply.
            c.in.clear();
            if (((SocketChannel) key.channel()).read(c.in) < 0) {
                closeClient(key);
            }
            return;
        }
        int n = ((SocketChannel) key.channel()).read(c.in);
        int end = indexOfNewline(c.in);
        String reply;
        if (end >= 0 || n < 0) {
            String line = new String(c.in.array(), 0, end >= 0 ? end : c.in.position(), StandardCharsets.UTF_8).strip();
            if (line.startsWith(CaptureRequest.WORD + " ") || line.equals(CaptureRequest.WORD)) {
                // A stream, not a reply: the capture's own thread owns the connection from here.
                key.cancel();
                CaptureStream.start((SocketChannel) key.channel(), view.capture(),
                    line.substring(CaptureRequest.WORD.length()).strip());
                return;
            }
            reply = AdminCommand.handle(line, view);
        } else if (!c.in.hasRemaining()) {
            reply = "error: request longer than " + MAX_REQUEST + " bytes (accepted: " + AdminCommand.accepted() + ")\n";
        } else {
            return; // wait for the rest of the line
        }
        c.out = ByteBuffer.wrap(reply.getBytes(StandardCharsets.UTF_8));
        key.interestOps(SelectionKey.OP_WRITE);
        write(key);
    }

    private void write(SelectionKey key) throws IOException {
        Client c = (Client) key.attachment();
        SocketChannel ch = (SocketChannel) key.channel();
        ch.write(c.out);
        if (!c.out.hasRemaining()) {
            ch.shutdownOutput();
            c.draining = true;
            key.interestOps(SelectionKey.OP_READ);
        }
    }

    private void expireClients() {
        long now = System.nanoTime();
        for (SelectionKey key : selector.keys()) {
            if (key.isValid() && key.attachment() instanceof Client c && now - c.deadline > 0) {
                LOG.debug("admin client timed out");
                closeClient(key);
            }
        }
    }

    private static int indexOfNewline(ByteBuffer in) {
        byte[] a = in.array();
        for (int i = 0; i < in.position(); i++) {
            if (a[i] == '\n') {
                return i;
            }
        }
        return -1;
    }

    private static void closeClient(SelectionKey key) {
        key.cancel();
        closeQuietly(key.channel());
    }

    /** Deletes a socket file no one listens on; refuses a live socket or a file that is not a socket. */
    private static void removeStale(Path path) throws IOException {
        BasicFileAttributes attrs;
        try {
            attrs = Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (IOException e) {
            return; // absent
        }
        if (!attrs.isOther()) {
            throw new IOException("admin socket path " + path + " exists and is not a socket");
        }
        if (someoneListens(path)) {
            throw new IOException("admin socket " + path + " is in use (is another muslin running for this interface?)");
        }
        Files.deleteIfExists(path);
        LOG.info("replaced stale admin socket {}", path);
    }

    private static boolean someoneListens(Path path) {
        try {
            SocketChannel.open(UnixDomainSocketAddress.of(path)).close();
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static void closeQuietly(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception e) {
            // closing: nothing left to do
        }
    }

    /** One connection's request and reply buffers. */
    private static final class Client {
        final long deadline;
        final ByteBuffer in = ByteBuffer.allocate(MAX_REQUEST);
        ByteBuffer out;
        boolean draining;

        Client(long deadline) {
            this.deadline = deadline;
        }
    }
}
