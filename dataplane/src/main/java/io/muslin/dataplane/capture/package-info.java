/**
 * Packet capture inside the dataplane: what {@code muslin capture} shows.
 *
 * <p>The packet path sees this package through {@link io.muslin.dataplane.capture.PacketTap}
 * (one per dataplane thread: one volatile read per batch, {@code null} when no capture runs)
 * and {@link io.muslin.dataplane.capture.Recorder} (the calls made at the five capture points).
 * A {@link io.muslin.dataplane.capture.CaptureSession} filters each packet with a classic BPF
 * program ({@link io.muslin.dataplane.capture.BpfFilter}, compiled from tcpdump syntax by libpcap
 * through pcap4j, {@link io.muslin.dataplane.capture.BpfCompiler}), copies what matches into a
 * bounded single-producer ring ({@link io.muslin.dataplane.capture.CaptureRing}; the path never
 * waits: what does not fit is counted as missed) and a writer thread turns the records into
 * pcapng ({@link io.muslin.dataplane.capture.PcapngWriter}, draft-ietf-opsawg-pcapng-03): one
 * interface description block per capture point, an enhanced packet block per packet with an
 * {@code opt_comment} naming the point, the peer, the VNI and, for drops, the counter.
 */
package io.muslin.dataplane.capture;
