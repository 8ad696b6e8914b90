/**
 * The hub's server side: {@link io.muslin.control.hub.server.HubServer} listens and runs one
 * {@code HubSession} per node (TLS identity, Hello, requests, back-pressure); {@code HubPolicy}
 * decides what a lease may be; {@code HubView} is the hub's copy of its store, fed by one watch,
 * that answers List, keeps the recent changes for nodes that resume and fans each change out to
 * every watching session; {@link io.muslin.control.hub.server.HubStats} counts each refusal;
 * {@link io.muslin.control.hub.server.HubConfig} reads {@code muslin hub}'s file.
 *
 * <p>Threads: Netty I/O threads run the sessions; store calls run on the store executor; the
 * store's watch thread updates the view and queues the fan-out, one task per event loop.
 */
package io.muslin.control.hub.server;
