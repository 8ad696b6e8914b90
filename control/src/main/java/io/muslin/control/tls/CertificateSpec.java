package io.muslin.control.tls;

import io.muslin.dataplane.packet.Ipv4Address;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * What a certificate of the cluster says: as what its holder acts, its name (the CN) and the
 * addresses it holds (the SANs). Validated when built; messages start with the field's name.
 *
 * @param role      {@link Role#NODE} (clientAuth) or {@link Role#HUB} (serverAuth, clientAuth)
 * @param name      the node's or hub's name, 1-{@value #MAX_NAME_LEN} characters from
 *                  A-Z a-z 0-9 . _ -
 * @param addresses IPv4 addresses (IP SANs): a node's PublicIPs, at least one; the addresses
 *                  nodes dial for a hub
 * @param dnsNames  DNS names (DNS SANs), optional; a hub needs an address or a name
 * @param days      how long the certificate is valid, 1-{@value #MAX_DAYS} days
 */
public record CertificateSpec(Role role, String name, List<Integer> addresses, List<String> dnsNames, int days) {
    public static final int MAX_NAME_LEN = 64;
    public static final int DEFAULT_DAYS = 825;
    public static final int MAX_DAYS = 36_500;
    /** A node name: safe as a file name and in a CN; the hub binds leases to it. */
    public static final String NAME_PATTERN = "[A-Za-z0-9._-]{1," + MAX_NAME_LEN + "}";
    private static final Pattern NAME = Pattern.compile(NAME_PATTERN);
    /** RFC 1123 labels of up to 63 characters, no leading or trailing hyphen. */
    private static final Pattern DNS_LABEL = Pattern.compile("[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?");
    private static final int MAX_DNS_LEN = 253;

    /** As what the holder of a certificate acts in TLS. */
    public enum Role {
        /** A node: a TLS client (extended key usage clientAuth). */
        NODE,
        /** A hub: a TLS server, and a client too (serverAuth, clientAuth). */
        HUB
    }

    public CertificateSpec {
        Objects.requireNonNull(role, "role");
        Objects.requireNonNull(name, "name");
        addresses = addresses.stream().distinct().toList();
        dnsNames = dnsNames.stream().distinct().toList();
        field("name", () -> checkName(name));
        dnsNames.forEach(d -> field("dns", () -> checkDnsName(d)));
        field("days", () -> checkDays(days));
        if (role == Role.NODE && addresses.isEmpty()) {
            throw new IllegalArgumentException("ip: none given (expected: at least one IPv4 address of the node, a.b.c.d)");
        }
        if (role == Role.HUB && addresses.isEmpty() && dnsNames.isEmpty()) {
            throw new IllegalArgumentException("ip, dns: none given (expected: the addresses or names nodes dial the hub at)");
        }
    }

    /** A node's certificate, valid {@value #DEFAULT_DAYS} days. */
    public static CertificateSpec node(String name, List<Integer> addresses) {
        return new CertificateSpec(Role.NODE, name, addresses, List.of(), DEFAULT_DAYS);
    }

    /** A hub's certificate, valid {@value #DEFAULT_DAYS} days. */
    public static CertificateSpec hub(String name, List<Integer> addresses, List<String> dnsNames) {
        return new CertificateSpec(Role.HUB, name, addresses, dnsNames, DEFAULT_DAYS);
    }

    public CertificateSpec withDnsNames(List<String> newDnsNames) {
        return new CertificateSpec(role, name, addresses, newDnsNames, days);
    }

    public CertificateSpec withDays(int newDays) {
        return new CertificateSpec(role, name, addresses, dnsNames, newDays);
    }

    /** Returns {@code name} if it is a valid node name, else throws (the message names no field). */
    public static String checkName(String name) {
        if (name == null || !NAME.matcher(name).matches()) {
            throw new IllegalArgumentException((name == null || name.isEmpty() ? "missing" : quote(name) + " is not a node name")
                + " (accepted: 1-" + MAX_NAME_LEN + " characters from A-Z a-z 0-9 . _ -)");
        }
        return name;
    }

    /** Returns {@code name} if it is a DNS name (RFC 1123), else throws (the message names no field). */
    public static String checkDnsName(String name) {
        boolean ok = name != null && !name.isEmpty() && name.length() <= MAX_DNS_LEN && !name.endsWith(".");
        if (ok) {
            for (String label : name.split("\\.", -1)) {
                ok &= DNS_LABEL.matcher(label).matches();
            }
        }
        if (!ok) {
            throw new IllegalArgumentException(quote(name) + " is not a DNS name (accepted: labels of A-Z a-z 0-9 -,"
                + " joined by dots, " + MAX_DNS_LEN + " characters at most)");
        }
        return name;
    }

    /** Returns {@code days} if it is a validity the CA issues, else throws (the message names no field). */
    public static int checkDays(int days) {
        if (days < 1 || days > MAX_DAYS) {
            throw new IllegalArgumentException(days + " is out of range (accepted: 1-" + MAX_DAYS + ")");
        }
        return days;
    }

    @Override
    public String toString() {
        return role.name().toLowerCase(Locale.ROOT) + " " + name + " "
            + addresses.stream().map(Ipv4Address::format).toList() + (dnsNames.isEmpty() ? "" : " " + dnsNames);
    }

    private static void field(String field, Runnable check) {
        try {
            check.run();
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(field + ": " + e.getMessage(), e);
        }
    }

    private static String quote(String s) {
        return s == null ? "null" : "\"" + s + "\"";
    }
}
