/**
 * Programming peers: the decision of what a lease means for the route, ARP and FDB tables
 * (flannel {@code pkg/backend/vxlan/vxlan_network.go} {@code handleSubnetEvents}), applied
 * atomically through {@link io.muslin.dataplane.table.Tables#update}.
 */
package io.muslin.control.program;
