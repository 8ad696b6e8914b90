/**
 * The node's local admin socket (Unix domain, root only): {@code routes}, {@code neigh},
 * {@code fdb} and {@code stats}, one command per connection, text replies modeled on iproute2.
 * Served by one daemon thread, off the packet path.
 */
package io.muslin.node.admin;
