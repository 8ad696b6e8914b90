/**
 * The hub protocol on the wire, read alone from the server and the client: the messages
 * ({@link io.muslin.control.hub.protocol.HubMessage}), their JSON form
 * ({@link io.muslin.control.hub.protocol.HubCodec}), the length-prefixed framing
 * ({@link io.muslin.control.hub.protocol.HubFrames}), the protocol exception, and the sockets
 * both ends use ({@link io.muslin.control.hub.protocol.HubTransport}).
 *
 * <pre>
 *   node                                   hub
 *   TLS ClientHello (client certificate) ─▶
 *   Hello{Version, Node}                 ─▶
 *                                        ◀─ Welcome{Version, Node, Revision, Heartbeat} | Error
 *   Acquire / Renew / Release / List /   ─▶
 *   Config {Id, ...}
 *                                        ◀─ Reply{Id, Status, Revision, ...}
 *   Watch{From}                          ─▶
 *                                        ◀─ the kept changes from From, or Resync; then Put / Delete
 *   Ping{} (after a quiet heartbeat)     ◀▶ Ping{}
 * </pre>
 * Each frame is a 4-byte big-endian length and one UTF-8 JSON object whose {@code Type} names
 * the message; leases are flannel's lease JSON with {@code Subnet}. The full table of messages
 * and statuses is in {@code control/README.md}.
 */
package io.muslin.control.hub.protocol;
