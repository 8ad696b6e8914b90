package io.muslin.node.admin;

import io.muslin.control.bgp.speaker.BgpSessionStatus;
import io.muslin.control.lease.Lease;
import io.muslin.control.program.PeerProgrammer;
import io.muslin.dataplane.packet.Ipv4Address;
import io.muslin.dataplane.packet.MacAddress;
import io.muslin.dataplane.path.Counter;
import io.muslin.dataplane.path.PathMtu;
import io.muslin.dataplane.table.FdbEntry;
import io.muslin.dataplane.table.Route6;
import io.muslin.dataplane.table.Route;
import io.muslin.dataplane.table.Tables;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The admin socket's commands and their replies. Table output is modeled on iproute2, so it
 * reads like the {@code ip}/{@code bridge} output for flannel's {@code flannel.1}:
 * <pre>
 *   routes   10.244.2.0/24 via 10.244.2.0 dev muslin0 onlink             (ip route show dev flannel.1)
 *            10.244.3.0/24 via 192.168.50.3 direct                       (host-gw, DirectRouting)
 *            fd00:244:2::/64 via fd00:244:2:: dev muslin0 onlink         (IPv6 routes, after the IPv4 ones)
 *   neigh    10.244.2.0 dev muslin0 lladdr 6e:75:73:00:00:02 PERMANENT    (ip neigh show dev flannel.1)
 *   fdb      6e:75:73:00:00:02 dev muslin0 dst 192.168.50.2 self permanent (bridge fdb show dev flannel.1)
 *   peers    10.244.2.0/24 public 192.168.50.2 vxlan vni 1 vtep 6e:75:73:00:00:02 tunnel source etcd age 42s
 *   pmtu     192.168.60.3 mtu 1400 expires 598s                       (learned path MTUs, outer bytes)
 *   bgp      192.168.50.250 as 64512 state Established since 42s received 3 sent 1 last-error -
 *            then one "name value" line per BGP counter                (like birdc show protocols)
 *   stats    "name value" lines: backend, control, device, vni, mtu, peers, then every counter
 * </pre>
 * Every line ends with a newline; an empty table is an empty reply.
 */
