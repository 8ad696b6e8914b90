package io.muslin.node.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.muslin.control.hub.client.HubEndpoint;
import io.muslin.control.lease.Lease;
import io.muslin.dataplane.Encapsulation;
import io.muslin.dataplane.packet.Ipv4Address;
import io.muslin.dataplane.packet.Ipv4Prefix;
import io.muslin.dataplane.packet.MacAddress;
import io.muslin.dataplane.path.SourceCheck;
import io.muslin.node.config.NodeConfig.Backend;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ConfigLoaderTest {
    @Test
    void loadsTheExample() throws Exception {
        NodeConfig cfg = ConfigLoader.parse(ExampleConfig.text());

        assertEquals(Ipv4Prefix.parse("10.244.0.0/16"), cfg.network());
        assertEquals(24, cfg.subnetLen());
        assertEquals(new Backend("vxlan", 1, 8472, Backend.AUTO_MTU, false, 0), cfg.backend());
        assertEquals(new NodeConfig.Node("node1", Ipv4Address.parse("192.168.50.1"), Ipv4Prefix.parse("10.244.1.0/24"),
            MacAddress.parse("6e:75:73:00:00:01"), "muslin0"), cfg.node());
        assertEquals(List.of(Lease.vxlan(Ipv4Prefix.parse("10.244.2.0/24"), Ipv4Address.parse("192.168.50.2"), 1,
            MacAddress.parse("6e:75:73:00:00:02"))), cfg.peers());
    }

    @Test
    void loadsFromFile(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("node1.json");
        Files.writeString(file, ExampleConfig.text());
        assertEquals("node1", ConfigLoader.load(file).node().name());
    }

    @Test
    void defaults() throws Exception {
        NodeConfig cfg = ConfigLoader.parse("""
            {"Network":"10.244.0.0/16",
             "Node":{"Name":"n","PublicIP":"192.168.50.1","Subnet":"10.244.1.0/24"}}
            """);
        assertEquals(24, cfg.subnetLen());
        assertEquals(Backend.DEFAULTS, cfg.backend());
        assertEquals(new Backend("vxlan", 1, 8472, 0, false, 0), cfg.backend());
        assertTrue(cfg.backend().autoMtu());
        assertEquals("muslin0", cfg.node().interfaceName());
        assertEquals(MacAddress.NONE, cfg.node().vtepMac());
        assertEquals(List.of(), cfg.peers());
        assertEquals(Math.min(64, Runtime.getRuntime().availableProcessors()), cfg.dataplane().threads());
        assertEquals(SourceCheck.Mode.STRICT, cfg.sourceCheck());
    }

    @Test
    void sourceCheck() throws Exception {
        String node = "\"Node\":{\"Name\":\"n\",\"PublicIP\":\"192.168.50.1\",\"Subnet\":\"10.244.1.0/24\"}";
        for (String type : List.of("vxlan", "ipip")) {
            for (SourceCheck.Mode mode : SourceCheck.Mode.values()) {
                NodeConfig cfg = ConfigLoader.parse("{\"Network\":\"10.244.0.0/16\",\"Backend\":{\"Type\":\"" + type
                    + "\"},\"SourceCheck\":\"" + mode.name().toLowerCase() + "\"," + node + "}");
                assertEquals(mode, cfg.sourceCheck());
            }
        }
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.parse(
            "{\"Network\":\"10.244.0.0/16\",\"Backend\":{\"Type\":\"host-gw\"},\"SourceCheck\":\"off\"," + node + "}"));
        assertEquals("SourceCheck: host-gw has no tunnel to check senders on (the kernel's rp_filter does; accepted: "
            + "only with \"vxlan\" or \"ipip\")", e.getMessage());
    }

    @Test
    void dataplaneThreads() throws Exception {
        assertEquals(1, ConfigLoader.parse(ExampleConfig.mutate("/Dataplane", "{\"Threads\":1}")).dataplane().threads());
        assertEquals(64, ConfigLoader.parse(ExampleConfig.mutate("/Dataplane", "{\"Threads\":64}")).dataplane().threads());
        assertEquals(NodeConfig.Dataplane.DEFAULTS, ConfigLoader.parse(ExampleConfig.mutate("/Dataplane", "{}")).dataplane());
        assertEquals(250, ConfigLoader.parse(ExampleConfig.mutate("/Dataplane", "{\"IdleSpinMicros\":250}")).dataplane()
            .idleSpinMicros());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', textBlock = """
        {"Threads":0}      | Dataplane.Threads: 0 is out of range (accepted: 1-64)
        {"Threads":-2}     | Dataplane.Threads: -2 is out of range (accepted: 1-64)
        {"Threads":65}     | Dataplane.Threads: 65 is out of range (accepted: 1-64)
        {"Threads":"2"}    | Dataplane.Threads: not an integer: "2" (accepted: 1-64)
        {"threads":2}      | Dataplane.threads: unknown field (did you mean "Threads"? accepted: Threads, IdleSpinMicros)
        {"IdleSpinMicros":-1}    | Dataplane.IdleSpinMicros: -1 is out of range (accepted: 0-10000)
        {"IdleSpinMicros":10001} | Dataplane.IdleSpinMicros: 10001 is out of range (accepted: 0-10000)
        """)
    void badDataplaneFieldsNameTheFieldAndRange(String dataplane, String message) {
        ConfigException e = assertThrows(ConfigException.class,
            () -> ConfigLoader.parse(ExampleConfig.mutate("/Dataplane", dataplane)));
        assertEquals(message, e.getMessage());
    }

    @Test
    void explicitValues() throws Exception {
        NodeConfig cfg = ConfigLoader.parse("""
            {"Network":"10.0.0.0/8","SubnetLen":20,"Backend":{"Type":"vxlan","VNI":16777215,"Port":4789,"MTU":9000},
             "Node":{"Name":"n","PublicIP":"192.168.50.1","Subnet":"10.1.16.0/20","Interface":"vx_1.a-b"}}
            """);
        assertEquals(20, cfg.subnetLen());
        assertEquals(new Backend("vxlan", 16777215, 4789, 9000, false, 0), cfg.backend());
        assertEquals("vx_1.a-b", cfg.node().interfaceName());
    }

    @Test
    void otherBackends() throws Exception {
        NodeConfig ipip = ConfigLoader.parse("""
            {"Network":"10.244.0.0/16","Backend":{"Type":"ipip","DirectRouting":true},
             "Node":{"Name":"n","PublicIP":"192.168.50.1","Subnet":"10.244.1.0/24"},
             "Peers":[{"Subnet":"10.244.2.0/24","PublicIP":"192.168.50.2","BackendType":"ipip"}]}
            """);
        assertEquals(new Backend("ipip", 1, 8472, 0, true, 0), ipip.backend());
        assertEquals(Encapsulation.IPIP, ipip.backend().encapsulation());
        assertEquals(List.of(Lease.of(Lease.IPIP, Ipv4Prefix.parse("10.244.2.0/24"), Ipv4Address.parse("192.168.50.2"))),
            ipip.peers());
        NodeConfig hostGw = ConfigLoader.parse("""
            {"Network":"10.244.0.0/16","Backend":{"Type":"host-gw"},
             "Node":{"Name":"n","PublicIP":"192.168.50.1","Subnet":"10.244.1.0/24"}}
            """);
        assertEquals(Encapsulation.NONE, hostGw.backend().encapsulation());
        assertFalse(hostGw.backend().directRouting());
    }

    @Test
    void etcdControl() throws Exception {
        NodeConfig cfg = ConfigLoader.parse("""
            {"Network":"10.244.0.0/16","Control":{"Type":"etcd","Endpoints":["http://192.168.50.1:2379"],"TTL":60},
             "Node":{"Name":"n","PublicIP":"192.168.50.1"}}
            """);
        assertTrue(cfg.control().etcd());
        assertEquals(List.of(java.net.URI.create("http://192.168.50.1:2379")), cfg.control().endpoints());
        assertEquals("/coreos.com/network", cfg.control().prefix());
        assertEquals(60, cfg.control().ttlSeconds());
        assertEquals(null, cfg.node().subnet(), "allocated from etcd when absent");
        assertFalse(ConfigLoader.parse(ExampleConfig.text()).control().etcd(), "static by default");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', textBlock = """
        /Control      | {"Type":"zk"}                                      | Control.Type: "zk" is not supported (accepted: static, etcd, hub, bgp)
        /Control      | {"Type":"etcd"}                                    | Control.Endpoints: missing (expected: etcd client URLs such as ["http://192.168.50.1:2379"])
        /Control      | {"Type":"etcd","Endpoints":["ftp://x:1"]}          | Control.Endpoints[0]: "ftp://x:1" is not an etcd client URL (expected: http://host:port or https://host:port)
        /Control      | {"Type":"etcd","Endpoints":["//19:278"]}           | Control.Endpoints[0]: "//19:278" is not an etcd client URL (expected: http://host:port or https://host:port)
        /Control      | {"Type":"etcd","Endpoints":["http://a:1"],"Prefix":"x/"} | Control.Prefix: "x/" (expected: a key prefix that starts with / and does not end with /)
        /Control      | {"Type":"static","TTL":5}                          | Control.TTL: applies to Type "etcd" or "hub" only
        /Control      | {"Type":"hub","Insecure":true}                     | Control.Endpoints: missing (expected: hub addresses such as ["192.168.50.1:8473"])
        /Control      | {"Type":"hub","Endpoints":["a:0"],"Insecure":true} | Control.Endpoints[0]: hub endpoint: port 0 is out of range (accepted: 1-65535)
        /Control      | {"Type":"hub","Endpoints":["a:x"],"Insecure":true} | Control.Endpoints[0]: hub endpoint: "a:x" has no port number (expected: host:port, port 1-65535)
        /Control      | {"Type":"hub","Endpoints":["192b15:xg:873"],"Insecure":true} | Control.Endpoints[0]: hub endpoint: "192b15:xg:873": "192b15:xg" is not a host name or IPv4 address (expected: host:port, or [v6]:port for IPv6)
        /Control      | {"Type":"hub","Endpoints":["[fd00::1::2]:8473"],"Insecure":true} | Control.Endpoints[0]: hub endpoint: "[fd00::1::2]:8473": [fd00::1::2] is not an IPv6 address (expected: [v6]:port)
        /Control      | {"Type":"hub","Endpoints":["hub/1.example:8473"],"Insecure":true} | Control.Endpoints[0]: hub endpoint: "hub/1.example:8473": "hub/1.example" is not a host name or IPv4 address (expected: host:port, or [v6]:port for IPv6)
        /Control      | {"Type":"hub","Endpoints":["a:1"]}                 | Control.CAFile: missing (a hub needs the cluster CA, this node's certificate and key; make them with "muslin ca", or set Insecure true for plaintext)
        /Control      | {"Type":"hub","Endpoints":["a:1"],"CAFile":"c","CertFile":"d"} | Control.KeyFile: missing (a hub needs the cluster CA, this node's certificate and key; make them with "muslin ca", or set Insecure true for plaintext)
        /Control      | {"Type":"hub","Endpoints":["a:1"],"Insecure":true,"KeyFile":"k"} | Control.KeyFile: given with Insecure true (accepted: TLS files, or Insecure true, not both)
        /Control      | {"Type":"hub","Endpoints":["a:1"],"Insecure":true,"Prefix":"/x"} | Control.Prefix: applies to Type "etcd" only (a hub keeps its own layout)
        /Control      | {"Type":"etcd","Endpoints":["http://a:1"],"Insecure":true} | Control.Insecure: applies to Type "hub" only (etcd is plaintext unless CAFile/CertFile/KeyFile are given)
        /Control      | {"Type":"etcd","Endpoints":["http://a:1"],"TTL":1} | Control.TTL: 1 is out of range (accepted: 3-604800)
        /Control      | {"Type":"etcd","Endpoints":["http://a:1"],"CAFile":"/etc/ca\\u0000.crt"} | Control.CAFile: not a file path (Nul character not allowed)
        """)
    void controlErrorsNameTheField(String pointer, String value, String message) throws Exception {
        ConfigException e = assertThrows(ConfigException.class,
            () -> ConfigLoader.parse(ExampleConfig.mutate(pointer, value)));
        assertEquals(message, e.getMessage());
    }

    @Test
    void hubControl() throws Exception {
        NodeConfig cfg = ConfigLoader.parse("""
            {"Network":"10.244.0.0/16","SubnetMin":"10.244.10.0","SubnetMax":"10.244.20.0",
             "Control":{"Type":"hub","Endpoints":["192.168.50.1:8473","hub2"],"TTL":30,
                        "CAFile":"/pki/ca.crt","CertFile":"/pki/n.crt","KeyFile":"/pki/n.key"},
             "Node":{"Name":"n","PublicIP":"192.168.50.1"}}
            """);
        assertTrue(cfg.control().hub());
        assertTrue(cfg.control().shared());
        assertEquals(List.of(new HubEndpoint("192.168.50.1", 8473), new HubEndpoint("hub2", HubEndpoint.DEFAULT_PORT)),
            cfg.control().hubs());
        assertEquals(Path.of("/pki/n.key"), cfg.control().keyFile());
        assertFalse(cfg.control().insecure());
        assertEquals(30, cfg.control().ttlSeconds());
        assertEquals(null, cfg.node().subnet(), "allocated through the hub when absent");
        assertEquals(Ipv4Prefix.parse("10.244.10.0/24"), cfg.subnetMin());
        assertEquals(Ipv4Prefix.parse("10.244.20.0/24"), cfg.subnetMax());
    }

    private static final String BGP_NODE = """
        {"Network":"10.244.0.0/16","Backend":{"Type":"vxlan","DirectRouting":true},
         "Control":%s,
         "Node":{"Name":"n","PublicIP":"192.168.50.1","Subnet":"10.244.1.0/24"}}
        """;

    @Test
    void bgpControlHasCalicosDefaults() throws Exception {
        NodeConfig cfg = ConfigLoader.parse(BGP_NODE.formatted("""
            {"Type":"bgp","Peers":[{"Address":"192.168.50.250"},{"Address":"10.0.0.1","AS":4200000000,"Port":1179}]}"""));
        assertTrue(cfg.control().isBgp());
        assertFalse(cfg.control().shared());
        io.muslin.control.bgp.speaker.BgpControlConfig bgp = cfg.control().bgp();
        assertEquals(64512, bgp.as());
        assertEquals(90, bgp.holdTime());
        assertEquals(179, bgp.port());
        assertEquals(List.of(new io.muslin.control.bgp.speaker.BgpPeerConfig(Ipv4Address.parse("192.168.50.250"), 64512, 179),
            new io.muslin.control.bgp.speaker.BgpPeerConfig(Ipv4Address.parse("10.0.0.1"), 4_200_000_000L, 1179)),
            bgp.peers());
        io.muslin.control.bgp.speaker.BgpSettings s = bgp.settings(cfg.node().publicIp(), cfg.network());
        assertEquals(Ipv4Address.parse("192.168.50.1"), s.routerId(), "the router id is the PublicIP");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', textBlock = """
        {"Type":"bgp"}                                                         | Control.Peers: missing (expected: the route reflectors, or every other node, such as [{"Address": "192.168.50.250", "AS": 64512}])
        {"Type":"bgp","AS":0,"Peers":[{"Address":"192.168.50.9"}]}             | Control.AS: 0 is out of range (accepted: 1-4294967295)
        {"Type":"bgp","AS":4294967296,"Peers":[{"Address":"192.168.50.9"}]}    | Control.AS: 4294967296 is out of range (accepted: 1-4294967295)
        {"Type":"bgp","HoldTime":2,"Peers":[{"Address":"192.168.50.9"}]}       | Control.HoldTime: 2 is out of range (accepted: 0 or 3-65535; RFC 4271 refuses 1 and 2)
        {"Type":"bgp","HoldTime":65536,"Peers":[{"Address":"192.168.50.9"}]}   | Control.HoldTime: 65536 is out of range (accepted: 0 or 3-65535)
        {"Type":"bgp","Port":0,"Peers":[{"Address":"192.168.50.9"}]}           | Control.Port: 0 is out of range (accepted: 1-65535)
        {"Type":"bgp","Peers":[{"AS":64512}]}                                  | Control.Peers[0].Address: missing (expected: the peer's IPv4 address, such as "192.168.50.250")
        {"Type":"bgp","Peers":[{"Address":"192.168.50.9","Asn":1}]}            | Control.Peers[0].Asn: unknown field (accepted: Address, AS, Port)
        {"Type":"bgp","Peers":[{"Address":"10.244.3.1"}]}                      | Control.Peers[0].Address: 10.244.3.1 is inside Network 10.244.0.0/16 (expected: the peer's underlay address)
        {"Type":"bgp","Peers":[{"Address":"192.168.50.1"}]}                    | Control.Peers[0].Address: 192.168.50.1 is this node's Node.PublicIP (expected: another node or a route reflector)
        {"Type":"bgp","Peers":[{"Address":"192.168.50.9"},{"Address":"192.168.50.9"}]} | Control.Peers[1].Address: 192.168.50.9 is also Control.Peers[0].Address (expected: one entry per peer)
        {"Type":"bgp","Peers":[{"Address":"192.168.50.9","Port":70000}]}       | Control.Peers[0].Port: 70000 is out of range (accepted: 1-65535)
        {"Type":"bgp","TTL":30,"Peers":[{"Address":"192.168.50.9"}]}           | Control.TTL: applies to Type "etcd" or "hub" only
        {"Type":"hub","AS":64512,"Endpoints":["h:1"],"Insecure":true}          | Control.AS: applies to Type "bgp" only
        """)
    void bgpControlErrorsNameTheFieldAndTheRange(String control, String message) {
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.parse(BGP_NODE.formatted(control)));
        assertEquals(message, e.getMessage());
    }

    @Test
    void bgpControlTakesNoStaticPeers() {
        String json = BGP_NODE.formatted("{\"Type\":\"bgp\",\"Peers\":[{\"Address\":\"192.168.50.9\"}]}")
            .replaceFirst("\\{", "{\"Peers\": [], ");
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.parse(json));
        assertEquals("Peers: not used with Control.Type \"bgp\" (peers come from bgp; accepted: absent)", e.getMessage());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', textBlock = """
        10.244.1.1  | 10.244.9.0 | SubnetMin: 10.244.1.1 is not the first address of a /24 (expected: e.g. 10.244.10.0)
        10.245.1.0  | 10.244.9.0 | SubnetMin: SubnetMin 10.245.1.0/24 is outside Network 10.244.0.0/16
        10.244.1.0  | 10.9.9.0   | SubnetMax: SubnetMax 10.9.9.0/24 is outside Network 10.244.0.0/16
        10.244.9.0  | 10.244.1.0 | SubnetMin: SubnetMin 10.244.9.0 is above SubnetMax 10.244.1.0 (accepted: SubnetMin <= SubnetMax inside Network 10.244.0.0/16)
        """)
    void subnetRangeErrorsNameTheField(String min, String max, String message) throws Exception {
        String json = ExampleConfig.mutate("/SubnetMin", "\"" + min + "\"");
        json = json.replaceFirst("\\{", "{\"SubnetMax\": \"" + max + "\", ");
        String text = json;
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.parse(text));
        assertEquals(message, e.getMessage());
    }

    @Test
    void peersAreNotUsedWithEtcd() throws Exception {
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.parse(ExampleConfig.mutate("/Control",
            "{\"Type\":\"etcd\",\"Endpoints\":[\"http://a:1\"]}")));
        assertEquals("Peers: not used with Control.Type \"etcd\" (peers come from etcd; accepted: absent)", e.getMessage());
    }

    @Test
    void mssClamp() throws Exception {
        assertEquals(-1, ConfigLoader.parse(ExampleConfig.mutate("/Backend/MSSClamp", "\"auto\"")).backend().mssClamp());
        assertEquals(1360, ConfigLoader.parse(ExampleConfig.mutate("/Backend/MSSClamp", "1360")).backend().mssClamp());
        assertEquals(0, ConfigLoader.parse(ExampleConfig.mutate("/Backend/MSSClamp", "false")).backend().mssClamp());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', textBlock = """
        {"Type":"host-gw","DirectRouting":true} | Backend.DirectRouting: host-gw always routes directly (accepted: true only with "vxlan" or "ipip")
        {"Type":"ipip","VNI":1}                 | Backend.VNI: applies to "vxlan" only (Type is "ipip")
        {"Type":"host-gw","Port":8472}          | Backend.Port: applies to "vxlan" only (Type is "host-gw")
        {"Type":"host-gw","MSSClamp":"auto"}    | Backend.MSSClamp: host-gw has no tunnel to clamp for (accepted: only with "vxlan" or "ipip")
        {"Type":"vxlan","MSSClamp":535}         | Backend.MSSClamp: 535 is not valid (accepted: "auto", false, or 536-65495)
        {"Type":"ipip","MSSClamp":"on"}         | Backend.MSSClamp: "on" is not valid (accepted: "auto", false, or 536-65495)
        """)
    void backendOptionsMustFitTheType(String backend, String message) {
        ConfigException e = assertThrows(ConfigException.class,
            () -> ConfigLoader.parse(ExampleConfig.mutate("/Backend", backend)));
        assertEquals(message, e.getMessage());
    }

    @Test
    void metricsAreOffByDefaultAndListenWhereSaid() throws Exception {
        assertFalse(ConfigLoader.parse(ExampleConfig.mutate("/Metrics", "REMOVE")).metrics().enabled());
        NodeConfig cfg = ConfigLoader.parse(ExampleConfig.mutate("/Metrics", "{\"Listen\":\"127.0.0.1:9465\"}"));
        assertEquals(new java.net.InetSocketAddress("127.0.0.1", 9465), cfg.metrics().listen());
    }

    @Test
    void vniMessageIsExact() throws Exception {
        ConfigException e = assertThrows(ConfigException.class,
            () -> ConfigLoader.parse(ExampleConfig.mutate("/Backend/VNI", "16777216")));
        assertEquals("Backend.VNI: 16777216 is out of range (accepted: 0-16777215)", e.getMessage());
    }

    /** Each bad field: the message names its JSON path and what is accepted. */
    @ParameterizedTest(name = "{0} = {1}")
    @CsvSource(delimiter = '|', textBlock = """
        /Network                      | REMOVE                | Network: missing                                | IPv4 prefix such as 10.244.0.0/16
        /Network                      | "10.244.0.1/16"       | Network: host bits set in 10.244.0.1/16         | 10.244.0.0
        /Network                      | "10.244.0.0/30"       | Network: 10.244.0.0/30 has prefix length 30     | accepted: 1-29
        /Network                      | 5                     | Network: not a string: 5                        | IPv4 prefix
        /SubnetLen                    | 16                    | SubnetLen: 16 is out of range                   | accepted: 17-30 for Network 10.244.0.0/16
        /SubnetLen                    | 31                    | SubnetLen: 31 is out of range                   | accepted: 17-30
        /SubnetLen                    | "24"                  | SubnetLen: not an integer: "24"                 | accepted: 17-30
        /Backend                      | []                    | Backend: not a JSON object: an array            | Backend
        /Backend/Type                 | "udp"                 | Backend.Type: "udp" is not supported            | accepted: vxlan, ipip, host-gw
        /Backend/VNI                  | 16777216              | Backend.VNI: 16777216 is out of range           | accepted: 0-16777215
        /Backend/VNI                  | -1                    | Backend.VNI: -1 is out of range                 | accepted: 0-16777215
        /Backend/VNI                  | 99999999999999999999  | Backend.VNI: 99999999999999999999 is out of range | accepted: 0-16777215
        /Backend/VNI                  | "1"                   | Backend.VNI: not an integer: "1"                | accepted: 0-16777215
        /Backend/Port                 | 0                     | Backend.Port: 0 is out of range                 | accepted: 1-65535
        /Backend/Port                 | 65536                 | Backend.Port: 65536 is out of range             | accepted: 1-65535
        /Backend/MTU                  | 575                   | Backend.MTU: 575 is out of range                | accepted: 0 for auto, or 576-65535
        /Backend/MTU                  | 65536                 | Backend.MTU: 65536 is out of range              | accepted: 0 for auto, or 576-65535
        /Backend/MTU                  | 1400.5                | Backend.MTU: not an integer: 1400.5             | accepted: 0 for auto, or 576-65535
        /Backend/DirectRouting        | "yes"                 | Backend.DirectRouting: not a boolean: "yes"     | accepted: true, false
        /Backend/vni                  | 1                     | Backend.vni: unknown field (did you mean "VNI"? | accepted: Type, VNI, Port, MTU, DirectRouting, MSSClamp
        /Extra                        | 1                     | Extra: unknown field                            | accepted: Network, SubnetLen, SubnetMin, SubnetMax, Backend, Node, Peers, Control, Metrics, SourceCheck, IPMasq, Dataplane
        /SourceCheck                  | "loose"               | SourceCheck: "loose" is not a mode              | accepted: "strict", "off"
        /SourceCheck                  | 1                     | SourceCheck: not a string: 1                    | accepted: "strict", "off"
        /Node                         | REMOVE                | Node: missing                                   | JSON object
        /Node/Name                    | REMOVE                | Node.Name: missing                              | node's name
        /Node/Name                    | " "                   | Node.Name: empty                                | node's name
        /Node/PublicIP                | REMOVE                | Node.PublicIP: missing                          | IPv4 address
        /Node/PublicIP                | "192.168.50"          | Node.PublicIP: not an IPv4 address              | a.b.c.d
        /Node/PublicIP                | "10.244.9.9"          | Node.PublicIP: 10.244.9.9 is inside Network 10.244.0.0/16 | underlay address
        /Node/PublicIP                | "224.0.0.1"           | Node.PublicIP: 224.0.0.1 is not a unicast host address | IPv4 address
        /Node/Subnet                  | REMOVE                | Node.Subnet: missing                            | IPv4 prefix
        /Node/Subnet                  | "10.244.1.0/25"       | Node.Subnet: 10.244.1.0/25 has prefix length 25 | accepted: 24, the SubnetLen
        /Node/Subnet                  | "10.245.1.0/24"       | Node.Subnet: 10.245.1.0/24 is outside Network 10.244.0.0/16 | Network
        /Node/VtepMAC                 | "zz"                  | Node.VtepMAC: not a MAC address: "zz"           | expected: aa:bb:cc:dd:ee:ff
        /Node/VtepMAC                 | "01:00:5e:00:00:01"   | Node.VtepMAC: not a unicast MAC address         | even first octet
        /Node/Interface               | "muslin0-is-too-long" | Node.Interface: "muslin0-is-too-long" is not a valid interface name | accepted: 1-15 characters
        /Node/Interface               | "a/b"                 | Node.Interface: "a/b" is not a valid interface name | A-Z a-z 0-9 _ . -
        /Node/Interface               | ""                    | Node.Interface: "" is not a valid interface name | accepted: 1-15 characters
        /Node/interface               | "x"                   | Node.interface: unknown field (did you mean "Interface"? | accepted: Name, PublicIP, Subnet, VtepMAC, Interface
        /Peers                        | {}                    | Peers: not a JSON array                         | Peers
        /Peers/0                      | 1                     | Peers[0]: not a JSON object                     | Peers[0]
        /Peers/0/Subnet               | "10.245.2.0/24"       | Peers[0].Subnet: 10.245.2.0/24 is outside Network 10.244.0.0/16 | Network
        /Peers/0/Subnet               | "10.244.2.0/23"       | Peers[0].Subnet: 10.244.2.0/23 has prefix length 23 | accepted: 24
        /Peers/0/Subnet               | "10.244.1.0/24"       | Peers[0].Subnet: 10.244.1.0/24 overlaps Node.Subnet 10.244.1.0/24 | another node's subnet
        /Peers/0/PublicIP             | "192.168.50.1"        | Peers[0].PublicIP: 192.168.50.1 is this node's Node.PublicIP | another node's address
        /Peers/0/PublicIP             | "10.244.2.1"          | Peers[0].PublicIP: 10.244.2.1 is inside Network | underlay address
        /Peers/0/BackendType          | REMOVE                | Peers[0].BackendType: missing                   | vxlan
        /Peers/0/BackendData/VtepMAC  | "zz"                  | Peers[0].BackendData.VtepMAC: not a MAC address: "zz" (expected: aa:bb:cc:dd:ee:ff) | Peers[0]
        /Peers/0/BackendData/VtepMAC  | "6e:75:73:00:00:01"   | Peers[0].BackendData.VtepMAC: 6e:75:73:00:00:01 is this node's Node.VtepMAC | peer's own MAC
        /Peers/0/BackendData/VNI      | 16777216              | Peers[0].BackendData.VNI: 16777216 is out of range | accepted: 0-16777215
        /Peers/0/Extra                | 1                     | Peers[0].Extra: unknown field                   | accepted: Subnet, IPv6Subnet, PublicIP
        /Metrics                      | 1                     | Metrics: not a JSON object                      | Metrics
        /Metrics                      | {"Listen":"127.0.0.1"} | Metrics.Listen: "127.0.0.1" is not address:port | such as "127.0.0.1:9465"
        /Metrics                      | {"Listen":"localhost:9465"} | Metrics.Listen: "localhost:9465" is not address:port | an IPv4 address and a port 1-65535
        /Metrics                      | {"Listen":"127.0.0.1:0"} | Metrics.Listen: port 0 is out of range       | a port 1-65535
        /Metrics                      | {"Listen":"127.0.0.1:65536"} | Metrics.Listen: port 65536 is out of range | a port 1-65535
        /Metrics                      | {"Listen":9465}       | Metrics.Listen: not a string: 9465              | address:port
        /Metrics                      | {"Port":9465}         | Metrics.Port: unknown field                     | accepted: Listen
        /Peers/1                      | {"Subnet":"10.244.2.0/24","PublicIP":"192.168.50.3","BackendType":"vxlan","BackendData":{"VNI":1,"VtepMAC":"6e:75:73:00:00:03"}} | Peers[1].Subnet: 10.244.2.0/24 overlaps Peers[0].Subnet 10.244.2.0/24 | one entry per node subnet
        """)
    void rejectsBadField(String pointer, String value, String messageStart, String accepted) throws Exception {
        String json = ExampleConfig.mutate(pointer, value);
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.parse(json));
        assertTrue(e.getMessage().startsWith(messageStart), () -> "message was: " + e.getMessage());
        assertTrue(e.getMessage().contains(accepted), () -> "message was: " + e.getMessage());
    }

    private static final String DUAL_STACK = """
        {"Network":"10.244.0.0/16","EnableIPv6":true,"IPv6Network":"fd00:10:244::/56",
         "Node":{"Name":"n1","PublicIP":"192.168.50.1","Subnet":"10.244.1.0/24","VtepMAC":"6e:75:73:00:00:01",
                 "IPv6Subnet":"fd00:10:244:1::/64","PublicIPv6":"fd00:50::1"%s},
         "Peers":[{"Subnet":"10.244.2.0/24","PublicIP":"192.168.50.2","BackendType":"vxlan",
                   "BackendData":{"VNI":1,"VtepMAC":"6e:75:73:00:00:02"},
                   "IPv6Subnet":"fd00:10:244:2::/64","PublicIPv6":"fd00:50::2",
                   "BackendV6Data":{"VNI":1,"VtepMAC":"6e:75:76:00:00:02"}}]%s}
        """;

    @Test
    void dualStackNodeAndPeers() throws Exception {
        NodeConfig cfg = ConfigLoader.parse(DUAL_STACK.formatted("", ""));
        assertTrue(cfg.hasIpv6());
        assertEquals(io.muslin.dataplane.packet.Ipv6Prefix.parse("fd00:10:244::/56"), cfg.ipv6().network());
        assertEquals(64, cfg.ipv6().subnetLen());
        assertEquals(io.muslin.dataplane.packet.Ipv6Prefix.parse("fd00:10:244:1::/64"), cfg.node().ipv6Subnet());
        assertEquals(io.muslin.dataplane.packet.Ipv6Address.parse("fd00:50::1"), cfg.node().publicIpv6());
        long mac = MacAddress.parse("6e:75:73:00:00:01");
        assertEquals(MacAddress.parse("6a:75:73:00:00:01"), cfg.node().vtepMac6(mac), "derived: bit 2 of the first octet");
        assertTrue(cfg.peers().get(0).hasIpv6());
        assertEquals(MacAddress.parse("6e:75:76:00:00:02"), cfg.peers().get(0).vtepMac6());

        NodeConfig given = ConfigLoader.parse(DUAL_STACK.formatted(",\"VtepMACv6\":\"6e:75:76:00:00:01\"", ""));
        assertEquals(MacAddress.parse("6e:75:76:00:00:01"), given.node().vtepMac6(mac));
        assertFalse(ConfigLoader.parse(ExampleConfig.text()).hasIpv6());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', textBlock = """
        ,"VtepMACv6":"6e:75:73:00:00:01" | ,"Backend":{"Type":"vxlan"}   | Node.VtepMACv6: equals Node.VtepMAC
        ''                                | ,"Backend":{"Type":"ipip"}    | EnableIPv6: needs Backend.Type "vxlan", not "ipip" (IP-in-IP carries IPv4 only
        ''                                | ,"Backend":{"Type":"host-gw"} | EnableIPv6: needs Backend.Type "vxlan", not "host-gw" (IPv6 routes for host-gw
        """)
    void dualStackErrorsNameTheField(String nodeExtra, String rootExtra, String messageStart) {
        String json = DUAL_STACK.formatted(nodeExtra, rootExtra);
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.parse(json));
        assertTrue(e.getMessage().startsWith(messageStart), () -> "message was: " + e.getMessage());
    }

    @Test
    void ipv6FieldsOfTheNodeNeedEnableIpv6() {
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.parse("""
            {"Network":"10.244.0.0/16",
             "Node":{"Name":"n","PublicIP":"192.168.50.1","Subnet":"10.244.1.0/24","PublicIPv6":"fd00:50::1"}}
            """));
        assertTrue(e.getMessage().startsWith("Node.PublicIPv6: needs \"EnableIPv6\": true"), e::getMessage);
        ConfigException missing = assertThrows(ConfigException.class, () -> ConfigLoader.parse("""
            {"Network":"10.244.0.0/16","EnableIPv6":true,"IPv6Network":"fd00:10:244::/56",
             "Node":{"Name":"n","PublicIP":"192.168.50.1","Subnet":"10.244.1.0/24","PublicIPv6":"fd00:50::1",
                     "IPv6Subnet":"fd00:10:245:1::/64"}}
            """));
        assertTrue(missing.getMessage().startsWith("Node.IPv6Subnet: fd00:10:245:1::/64 is not a /64 of IPv6Network"),
            missing::getMessage);
        ConfigException inside = assertThrows(ConfigException.class, () -> ConfigLoader.parse(
            DUAL_STACK.formatted("", "").replace("\"fd00:50::1\"", "\"fd00:10:244:9::1\"")));
        assertTrue(inside.getMessage().startsWith("Node.PublicIPv6: fd00:10:244:9::1 is inside IPv6Network"),
            inside::getMessage);
    }

    @Test
    void defaultSubnetLenThatDoesNotFitNamesTheRange() {
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.parse("""
            {"Network":"10.244.0.0/24","Node":{"Name":"n","PublicIP":"192.168.50.1","Subnet":"10.244.0.0/26"}}
            """));
        assertEquals("SubnetLen: missing, and the default 24 does not fit (accepted: 25-30 for Network 10.244.0.0/24)",
            e.getMessage());
    }

    @Test
    void malformedJsonNamesLineAndColumn() {
        ConfigException e = assertThrows(ConfigException.class,
            () -> ConfigLoader.parse("{\"Network\":\"10.244.0.0/16\",\n \"SubnetLen\": 24,,\n}"));
        assertTrue(e.getMessage().startsWith("malformed JSON at line 2, column 18: "), e.getMessage());
    }

    @Test
    void trailingContentIsMalformed() {
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.parse("{} {}"));
        assertTrue(e.getMessage().startsWith("malformed JSON at line 1, column "), e.getMessage());
    }

    @Test
    void topLevelMustBeAnObject() {
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.parse("[]"));
        assertEquals("not a JSON object: an array", e.getMessage());
    }

    @Test
    void missingFileNamesTheFile(@TempDir Path dir) {
        Path file = dir.resolve("absent.json");
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load(file));
        assertEquals("cannot read " + file + ": no such file", e.getMessage());
    }

    @Test
    void peersOfAnotherBackendAreKeptForTheProgrammerToIgnore() throws Exception {
        String json = ExampleConfig.mutate("/Peers/0", """
            {"Subnet":"10.244.2.0/24","PublicIP":"192.168.50.2","BackendType":"host-gw"}""");
        assertEquals("host-gw", ConfigLoader.parse(json).peers().get(0).backendType());
    }
}
