package io.muslin.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.muslin.control.lease.Lease;
import io.muslin.control.program.PeerProgrammer;
import io.muslin.dataplane.packet.Ipv4Address;
import io.muslin.dataplane.packet.Ipv4Prefix;
import io.muslin.dataplane.table.Tables;
import io.muslin.node.config.ConfigLoader;
import io.muslin.node.config.ExampleConfig;
import io.muslin.node.config.NodeConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Peers follow the file: added, changed and removed on reload; a broken file changes nothing. */
class StaticPeerFileTest {
    private static final Ipv4Prefix S2 = Ipv4Prefix.parse("10.244.2.0/24");
    private static final Ipv4Prefix S3 = Ipv4Prefix.parse("10.244.3.0/24");

    @TempDir
    Path dir;

    private final Tables tables = new Tables();
    private final PeerProgrammer programmer = new PeerProgrammer(tables, Ipv4Prefix.parse("10.244.0.0/16"),
        Ipv4Prefix.parse("10.244.1.0/24"), 1);

    private static String withPeers(String peersJson) throws Exception {
        return ExampleConfig.mutate("/Peers", peersJson);
    }

    private static String peer(int i, String publicIp) {
        return "{\"Subnet\":\"10.244." + i + ".0/24\",\"PublicIP\":\"" + publicIp
            + "\",\"BackendType\":\"vxlan\",\"BackendData\":{\"VNI\":1,\"VtepMAC\":\"6e:75:73:00:00:0" + i + "\"}}";
    }

    private int nextHopOf(Ipv4Prefix subnet) {
        var r = tables.snapshot().lookupRoute(subnet.address() + 1);
        return r == null ? 0 : tables.snapshot().lookupFdb(tables.snapshot().lookupArp(r.nextHop())).underlay();
    }

    @Test
    void followsTheFile() throws Exception {
        Path file = dir.resolve("node.json");
        Files.writeString(file, withPeers("[" + peer(2, "192.168.50.2") + "]"));
        NodeConfig cfg = ConfigLoader.load(file);
        try (StaticPeerFile source = new StaticPeerFile(file, cfg, Duration.ofHours(1))) {
            source.start(programmer);
            assertEquals(List.of(S2), programmer.peers().stream().map(Lease::subnet).toList());

            Files.writeString(file, withPeers("[" + peer(2, "192.168.50.22") + "," + peer(3, "192.168.50.3") + "]"));
            source.check();
            assertEquals(List.of(S2, S3), programmer.peers().stream().map(Lease::subnet).toList());
            assertEquals(Ipv4Address.parse("192.168.50.22"), nextHopOf(S2), "changed PublicIP applied");

            Files.writeString(file, "{ not json");
            source.check();
            assertEquals(2, programmer.peers().size(), "a broken file changes nothing");

            Files.writeString(file, withPeers("[" + peer(3, "192.168.50.3") + "]"));
            source.check();
            assertEquals(List.of(S3), programmer.peers().stream().map(Lease::subnet).toList());
            assertNull(tables.snapshot().lookupRoute(S2.address() + 1), "removed peer's route is gone");

            Files.delete(file);
            source.check();
            assertEquals(1, programmer.peers().size(), "an unreadable file changes nothing");
        }
    }
}
