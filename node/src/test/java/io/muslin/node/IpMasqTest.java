package io.muslin.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The rules are flannel's (pkg/trafficmngr/nftables), in a table of muslin's own, replaced whole. */
class IpMasqTest {
    @Test
    void ipv4RulesAreFlannelsInOrder() {
        String script = IpMasq.script(IpMasq.Family.IPV4, "10.244.0.0/16", "10.244.1.0/24");
        assertTrue(script.startsWith("table ip muslin-ipv4\ndelete table ip muslin-ipv4\ntable ip muslin-ipv4 {\n"),
            "replaced whole in one transaction: " + script);
        String postrouting = script.substring(script.indexOf("chain postrtg"), script.indexOf("chain forward"));
        assertEquals("""
            chain postrtg {
                type nat hook postrouting priority srcnat; policy accept;
                meta mark & 0x4000 == 0x4000 return
                ip saddr 10.244.1.0/24 ip daddr 10.244.0.0/16 return
                ip saddr 10.244.0.0/16 ip daddr 10.244.1.0/24 return
                ip saddr != 10.244.1.0/24 ip daddr 10.244.0.0/16 return
                ip saddr 10.244.0.0/16 ip daddr != 224.0.0.0/4 masquerade fully-random
                ip saddr != 10.244.0.0/16 ip daddr 10.244.0.0/16 masquerade fully-random
              }
            """.replace("    ", "  ").strip(), postrouting.strip().replace("    ", "  "));
        assertTrue(script.contains("chain forward {\n    type filter hook forward priority filter; policy accept;\n"
            + "    ip saddr 10.244.0.0/16 accept\n    ip daddr 10.244.0.0/16 accept\n  }\n"), script);
    }

    @Test
    void ipv6UsesItsOwnTableAndMulticastRange() {
        String script = IpMasq.script(IpMasq.Family.IPV6, "fd00:10:244::/56", "fd00:10:244:1::/64");
        assertTrue(script.contains("table ip6 muslin-ipv6 {"), script);
        assertTrue(script.contains("ip6 saddr fd00:10:244::/56 ip6 daddr != ff00::/8 masquerade fully-random"), script);
    }
}
