package io.muslin.control.hub.server;

import io.muslin.control.json.JsonFieldException;
import io.muslin.control.lease.Lease;
import io.muslin.control.lease.NetworkConfig;
import io.muslin.control.store.LeaseStore;
import io.muslin.dataplane.packet.Ipv4Address;
import io.muslin.dataplane.packet.MacAddress;
import java.io.IOException;
import java.util.Optional;

/**
 * What a lease must be for the hub to store it, beyond the certificate naming its PublicIP:
 * a {@code SubnetLen} subnet of the {@code Network} in the store's network configuration (so no
 * node can announce a /25 inside another's /24, or a /0, and take its traffic), a backend muslin
 * forwards for, a VTEP MAC no other PublicIP's lease has, and at most
 * {@link #MAX_LEASES_PER_ADDRESS} leases per PublicIP.
 *
 * <p>The configuration is read from the store on each check (etcd's {@code <prefix>/config} may
 * change) and parsed again only when its text changes. Thread-safe.
 */
final class HubPolicy {
    /**
     * Leases one PublicIP may hold: a node has one, a few while it moves to a new subnet. The
     * count is the hub's view, which trails the store by the requests in flight, so a burst may
     * exceed it by those; the network's size bounds the total whatever happens.
     */
    static final int MAX_LEASES_PER_ADDRESS = 4;

    private final LeaseStore store;
    private final HubView view;
    private record Parsed(String text, NetworkConfig config, String error) {
    }

    private volatile Parsed parsed = new Parsed(null, null, null);

    HubPolicy(LeaseStore store, HubView view) {
        this.store = store;
        this.view = view;
    }

    /** The network leases must fit; an IOException naming what is missing or wrong when there is none. */
    NetworkConfig network() throws IOException {
        Optional<String> text = store.networkConfig();
        if (text.isEmpty()) {
            throw new IOException("the hub has no network configuration (NetworkConfig in its file, or "
                + "<prefix>/config in etcd), so it cannot check leases");
        }
        Parsed p = parsed;
        if (!text.get().equals(p.text())) {
            try {
                p = new Parsed(text.get(), NetworkConfig.parse(text.get()), null);
            } catch (JsonFieldException e) {
                p = new Parsed(text.get(), null, e.getMessage());
            }
            parsed = p;
        }
        if (p.error() != null) {
            throw new IOException("the hub's network configuration is not valid: " + p.error());
        }
        return p.config();
    }

    /** Why {@code lease} may not be stored, or null. {@code acquiring}: a new lease (the per-address limit applies). */
    String refusal(Lease lease, boolean acquiring) throws IOException {
        String why = network().refusal(lease);
        if (why != null) {
            return why;
        }
        Integer macHolder = lease.isVxlan() ? view.vtepMacHolder(lease.vtepMac(), lease.publicIp()) : null;
        if (macHolder != null) {
            // kernel flannel nodes on the same store key their FDB by VTEP MAC: a copy would take the other node's traffic
            return "VtepMAC " + MacAddress.format(lease.vtepMac()) + " is the VTEP of " + Ipv4Address.format(macHolder)
                + "'s lease (accepted: a MAC no other node's lease has)";
        }
        if (!acquiring) {
            return null;
        }
        int held = view.countHeldBy(lease.publicIp(), lease.subnet());
        if (held >= MAX_LEASES_PER_ADDRESS) {
            return "PublicIP " + Ipv4Address.format(lease.publicIp()) + " already holds " + held
                + " other lease(s) (accepted: at most " + MAX_LEASES_PER_ADDRESS + " per address)";
        }
        return null;
    }
}
