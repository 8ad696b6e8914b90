/**
 * Where leases are kept: {@link io.muslin.control.store.LeaseStore}, its etcd v3
 * implementation in flannel's layout ({@link io.muslin.control.store.EtcdLeaseStore}), and the
 * hub's own store on disk with the same semantics ({@link io.muslin.control.store.EmbeddedLeaseStore}).
 *
 * <p>flannel ({@code pkg/subnet/etcd/registry.go}) keeps, under a prefix that defaults to
 * {@code /coreos.com/network}:
 * <pre>
 *   &lt;prefix&gt;/config                      net-conf.json (Network, SubnetLen, Backend, ...)
 *   &lt;prefix&gt;/subnets/10.244.2.0-24        {"PublicIP":"192.168.1.11","BackendType":"vxlan",
 *                                          "BackendData":{"VNI":1,"VtepMAC":"c6:d2:32:6f:8f:44"}}
 * </pre>
 * Each subnet key is attached to an etcd lease (24 h in flannel, renewed an hour before it
 * expires) and created with a transaction {@code If(Version(key) == 0)}. Nodes list
 * {@code <prefix>/subnets/}, then watch it from the listing's revision, and list again when
 * the watch's revision has been compacted away.
 */
package io.muslin.control.store;
