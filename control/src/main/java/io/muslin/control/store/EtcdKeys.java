package io.muslin.control.store;

import io.muslin.dataplane.packet.Ipv4Prefix;

/**
 * flannel's key layout under a prefix:
 * <pre>
 *   &lt;prefix&gt;/config                 net-conf.json
 *   &lt;prefix&gt;/subnets/10.244.2.0-24   one lease per subnet
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

    String subnet(Ipv4Prefix subnet) {
        return subnets() + subnet.toKey();
    }

    /**
     * The subnet a lease key names ({@code <prefix>/subnets/10.244.2.0-24} is
     * {@code 10.244.2.0/24}). Throws IllegalArgumentException naming the expected form.
     */
    Ipv4Prefix parseSubnet(String key) {
        if (!key.startsWith(subnets())) {
            throw new IllegalArgumentException("not a lease key (expected: " + subnets() + "a.b.c.d-len)");
        }
        String name = key.substring(subnets().length());
        int dash = name.lastIndexOf('-');
        if (dash < 0) {
            throw new IllegalArgumentException("not a subnet key: \"" + name + "\" (expected: a.b.c.d-len, e.g. 10.244.2.0-24)");
        }
        try {
            return Ipv4Prefix.parse(name.substring(0, dash) + "/" + name.substring(dash + 1));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("not a subnet key: \"" + name + "\" (expected: a.b.c.d-len, e.g. 10.244.2.0-24): "
                + e.getMessage(), e);
        }
    }
}
