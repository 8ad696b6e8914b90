/**
 * A node's side of the hub: {@link io.muslin.control.hub.client.HubLeaseStore} is a
 * {@link io.muslin.control.store.LeaseStore} over one session ({@code HubConnection}, made again
 * whenever it drops, to the next of {@link io.muslin.control.hub.client.HubClientSettings}'
 * endpoints when one fails), so a node's lease keeping is the same for etcd and for a hub.
 */
package io.muslin.control.hub.client;
