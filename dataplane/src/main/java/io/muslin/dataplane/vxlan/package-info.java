/**
 * VXLAN, RFC 7348 ("Virtual eXtensible Local Area Network (VXLAN): A Framework for Overlaying
 * Virtualized Layer 2 Networks over Layer 3 Networks"): the 8-byte header of §5
 * ({@link io.muslin.dataplane.vxlan.VxlanHeader}), the encapsulation of an inner IP packet into
 * an outer IPv4/UDP/VXLAN/Ethernet frame ({@link io.muslin.dataplane.vxlan.VxlanEncapsulator})
 * and its validation on receipt ({@link io.muslin.dataplane.vxlan.VxlanDecoder}).
 *
 * <p>The frames are those of the Linux vxlan driver as flannel configures it ({@code flannel.1}:
 * VNI 1, UDP port 8472, outer UDP checksum zero, source port from the inner flow hash), so
 * either end may be the kernel. Everything here is pure {@code ByteBuf} code on buffers the
 * caller owns: no I/O, no allocation per packet.
 */
package io.muslin.dataplane.vxlan;
