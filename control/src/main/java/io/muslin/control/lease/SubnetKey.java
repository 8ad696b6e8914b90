package io.muslin.control.lease;

import io.muslin.dataplane.packet.Ipv4Prefix;
import io.muslin.dataplane.packet.Ipv6Prefix;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The name of a lease in flannel's store: its IPv4 subnet and, for a dual-stack lease, its IPv6
 * subnet, written as flannel's {@code MakeSubnetKey} writes them and read as its
 * {@code ParseSubnetKey} reads them ({@code pkg/subnet/subnet.go}):
 * <pre>
 *   10.244.1.0-24                          IPv4 only
 *   10.244.1.0-24&amp;fd00:10:244:1::-64      dual-stack: IPv6 subnet in Go's net.IP form (RFC 5952)
 * </pre>
 *
 * @param subnet     the IPv4 subnet
 * @param ipv6Subnet the IPv6 subnet, or null
 */
public record SubnetKey(Ipv4Prefix subnet, Ipv6Prefix ipv6Subnet) {
    /** flannel's {@code subnetRegex}, anchored at both ends (flannel's only at the end: it searches a whole etcd key). */
    private static final Pattern FORM = Pattern.compile("(\\d+\\.\\d+\\.\\d+\\.\\d+)-(\\d+)(?:&([a-f\\d:]+)-(\\d+))?");

    public SubnetKey {
        Objects.requireNonNull(subnet, "subnet");
    }

    /**
     * Reads a key's last path element. Throws IllegalArgumentException naming the expected form
     * when it is not one; an IPv6 part in upper case is refused, as flannel's regex refuses it.
     */
    public static SubnetKey parse(String name) {
        Matcher m = FORM.matcher(name);
        String expected = "not a subnet key: \"" + name
            + "\" (expected: a.b.c.d-len or a.b.c.d-len&ipv6-len, e.g. 10.244.1.0-24&fd00:10:244:1::-64)";
        if (!m.matches()) {
            throw new IllegalArgumentException(expected);
        }
        try {
            Ipv4Prefix v4 = Ipv4Prefix.parse(m.group(1) + "/" + m.group(2));
            Ipv6Prefix v6 = m.group(3) == null ? null : Ipv6Prefix.parse(m.group(3) + "/" + m.group(4));
            return new SubnetKey(v4, v6);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(expected + ": " + e.getMessage(), e);
        }
    }

    /** flannel's {@code MakeSubnetKey}. */
    public String format() {
        return ipv6Subnet == null ? subnet.toKey() : subnet.toKey() + "&" + ipv6Subnet.toKey();
    }

    @Override
    public String toString() {
        return format();
    }
}
