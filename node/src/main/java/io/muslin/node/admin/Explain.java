package io.muslin.node.admin;

import io.muslin.control.program.PeerProgrammer;
import io.muslin.dataplane.Encapsulation;
import io.muslin.dataplane.engine.DataplaneSettings;
import io.muslin.dataplane.packet.Ipv4Address;
import io.muslin.dataplane.packet.MacAddress;
import io.muslin.dataplane.table.FdbEntry;
import io.muslin.dataplane.table.Route;
import io.muslin.dataplane.table.Tables;

/**
 * {@code muslin explain DST [--from SRC] [--size N]}: what the packet path would do with an
 * IPv4 packet to {@code DST}, through muslin's own tables (not the kernel's), stage by stage as
 * {@code OutboundPath} runs them, like {@code ip route get}:
 * <pre>
 *   route   10.244.2.0/24 via 10.244.2.0 dev muslin0 onlink
 *   neigh   10.244.2.0 lladdr 6e:75:73:00:00:02
 *   fdb     6e:75:73:00:00:02 dst 192.168.50.2
 *   peer    10.244.2.0/24 public 192.168.50.2 vxlan tunnel source static
 *   encap   vxlan vni 1 port 8472: 50 bytes of outer headers
 *   mtu     path 1500 (link) - 50 = 1450 for inner packets; tunnel mtu 1450
 *   size    1400 fits
 *   verdict forward to 192.168.50.2
 * </pre>
 * or the drop reason it would get ({@code verdict drop dropNoRoute}). A destination in this
 * node's subnet is delivered to the TUN device by the inbound path (with IP-in-IP only from the
 * peer owning {@code SRC}'s subnet).
 *
 * <p>Request line: {@code explain DST [from SRC] [size N]}.
 */
final class Explain {
    private Explain() {
    }

    static String reply(AdminView view, String args) {
        String[] words = args.isBlank() ? new String[0] : args.strip().split("\\s+");
        if (words.length == 0) {
            return "error: explain needs a destination (accepted: explain DST [from SRC] [size N])\n";
        }
        int dst;
        int src = 0;
        boolean hasSrc = false;
        int size = 0;
        try {
            dst = Ipv4Address.parse(words[0]);
            for (int i = 1; i < words.length; i += 2) {
                if (i + 1 >= words.length) {
                    return "error: explain: \"" + words[i] + "\" needs a value (accepted: from SRC, size N)\n";
                }
                switch (words[i]) {
                    case "from" -> {
                        src = Ipv4Address.parse(words[i + 1]);
                        hasSrc = true;
                    }
                    case "size" -> {
                        size = Integer.parseInt(words[i + 1]);
                        if (size < 20 || size > 65535) {
                            return "error: explain: size " + size + " is out of range (accepted: 20-65535)\n";
                        }
                    }
                    default -> {
                        return "error: explain: unknown word \"" + words[i] + "\" (accepted: from SRC, size N)\n";
                    }
                }
            }
        } catch (IllegalArgumentException e) {
            return "error: explain: " + e.getMessage() + "\n";
        }
        DataplaneSettings s = view.settings();
        if (s == null) {
            return "error: explain: the daemon did not say its settings\n";
        }
        StringBuilder out = new StringBuilder();
        Tables.Snapshot t = view.snapshot();
        if (!s.network().contains(dst)) {
            line(out, "route", "none: " + Ipv4Address.format(dst) + " is outside Network " + s.network()
                + " (the kernel does not route it into " + s.interfaceName() + ")");
            return line(out, "verdict", "not muslin's").toString();
        }
        if (s.nodeSubnet().contains(dst)) {
            return local(view, s, t, out, src, hasSrc).toString();
        }
        Route route = t.lookupRoute(dst);
        if (route == null) {
            line(out, "route", "none for " + Ipv4Address.format(dst));
            return line(out, "verdict", "drop dropNoRoute").toString();
        }
        line(out, "route", route.prefix() + " via " + Ipv4Address.format(route.nextHop())
            + (route.direct() ? " direct" : " dev " + s.interfaceName() + " onlink"));
        PeerProgrammer.Peer peer = view.peers().stream().filter(p -> p.lease().subnet().equals(route.prefix()))
            .findFirst().orElse(null);
        if (route.direct()) {
            line(out, "peer", describe(peer, view));
            line(out, "encap", "none: a kernel route (host-gw / DirectRouting) carries it, not muslin");
            return line(out, "verdict", "drop dropDirectRoute (if it reaches " + s.interfaceName()
                + ", the kernel route is missing)").toString();
        }
        int underlay;
        if (s.encapsulation() == Encapsulation.VXLAN) {
            long mac = t.lookupArp(route.nextHop());
            if (mac == MacAddress.NONE) {
                line(out, "neigh", "none for " + Ipv4Address.format(route.nextHop()));
                return line(out, "verdict", "drop dropNoNeighbor").toString();
            }
            line(out, "neigh", Ipv4Address.format(route.nextHop()) + " lladdr " + MacAddress.format(mac));
            FdbEntry vtep = t.lookupFdb(mac);
            if (vtep == null) {
                line(out, "fdb", "none for " + MacAddress.format(mac));
                return line(out, "verdict", "drop dropUnknownVtep").toString();
            }
            underlay = vtep.underlay();
            line(out, "fdb", MacAddress.format(mac) + " dst " + Ipv4Address.format(underlay));
        } else {
            underlay = route.nextHop();
        }
        line(out, "peer", describe(peer, view));
        int overhead = s.encapsulation().bytes(4);
        line(out, "encap", s.encapsulation() == Encapsulation.VXLAN
            ? "vxlan vni " + s.vni() + " port " + s.port() + ": " + overhead + " bytes of outer headers"
            : "ipip (IPv4 protocol 4): " + overhead + " bytes of outer header");
        int outer = view.outerLimit(underlay);
        int limit = Math.min(outer - overhead, view.mtu());
        boolean learned = view.pathMtus().stream().anyMatch(e -> e.underlay() == underlay);
        line(out, "mtu", "path " + outer + (learned ? " (learned from ICMP)" : " (link)") + " - " + overhead + " = "
            + (outer - overhead) + " for inner packets; tunnel mtu " + view.mtu());
        if (size > 0) {
            if (size > view.mtu()) {
                line(out, "size", size + " is over the tunnel MTU " + view.mtu()
                    + ": the sender fragments it, or gets EMSGSIZE with DF, before it reaches muslin");
            } else if (size > limit) {
                line(out, "size", size + " does not fit " + limit + ": with DF dropped as dropPathMtu and answered "
                    + "with ICMP fragmentation needed (mtu " + limit + "); without DF the underlay fragments it");
                return line(out, "verdict", "drop dropPathMtu (with DF)").toString();
            } else {
                line(out, "size", size + " fits");
            }
        }
        return line(out, "verdict", "forward to " + Ipv4Address.format(underlay)).toString();
    }

