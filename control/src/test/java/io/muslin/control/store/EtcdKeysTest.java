package io.muslin.control.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.muslin.control.lease.SubnetKey;
import io.muslin.dataplane.packet.Ipv4Prefix;
import io.muslin.dataplane.packet.Ipv6Prefix;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class EtcdKeysTest {
    private final EtcdKeys keys = new EtcdKeys(EtcdStoreConfig.DEFAULT_PREFIX);

    @Test
    void flannelsLayout() {
        assertEquals("/coreos.com/network/config", keys.config());
        assertEquals("/coreos.com/network/subnets/", keys.subnets());
        assertEquals("/coreos.com/network/subnets/10.244.2.0-24", keys.subnet(Ipv4Prefix.parse("10.244.2.0/24")));
    }

    @Test
    void parsesSubnetKeys() {
        assertEquals(new SubnetKey(Ipv4Prefix.parse("10.244.2.0/24"), null),
            keys.parseKey("/coreos.com/network/subnets/10.244.2.0-24"));
        assertEquals(new SubnetKey(Ipv4Prefix.parse("10.244.128.0/17"), null),
            keys.parseKey("/coreos.com/network/subnets/10.244.128.0-17"));
    }

    /** flannel's MakeSubnetKey for a dual-stack lease, and back (ParseSubnetKey). */
    @Test
    void dualStackKeysJoinBothSubnets() {
        SubnetKey k = new SubnetKey(Ipv4Prefix.parse("10.244.1.0/24"), Ipv6Prefix.parse("fd00:10:244:1::/64"));
        assertEquals("/coreos.com/network/subnets/10.244.1.0-24&fd00:10:244:1::-64", keys.key(k));
        assertEquals(k, keys.parseKey("/coreos.com/network/subnets/10.244.1.0-24&fd00:10:244:1::-64"));
        assertEquals("/coreos.com/network/subnets/10.244.1.0-24", keys.key(new SubnetKey(Ipv4Prefix.parse("10.244.1.0/24"), null)));
        SubnetKey longer = new SubnetKey(Ipv4Prefix.parse("10.244.1.0/24"), Ipv6Prefix.parse("fd00:10:244:1:8000::/80"));
        assertEquals(longer, keys.parseKey(keys.key(longer)));
    }

    @ParameterizedTest
    @ValueSource(strings = {"10.244.2.0", "10.244.2.0-", "10.244.2.1-24", "10.244.2.0-33", "a-b", "10.244.2.0/24",
        "10.244.2.0-24&", "10.244.2.0-24&fd00:10:244:2::", "10.244.2.0-24&FD00:10:244:2::-64", "10.244.2.0-24&fd00::1-64",
        "10.244.2.0-24&fd00::-129"})
    void rejectsOtherNames(String name) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
            () -> keys.parseKey("/coreos.com/network/subnets/" + name));
        assertTrue(e.getMessage().startsWith("not a subnet key: \"" + name + "\" (expected: a.b.c.d-len"), e.getMessage());
    }

    @Test
    void rejectsKeysOutsideTheSubnets() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
            () -> keys.parseKey("/coreos.com/network/config"));
        assertEquals("not a lease key (expected: /coreos.com/network/subnets/a.b.c.d-len)", e.getMessage());
    }
}
