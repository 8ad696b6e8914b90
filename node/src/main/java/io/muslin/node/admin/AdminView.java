package io.muslin.node.admin;

import io.muslin.control.bgp.speaker.BgpSessionStatus;
import io.muslin.control.program.PeerProgrammer;
import io.muslin.dataplane.capture.Capture;
import io.muslin.dataplane.engine.DataplaneSettings;
import io.muslin.dataplane.path.Counters;
import io.muslin.dataplane.path.PathMtu;
import io.muslin.dataplane.table.Tables;
import java.util.List;
import java.util.Map;

/**
 * What the admin socket shows: a read-only view of a running dataplane. Every method may be
 * called from the admin thread at any time and must not block. {@code FakeAdminView} in the
 * tests is the reference fake.
 */
public interface AdminView {
    /** The current route, ARP and FDB tables. */
    Tables.Snapshot snapshot();

    /** The packet path's counters. */
    Counters counters();

    /** The backend's flannel name: {@code vxlan}, {@code ipip} or {@code host-gw}. */
    default String backend() {
        return "vxlan";
    }

    /** The TUN device's name, e.g. {@code muslin0}. */
    String deviceName();

    int vni();

    /** The programmed peers, for {@code muslin peers}. */
    default List<PeerProgrammer.Peer> peers() {
        return List.of();
    }

    /** Where the peers come from: {@code static}, {@code etcd} or {@code hub}. */
    default String peerSource() {
        return "static";
    }

    /** The peer source's state for {@code muslin stats}: {@code static}, {@code etcd at http://...}, {@code hub 10.0.0.1:8473}. */
    default String control() {
        return peerSource();
    }

    /** BGP's sessions for {@code muslin bgp}, or null when peers do not come from BGP. */
    default List<BgpSessionStatus> bgpSessions() {
        return null;
    }

    /** BGP's counters by name, for {@code muslin bgp}. */
    default Map<String, Long> bgpCounters() {
        return Map.of();
    }

    /** Each peer's learned path MTU (outer bytes), for {@code muslin pmtu}. */
    default List<PathMtu.Entry> pathMtus() {
        return List.of();
    }

    int mtu();

    /** The dataplane's captures ({@code muslin capture}), or null when there is no packet path (host-gw). */
    default Capture capture() {
        return null;
    }

    /** The dataplane's settings (for {@code muslin explain}), or null when not known. */
    default DataplaneSettings settings() {
        return null;
    }

    /** The outer packet size the path to {@code underlay} takes now: learned path MTU or the link's. */
    default int outerLimit(int underlay) {
        return mtu();
    }
}
