package io.muslin.node;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.muslin.control.lease.Lease;
import io.muslin.control.program.PeerProgrammer;
import io.muslin.dataplane.packet.Ipv4Prefix;
import io.muslin.dataplane.table.Tables;
import io.muslin.node.config.ConfigException;
import io.muslin.node.config.ConfigLoader;
import io.muslin.node.config.ExampleConfig;
import io.muslin.node.config.JsonTokens;
import io.muslin.node.config.NodeConfig;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Fuzz target: the static peer file as it changes under a running node,
 * {@link StaticPeerFile#reload(byte[])}: each input is the file's next content.
 *
 * <p>What must hold: no exception escapes (the watcher must live on); content that does not
 * validate changes nothing, so no peer already accepted is lost; valid content leaves programmed
 * exactly its peers of this node's backend and VNI that lie in the network the node runs with
 * and do not overlap its subnet.
 */
class StaticPeerFileFuzzTest {
    static {
        // One log line per rejected file would cost more than the reload itself.
        System.setProperty("org.slf4j.simpleLogger.log.io.muslin.node.StaticPeerFile", "off");
        System.setProperty("org.slf4j.simpleLogger.log.io.muslin.control.program.PeerProgrammer", "off");
    }

    /** One node for the whole run (its watcher thread is a daemon and never fires: a day's interval). */
    private static StaticPeerFile source;
    private static PeerProgrammer programmer;
    private static NodeConfig loaded;

    static Stream<byte[]> seeds() throws IOException {
        String two = ExampleConfig.mutate("/Peers", "[" + peer(2, "192.168.50.2") + "," + peer(3, "192.168.50.3") + "]");
        String changed = ExampleConfig.mutate("/Peers", "[" + peer(3, "192.168.50.33") + "]");
        String otherNetwork = two.replace("10.244.", "10.245.");
        return Stream.of(two, changed, "{ not json", otherNetwork, ExampleConfig.text())
            .map(s -> s.getBytes(StandardCharsets.UTF_8));
    }

    private static String peer(int i, String publicIp) {
        return "{\"Subnet\":\"10.244." + i + ".0/24\",\"PublicIP\":\"" + publicIp
            + "\",\"BackendType\":\"vxlan\",\"BackendData\":{\"VNI\":1,\"VtepMAC\":\"6e:75:73:00:00:0" + i + "\"}}";
    }

    private static synchronized StaticPeerFile source() {
        if (source == null) {
            try {
                Path file = Files.createTempFile("muslin-fuzz-", ".json");
                file.toFile().deleteOnExit();
                Files.writeString(file, ExampleConfig.text());
                loaded = ConfigLoader.load(file);
                programmer = new PeerProgrammer(new Tables(), loaded.network(), loaded.node().subnet(), loaded.backend().vni());
                source = new StaticPeerFile(file, loaded, Duration.ofDays(1));
                source.start(programmer);
            } catch (IOException | ConfigException e) {
                throw new IllegalStateException("setting up the fuzz target", e);
            }
        }
        return source;
    }

    @JsonTokens
    @MethodSource("seeds")
    @FuzzTest
    void reload(byte[] content) {
        StaticPeerFile file = source();
        Set<Lease> before = new HashSet<>(programmer.peers());
        NodeConfig next;
        try {
            next = ConfigLoader.parse(new String(content, StandardCharsets.UTF_8));
        } catch (ConfigException e) {
            next = null;
        }
        file.reload(content);
        Set<Lease> after = new HashSet<>(programmer.peers());
        if (next == null) {
            assertEquals(before, after, "content that does not validate changed the peers");
            return;
        }
        Ipv4Prefix network = loaded.network();
        Ipv4Prefix own = loaded.node().subnet();
        Set<Lease> expected = next.peers().stream()
            .filter(l -> l.isVxlan() && l.vni() == loaded.backend().vni())
            .filter(l -> network.contains(l.subnet()) && !l.subnet().contains(own) && !own.contains(l.subnet()))
            .collect(Collectors.toSet());
        assertEquals(expected, after, "the peers programmed from valid content");
    }
}
