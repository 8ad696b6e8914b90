package io.muslin.node.admin;

import io.muslin.dataplane.path.Counters;
import io.muslin.dataplane.table.Tables;

/** An {@link AdminView} over tables and counters the test fills in. */
public final class FakeAdminView implements AdminView {
    public final Tables tables = new Tables();
    public final Counters counters = new Counters();
    public java.util.List<io.muslin.control.program.PeerProgrammer.Peer> peers = java.util.List.of();
    public io.muslin.dataplane.capture.Capture capture;
    public io.muslin.dataplane.engine.DataplaneSettings settings;
    public java.util.Map<Integer, Integer> outerLimits = new java.util.HashMap<>();
    public java.util.List<io.muslin.dataplane.path.PathMtu.Entry> pathMtus = java.util.List.of();

    @Override
    public java.util.List<io.muslin.dataplane.path.PathMtu.Entry> pathMtus() {
        return pathMtus;
    }

    @Override
    public io.muslin.dataplane.capture.Capture capture() {
        return capture;
    }

    @Override
    public io.muslin.dataplane.engine.DataplaneSettings settings() {
        return settings;
    }

    @Override
    public int outerLimit(int underlay) {
        return outerLimits.getOrDefault(underlay, 1500);
    }

    public java.util.List<io.muslin.control.bgp.speaker.BgpSessionStatus> bgpSessions;
    public java.util.Map<String, Long> bgpCounters = java.util.Map.of();

    @Override
    public java.util.List<io.muslin.control.program.PeerProgrammer.Peer> peers() {
        return peers;
    }

    @Override
    public java.util.List<io.muslin.control.bgp.speaker.BgpSessionStatus> bgpSessions() {
        return bgpSessions;
    }

    @Override
    public java.util.Map<String, Long> bgpCounters() {
        return bgpCounters;
    }

    @Override
    public Tables.Snapshot snapshot() {
        return tables.snapshot();
    }

    @Override
    public Counters counters() {
        return counters;
    }

    @Override
    public String deviceName() {
        return "muslin0";
    }

    @Override
    public int vni() {
        return 1;
    }

    @Override
    public int mtu() {
        return 1450;
    }
}
