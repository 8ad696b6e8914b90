/**
 * Leases in flannel's model, used verbatim: a node's subnet, public IP and backend data.
 *
 * <p>flannel stores each lease under {@code <prefix>/subnets/10.244.2.0-24} with the value
 * <pre>
 *   {"PublicIP":"192.168.1.11","BackendType":"vxlan","BackendData":{"VNI":1,"VtepMAC":"c6:d2:32:6f:8f:44"}}
 * </pre>
 * (see flannel {@code pkg/subnet/subnet.go} {@code LeaseAttrs} and
 * {@code pkg/backend/vxlan/vxlan.go} {@code vxlanLeaseAttrs}). muslin's static configuration
 * uses the same object with the subnet inline as {@code "Subnet":"10.244.2.0/24"}.
 */
package io.muslin.control.lease;
