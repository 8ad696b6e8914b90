/**
 * The node daemon and CLI: configuration, the persisted VTEP MAC, subnet.env, the admin socket
 * and the wiring of dataplane and control. No packet logic lives here.
 */
package io.muslin.node;
