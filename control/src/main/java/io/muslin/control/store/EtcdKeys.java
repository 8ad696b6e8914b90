package io.muslin.control.store;

import io.muslin.control.lease.SubnetKey;
import io.muslin.dataplane.packet.Ipv4Prefix;

/**
 * flannel's key layout under a prefix:
 * <pre>
 *   &lt;prefix&gt;/config                                    net-conf.json
 *   &lt;prefix&gt;/subnets/10.244.2.0-24                      an IPv4-only lease
 *   &lt;prefix&gt;/subnets/10.244.2.0-24&amp;fd00:10:244:2::-64    a dual-stack lease ({@link SubnetKey})
 * </pre>
 */
final class EtcdKeys {
    static final String CONFIG = "/config";
    static final String SUBNETS = "/subnets/";

    private final String prefix;

    EtcdKeys(String prefix) {
        this.prefix = prefix;
    }

    String config() {
        return prefix + CONFIG;
    }

    /** The prefix of every lease key, ending in {@code /}. */
    String subnets() {
        return prefix + SUBNETS;
    }

    /** The key of an IPv4-only lease. */
    String subnet(Ipv4Prefix subnet) {
        return subnets() + subnet.toKey();
    }

    /** The key of a lease with these subnets. */
    String key(SubnetKey key) {
        return subnets() + key.format();
    }

    /**
     * The subnets a lease key names ({@code <prefix>/subnets/10.244.2.0-24} is
     * {@code 10.244.2.0/24}; {@code ...-24&fd00:10:244:2::-64} adds {@code fd00:10:244:2::/64}).
     * Throws IllegalArgumentException naming the expected form.
     */
    SubnetKey parseKey(String key) {
        if (!key.startsWith(subnets())) {
            throw new IllegalArgumentException("not a lease key (expected: " + subnets() + "a.b.c.d-len)");
        }
        return SubnetKey.parse(key.substring(subnets().length()));
    }
}
