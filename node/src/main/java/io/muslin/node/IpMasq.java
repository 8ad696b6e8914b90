package io.muslin.node;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * flanneld's {@code --ip-masq} in nftables, as flannel's {@code pkg/trafficmngr/nftables} sets
 * it up: per address family a table of muslin's own ({@code muslin-ipv4}, {@code muslin-ipv6}),
 * so nothing of anyone else's is touched, holding
 * <pre>
 *   chain postrtg   nat, postrouting, srcnat priority
 *     meta mark &amp; 0x4000 == 0x4000 return          kube-proxy marked it: no double NAT
 *     saddr POD daddr NETWORK return                 pod to pod: never NATed
 *     saddr NETWORK daddr POD return
 *     saddr != POD daddr NETWORK return              from outside, arriving for a pod here
 *     saddr NETWORK daddr != MULTICAST masquerade fully-random    pods to the world
 *     saddr != NETWORK daddr NETWORK masquerade fully-random      the host to pods elsewhere
 *   chain forward   filter, forward, filter priority (policy accept)
 *     saddr NETWORK accept
 *     daddr NETWORK accept
 * </pre>
 * where POD is this node's subnet, NETWORK the cluster network and MULTICAST 224.0.0.0/4 (or
 * ff00::/8). A family's table is replaced whole in one {@code nft -f} transaction, so it is never
 * half there; {@link #remove} deletes the tables; {@link #removeStale} deletes what a run that
 * died without cleaning up left behind. Runs Debian's {@code nft} (package nftables).
 */
final class IpMasq {
    /** An address family's part of the rules. */
    enum Family {
        IPV4("ip", "muslin-ipv4", "224.0.0.0/4"),
        IPV6("ip6", "muslin-ipv6", "ff00::/8");

        final String keyword;
        final String table;
        final String multicast;

        Family(String keyword, String table, String multicast) {
            this.keyword = keyword;
            this.table = table;
            this.multicast = multicast;
        }
    }

    /** kube-proxy's masquerade mark: packets it marked are left to its own rules. */
    static final String KUBE_PROXY_MARK = "0x4000";
    private static final long NFT_TIMEOUT_SECONDS = 30;
    private static final List<Path> NFT_PATHS = List.of(Path.of("/usr/sbin/nft"), Path.of("/sbin/nft"),
        Path.of("/usr/bin/nft"));

    private final Path nft;

    /** @param nft the nft binary */
    IpMasq(Path nft) {
        this.nft = nft;
    }

    /** Debian's nft, or null when nftables is not installed. */
    static Path findNft() {
        for (Path p : NFT_PATHS) {
            if (Files.isExecutable(p)) {
                return p;
            }
        }
        return null;
    }

    /**
     * The {@code nft -f} script that (re)creates {@code family}'s table for the cluster network
     * and this node's pod subnet (CIDR texts of that family).
     */
    static String script(Family family, String network, String podSubnet) {
        String f = family.keyword;
        return "table " + f + " " + family.table + "\n"
            + "delete table " + f + " " + family.table + "\n"
            + "table " + f + " " + family.table + " {\n"
            + "  comment \"muslin: masquerade for pods of " + podSubnet + " in " + network + " (IPMasq)\"\n"
            + "  chain postrtg {\n"
            + "    type nat hook postrouting priority srcnat; policy accept;\n"
            + "    meta mark & " + KUBE_PROXY_MARK + " == " + KUBE_PROXY_MARK + " return\n"
            + "    " + f + " saddr " + podSubnet + " " + f + " daddr " + network + " return\n"
            + "    " + f + " saddr " + network + " " + f + " daddr " + podSubnet + " return\n"
            + "    " + f + " saddr != " + podSubnet + " " + f + " daddr " + network + " return\n"
            + "    " + f + " saddr " + network + " " + f + " daddr != " + family.multicast + " masquerade fully-random\n"
            + "    " + f + " saddr != " + network + " " + f + " daddr " + network + " masquerade fully-random\n"
            + "  }\n"
            + "  chain forward {\n"
            + "    type filter hook forward priority filter; policy accept;\n"
            + "    " + f + " saddr " + network + " accept\n"
            + "    " + f + " daddr " + network + " accept\n"
            + "  }\n"
            + "}\n";
    }

    /** Installs (or replaces) {@code family}'s rules; throws with nft's own message when it refuses. */
    void install(Family family, String network, String podSubnet) throws IOException {
        run(script(family, network, podSubnet));
    }

    /** Deletes every family's table that exists; true when there was one. */
    boolean remove() throws IOException {
        boolean any = false;
        for (Family family : Family.values()) {
            // "table" first makes the delete succeed whether or not the table exists.
            if (exists(family)) {
                run("table " + family.keyword + " " + family.table + "\ndelete table " + family.keyword + " "
                    + family.table + "\n");
                any = true;
            }
        }
        return any;
    }

    /** {@link #remove} at start: the tables of a run that died without cleaning up. */
    boolean removeStale() throws IOException {
        return remove();
    }

    /** True when {@code family}'s table exists. */
    boolean exists(Family family) throws IOException {
        Result r = exec(List.of(nft.toString(), "list", "table", family.keyword, family.table), null);
        return r.exit == 0;
    }

    private void run(String script) throws IOException {
        Result r = exec(List.of(nft.toString(), "-f", "-"), script);
        if (r.exit != 0) {
            throw new IOException("nft refused the masquerade rules (exit " + r.exit + "): " + r.output.strip());
        }
    }

    private record Result(int exit, String output) {
    }

    private static Result exec(List<String> cmd, String stdin) throws IOException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        try (OutputStream in = p.getOutputStream()) {
            if (stdin != null) {
                in.write(stdin.getBytes(StandardCharsets.UTF_8));
            }
        }
        String output;
        try (InputStream out = p.getInputStream()) {
            output = new String(out.readAllBytes(), StandardCharsets.UTF_8);
        }
        try {
            if (!p.waitFor(NFT_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException("nft did not finish within " + NFT_TIMEOUT_SECONDS + " s: " + String.join(" ", cmd));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            p.destroyForcibly();
            throw new IOException("interrupted while running nft", e);
        }
        return new Result(p.exitValue(), output);
    }
}
