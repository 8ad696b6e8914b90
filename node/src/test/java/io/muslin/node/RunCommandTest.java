package io.muslin.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.muslin.dataplane.Encapsulation;
import io.muslin.dataplane.Encapsulation;
import io.muslin.dataplane.engine.DataplaneSettings;
import io.muslin.dataplane.packet.Ipv4Address;
import io.muslin.dataplane.packet.Ipv4Prefix;
import io.muslin.dataplane.packet.MacAddress;
import io.muslin.dataplane.path.SourceCheck;
import io.muslin.node.config.ConfigLoader;
import io.muslin.node.config.ExampleConfig;
import io.muslin.node.config.NodeConfig;
import io.muslin.node.state.VtepMacStore;
import java.io.IOException;
import java.net.NetworkInterface;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Turning a configuration into dataplane settings: MAC and MTU resolution. */
class RunCommandTest {
    @TempDir
    Path stateDir;

    @Test
    void configuredMacAndMtuAreUsedAsIs() throws Exception {
        NodeConfig cfg = ConfigLoader.parse(ExampleConfig.mutate("/Backend/MTU", "1400"));
        DataplaneSettings s = RunCommand.settings(cfg, stateDir, cfg.node().subnet());
        assertEquals(new DataplaneSettings("muslin0", Encapsulation.VXLAN, Ipv4Prefix.parse("10.244.0.0/16"), Ipv4Prefix.parse("10.244.1.0/24"),
            Ipv4Address.parse("192.168.50.1"), MacAddress.parse("6e:75:73:00:00:01"), 1, 8472, 1400, false, 0, 1450, 0,
            SourceCheck.Mode.STRICT, NodeConfig.Dataplane.THREADS.defaultValue(),
            NodeConfig.Dataplane.IDLE_SPIN_MICROS.defaultValue()), s);
    }

    @Test
    void dualStackSettingsCarryTheIpv6Half() throws Exception {
        NodeConfig cfg = ConfigLoader.parse("""
            {"Network":"10.244.0.0/16","EnableIPv6":true,"IPv6Network":"fd00:10:244::/56","Backend":{"MTU":1400},
             "Node":{"Name":"n1","PublicIP":"192.168.50.1","Subnet":"10.244.1.0/24","VtepMAC":"6e:75:73:00:00:01",
                     "IPv6Subnet":"fd00:10:244:1::/64","PublicIPv6":"fd00:50::1"}}
            """);
        DataplaneSettings s = RunCommand.settings(cfg, stateDir, cfg.node().subnet());
        assertEquals(new DataplaneSettings.Ipv6(io.muslin.dataplane.packet.Ipv6Prefix.parse("fd00:10:244::/56"),
            io.muslin.dataplane.packet.Ipv6Prefix.parse("fd00:10:244:1::/64"),
            io.muslin.dataplane.packet.Ipv6Address.parse("fd00:50::1"), MacAddress.parse("6a:75:73:00:00:01"),
            1400 + 70), s.ipv6(), "a configured MTU is taken for both tunnels: the IPv6 underlay has 70 more");
        assertEquals(1400, s.mtu());
        assertEquals(s, RunCommand.withPublicIp(cfg, s, s.publicIp()), "the IPv6 half survives a PublicIP change");
    }

    @Test
    void absentMacIsGeneratedOnceAndKept() throws Exception {
        String json = ExampleConfig.mutate("/Backend/MTU", "1400");
        NodeConfig cfg = ConfigLoader.parse(json.replace("\"VtepMAC\":\"6e:75:73:00:00:01\",", ""));
        long mac = RunCommand.settings(cfg, stateDir, cfg.node().subnet()).vtepMac();
        assertEquals(mac, RunCommand.settings(cfg, stateDir, cfg.node().subnet()).vtepMac());
        assertEquals(mac, new VtepMacStore(stateDir).loadOrCreate("muslin0"));
        assertTrue(!MacAddress.isMulticast(mac));
    }

    @Test
    void autoMtuIsTheUnderlayMtuLessVxlanOverhead() throws IOException {
        int loopback = Ipv4Address.parse("127.0.0.1");
        int underlay = NetworkInterface.getByInetAddress(Ipv4Address.toInet(loopback)).getMTU();
        assertEquals(Math.min(underlay - Encapsulation.VXLAN.bytes(4), 65535), UnderlayMtu.tunnelMtu(loopback, Encapsulation.VXLAN));
        assertEquals(Math.min(underlay - 20, 65535), UnderlayMtu.tunnelMtu(loopback, Encapsulation.IPIP));
        assertEquals(Math.min(underlay, 65535), UnderlayMtu.tunnelMtu(loopback, Encapsulation.NONE));
    }

    @Test
    void autoMtuNeedsPublicIpOnALocalInterface() throws Exception {
        NodeConfig cfg = ConfigLoader.parse(ExampleConfig.mutate("/Node/PublicIP", "\"192.0.2.77\""));
        IOException e = assertThrows(IOException.class, () -> RunCommand.settings(cfg, stateDir, cfg.node().subnet()));
        assertEquals("Node.PublicIP 192.0.2.77 is not assigned to any local interface "
            + "(needed to compute the MTU; or set Backend.MTU)", e.getMessage());
    }
}
