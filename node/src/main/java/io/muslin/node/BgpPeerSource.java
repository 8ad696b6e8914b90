package io.muslin.node;

import io.muslin.control.bgp.speaker.BgpSessionStatus;
import io.muslin.control.bgp.speaker.BgpSettings;
import io.muslin.control.bgp.speaker.BgpSpeaker;
import io.muslin.control.bgp.speaker.BgpState;
import io.muslin.control.bgp.speaker.LeaseFeed;
import io.muslin.control.program.PeerProgrammer;
import io.muslin.dataplane.packet.Ipv4Address;
import io.muslin.dataplane.packet.Ipv4Prefix;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import org.slf4j.LoggerFactory;

/**
 * Peers from BGP (Calico's way): a {@link BgpSpeaker} announces this node's subnet with its
 * PublicIP as next hop (and its VTEP MAC, for VXLAN) and learns the other nodes' blocks from
 * route reflectors or a full mesh; a {@link LeaseFeed} turns each best route into a lease for
 * the programmer. There is no lease store: the subnet is the configured one. {@link #close}
 * withdraws our routes and ends the sessions; the programmed peers stay until the daemon
 * removes them.
 */
final class BgpPeerSource implements PeerSource {
    private final BgpSettings settings;
    private final Ipv4Prefix subnet;
    private final long vtepMac;
    private final String backendType;
    private final int vni;
    private LeaseFeed feed;
    private BgpSpeaker speaker;

    /**
     * @param vtepMac     this node's VTEP MAC, sent with its route (VXLAN), or MacAddress.NONE
     * @param backendType this node's backend: the learned leases get it
     * @param vni         this node's VNI (VXLAN), else Lease.NO_VNI
     */
    BgpPeerSource(BgpSettings settings, Ipv4Prefix subnet, long vtepMac, String backendType, int vni) {
        this.settings = settings;
        this.subnet = subnet;
        this.vtepMac = vtepMac;
        this.backendType = backendType;
        this.vni = vni;
    }

    @Override
    public synchronized void start(PeerProgrammer programmer) throws IOException {
        feed = new LeaseFeed(programmer, backendType, vni, null);
        speaker = new BgpSpeaker(settings, List.of(new BgpSpeaker.OwnRoute(subnet, vtepMac)), feed);
        speaker.start();
    }

    @Override
    public String name() {
        return "bgp";
    }

    /** {@code bgp as 64512, 1/2 sessions established}. */
    @Override
    public String status() {
        List<BgpSessionStatus> s = sessions();
        long up = s.stream().filter(x -> x.state() == BgpState.ESTABLISHED).count();
        return "bgp as " + settings.as() + ", " + up + "/" + s.size() + " sessions established";
    }

    @Override
    public synchronized List<BgpSessionStatus> sessions() {
        return speaker == null ? List.of() : speaker.sessions();
    }

    @Override
    public synchronized Map<String, Long> bgpCounters() {
        Map<String, Long> c = new java.util.LinkedHashMap<>(speaker == null ? Map.of() : speaker.counters());
        c.put("routesNotProgrammed", feed == null ? 0 : feed.refused());
        return c;
    }

    @Override
    public synchronized void close() {
        if (speaker != null) {
            speaker.close();
        }
        if (feed != null) {
            feed.close();
        }
    }

    /** BGP announces the next hop it started with; a new PublicIP takes a restart of the node. */
    @Override
    public void publicIpChanged(int publicIp) {
        LoggerFactory.getLogger(BgpPeerSource.class).warn("the PublicIP is now {}, but BGP announces its "
            + "block with the next hop it started with: restart this node to announce the new one",
            Ipv4Address.format(publicIp));
    }
}