public enum AdminCommand {
    ROUTES("routes", "Show the routes to peer subnets (like ip route).") {
        @Override
        String reply(AdminView view) {
            StringBuilder sb = new StringBuilder();
            for (Route r : view.snapshot().routes()) {
                sb.append(r.prefix()).append(" via ").append(Ipv4Address.format(r.nextHop()));
                // A direct peer's packets never reach us: the kernel route (proto 109) carries them.
                sb.append(r.direct() ? " direct\n" : " dev " + view.deviceName() + " onlink\n");
            }
            for (Route6 r : view.snapshot().routes6()) {
                sb.append(r).append(r.direct() ? "\n" : " dev " + view.deviceName() + " onlink\n");
            }
            return sb.toString();
        }
    },
    NEIGH("neigh", "Show the ARP entries of peer VTEPs (like ip neigh).") {
        @Override
        String reply(AdminView view) {
            StringBuilder sb = new StringBuilder();
            for (long[] n : view.snapshot().neighbors()) {
                sb.append(Ipv4Address.format((int) n[0])).append(" dev ").append(view.deviceName())
                    .append(" lladdr ").append(MacAddress.format(n[1])).append(" PERMANENT\n");
            }
            return sb.toString();
        }
    },
    FDB("fdb", "Show the forwarding database: VTEP MAC to underlay IP (like bridge fdb).") {
        @Override
        String reply(AdminView view) {
            StringBuilder sb = new StringBuilder();
            for (FdbEntry e : view.snapshot().fdbEntries()) {
                sb.append(MacAddress.format(e.mac())).append(" dev ").append(view.deviceName())
                    .append(" dst ").append(Ipv4Address.format(e.underlay())).append(" self permanent\n");
            }
            return sb.toString();
        }
    },
    PEERS("peers", "Show the peers' leases: subnet, public IP, backend, how they are routed, source and age.") {
        @Override
        String reply(AdminView view) {
            StringBuilder sb = new StringBuilder();
            Instant now = Instant.now();
            for (PeerProgrammer.Peer p : view.peers()) {
                Lease l = p.lease();
                sb.append(l.subnet()).append(" public ").append(Ipv4Address.format(l.publicIp())).append(' ')
                    .append(l.backendType());
                if (l.isVxlan()) {
                    sb.append(" vni ").append(l.vni()).append(" vtep ").append(MacAddress.format(l.vtepMac()));
                }
                sb.append(p.direct() ? " direct" : " tunnel").append(" source ").append(view.peerSource())
                    .append(" age ").append(Duration.between(p.since(), now).toSeconds()).append("s\n");
            }
            return sb.toString();
        }
    },
    PMTU("pmtu", "Show the path MTU learned for each peer (like ip route get's cached mtu).") {
        @Override
        String reply(AdminView view) {
            StringBuilder sb = new StringBuilder();
            for (PathMtu.Entry e : view.pathMtus()) {
                sb.append(Ipv4Address.format(e.underlay())).append(" mtu ").append(e.mtu()).append(" expires ")
                    .append(Math.max(0, (PathMtu.DEFAULT_EXPIRY_NANOS - e.ageNanos()) / 1_000_000_000L)).append("s\n");
            }
            return sb.toString();
        }
    },
    BGP("bgp", "Show the BGP sessions: peer, state, uptime, prefixes received and sent, last error (like birdc show protocols).") {
        @Override
        String reply(AdminView view) {
            List<BgpSessionStatus> sessions = view.bgpSessions();
            if (sessions == null) {
                return "error: peers come from \"" + view.peerSource() + "\", not from BGP (Control.Type \"bgp\")\n";
            }
            StringBuilder sb = new StringBuilder();
            Instant now = Instant.now();
            for (BgpSessionStatus s : sessions) {
                sb.append(Ipv4Address.format(s.peer().address())).append(" as ").append(s.peer().as())
                    .append(" state ").append(s.state())
                    .append(" since ").append(Duration.between(s.since(), now).toSeconds()).append('s')
                    .append(" received ").append(s.received());
                if (s.stale() > 0) {
                    sb.append(" (").append(s.stale()).append(" stale)");
                }
                sb.append(" sent ").append(s.sent())
                    .append(" last-error ").append(s.lastError() == null ? "-" : s.lastError().replace('\n', ' '))
                    .append('\n');
            }
            for (Map.Entry<String, Long> c : view.bgpCounters().entrySet()) {
                sb.append(c.getKey()).append(' ').append(c.getValue()).append('\n');
            }
            return sb.toString();
        }
    },
    STATS("stats", "Show the backend, where peers come from, device, VNI, MTU, peer count and packet counters.") {
        @Override
        String reply(AdminView view) {
            Tables.Snapshot snapshot = view.snapshot();
            StringBuilder sb = new StringBuilder()
                .append("backend ").append(view.backend()).append('\n')
                .append("control ").append(view.control()).append('\n')
                .append("device ").append(view.deviceName()).append('\n')
                .append("vni ").append(view.vni()).append('\n')
                .append("mtu ").append(view.mtu()).append('\n')
                // One route per peer (flannel's model), so the route count is the peer count.
                .append("peers ").append(snapshot.routes().size()).append('\n');
            // One read of every thread's counters: the totals are exactly the sum of the
            // per-thread lines that follow them (those lines only with several threads, and
            // only their non-zero counters).
            long[][] read = view.counters().read();
            Counter[] all = Counter.values();
            for (Counter c : all) {
                sb.append(c.label()).append(' ').append(read[0][c.ordinal()]).append('\n');
            }
            if (read.length > 2) {
                sb.append("threads ").append(read.length - 1).append('\n');
                for (int t = 1; t < read.length; t++) {
                    for (Counter c : all) {
                        if (read[t][c.ordinal()] != 0) {
                            sb.append("thread").append(t - 1).append('.').append(c.label()).append(' ')
                                .append(read[t][c.ordinal()]).append('\n');
                        }
                    }
                }
            }
            return sb.toString();
        }
    },
    EXPLAIN("explain", "Show what the dataplane would do with a packet to DST: route, neighbor, FDB, peer, "
        + "encapsulation, path MTU, or the drop reason.") {
        @Override
        String reply(AdminView view) {
            return Explain.reply(view, "");
        }

        @Override
        String reply(AdminView view, String args) {
            return Explain.reply(view, args);
        }
    };

    private final String word;
    private final String description;

    AdminCommand(String word, String description) {
        this.word = word;
        this.description = description;
    }

    /** The word sent over the socket and used as the CLI subcommand. */
    public String word() {
        return word;
    }

    public String description() {
        return description;
    }

    abstract String reply(AdminView view);

    /** The reply to the command with words after it; only {@code explain} takes any. */
    String reply(AdminView view, String args) {
        return args.isEmpty() ? reply(view) : "error: " + word + " takes no arguments (got \"" + args + "\")\n";
    }

    /** The reply to one request line: a command's output, or an {@code error: ...} line. */
    public static String handle(String line, AdminView view) {
        int space = line.indexOf(' ');
        String word = space < 0 ? line : line.substring(0, space);
        String args = space < 0 ? "" : line.substring(space + 1).strip();
        for (AdminCommand c : values()) {
            if (c.word.equals(word)) {
                return c.reply(view, args);
            }
        }
        return "error: unknown command \"" + line + "\" (accepted: " + accepted() + ")\n";
    }

    /** {@code routes, neigh, fdb, peers, pmtu, stats, explain, capture}. */
    public static String accepted() {
        return Arrays.stream(values()).map(AdminCommand::word).collect(Collectors.joining(", ")) + ", "
            + CaptureRequest.WORD;
    }
}
