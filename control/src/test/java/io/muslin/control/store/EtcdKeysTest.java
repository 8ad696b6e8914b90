package io.muslin.control.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.muslin.dataplane.packet.Ipv4Prefix;
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
        assertEquals(Ipv4Prefix.parse("10.244.2.0/24"), keys.parseSubnet("/coreos.com/network/subnets/10.244.2.0-24"));
        assertEquals(Ipv4Prefix.parse("10.244.128.0/17"), keys.parseSubnet("/coreos.com/network/subnets/10.244.128.0-17"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"10.244.2.0", "10.244.2.0-", "10.244.2.1-24", "10.244.2.0-33", "a-b", "10.244.2.0/24"})
    void rejectsOtherNames(String name) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
            () -> keys.parseSubnet("/coreos.com/network/subnets/" + name));
        assertTrue(e.getMessage().startsWith("not a subnet key: \"" + name + "\" (expected: a.b.c.d-len"), e.getMessage());
    }

    @Test
    void rejectsKeysOutsideTheSubnets() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
            () -> keys.parseSubnet("/coreos.com/network/config"));
        assertEquals("not a lease key (expected: /coreos.com/network/subnets/a.b.c.d-len)", e.getMessage());
    }
}