    /** A destination in this node's subnet: the inbound path delivers it to the TUN device. */
    private static StringBuilder local(AdminView view, DataplaneSettings s, Tables.Snapshot t, StringBuilder out,
                                       int src, boolean hasSrc) {
        line(out, "route", s.nodeSubnet() + " is this node's subnet: delivered to " + s.interfaceName()
            + " by the inbound path");
        if (hasSrc) {
            Route from = t.lookupRoute(src);
            if (from == null) {
                line(out, "from", Ipv4Address.format(src) + ": no peer owns it");
                if (s.encapsulation() == Encapsulation.IPIP) {
                    return line(out, "verdict", "drop dropUnknownSender");
                }
            } else {
                int sender = from.nextHop();
                if (s.encapsulation() == Encapsulation.VXLAN) {
                    long mac = t.lookupArp(from.nextHop());
                    FdbEntry vtep = mac == MacAddress.NONE ? null : t.lookupFdb(mac);
                    sender = vtep == null ? 0 : vtep.underlay();
                }
                line(out, "from", Ipv4Address.format(src) + " in " + from.prefix() + ", peer "
                    + (sender == 0 ? "unknown" : Ipv4Address.format(sender))
                    + (s.encapsulation() == Encapsulation.IPIP ? " (accepted only from that address, else "
                    + "dropUnknownSender)" : ""));
            }
        }
        return line(out, "verdict", "deliver to " + s.interfaceName());
    }

    private static String describe(PeerProgrammer.Peer peer, AdminView view) {
        if (peer == null) {
            return "no programmed lease for this route";
        }
        return peer.lease().subnet() + " public " + Ipv4Address.format(peer.lease().publicIp()) + " "
            + peer.lease().backendType() + (peer.direct() ? " direct" : " tunnel") + " source " + view.peerSource();
    }

    private static StringBuilder line(StringBuilder out, String what, String text) {
        return out.append(String.format("%-8s", what)).append(text).append('\n');
    }
}
