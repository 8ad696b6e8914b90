/**
 * IP-in-IP (RFC 2003, IP protocol 4), as Calico's {@code tunl0} and flannel's ipip backend
 * send it: an outer IPv4 header in front of the inner IPv4 packet, nothing else.
 * {@link io.muslin.dataplane.ipip.IpipEncapsulator} writes it;
 * {@link io.muslin.dataplane.path.IpipInboundPath} checks and strips it.
 */
package io.muslin.dataplane.ipip;
