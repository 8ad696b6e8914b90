package io.muslin.node.state;

import io.muslin.control.lease.LeaseJson;
import io.muslin.dataplane.packet.MacAddress;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps a generated VTEP MAC across restarts, in {@code <stateDir>/<interface>.mac}.
 *
 * <p>Peers hold this node's MAC in permanent ARP and FDB entries. flannel once let the kernel
 * pick a new random MAC on every start, so a restarted node was unreachable until every peer
 * re-read its lease (flannel #1795, #1330, k3s #9957). So the MAC is generated once (random,
 * unicast, locally administered, as the kernel does) and reused on every later start.
 *
 * <p>The file holds one line, {@code 6e:75:73:00:00:01}, and is written atomically. A file that
 * does not hold a unicast MAC is an error naming the file; it is never silently replaced.
 */
public final class VtepMacStore {
    public static final String DEFAULT_DIR = "/var/lib/muslin";
    private static final Logger LOG = LoggerFactory.getLogger(VtepMacStore.class);

    private final Path dir;

    public VtepMacStore(Path dir) {
        this.dir = dir;
    }

    /** The file holding the MAC of {@code interfaceName}. */
    public Path fileFor(String interfaceName) {
        return dir.resolve(interfaceName + ".mac");
    }

    /** The stored MAC for {@code interfaceName}; generates and stores one first if there is none. */
    public long loadOrCreate(String interfaceName) throws IOException {
        Path file = fileFor(interfaceName);
        String text;
        try {
            text = Files.readString(file, StandardCharsets.US_ASCII);
        } catch (NoSuchFileException e) {
            long mac = MacAddress.randomLocal();
            AtomicFiles.write(file, MacAddress.format(mac) + "\n", AtomicFiles.WORLD_READABLE);
            LOG.info("generated VTEP MAC {} for {}, kept in {}", MacAddress.format(mac), interfaceName, file);
            return mac;
        }
        try {
            return LeaseJson.parseVtepMac(text.strip());
        } catch (IllegalArgumentException e) {
            throw new IOException("corrupt VTEP MAC file " + file + ": " + e.getMessage()
                + "; delete it to generate a new MAC (peers must then learn the new one)", e);
        }
    }
}
