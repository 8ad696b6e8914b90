/**
 * BGP-4 on the wire, in Netty's codec style: the messages ({@link io.muslin.control.bgp.BgpOpen},
 * {@link io.muslin.control.bgp.BgpUpdate}, {@link io.muslin.control.bgp.BgpNotification},
 * {@link io.muslin.control.bgp.BgpKeepalive}, {@link io.muslin.control.bgp.BgpRouteRefresh}),
 * a decoder/encoder pair ({@link io.muslin.control.bgp.BgpDecoder},
 * {@link io.muslin.control.bgp.BgpEncoder}), the spec constants ({@link io.muslin.control.bgp.Bgp})
 * and the protocol exception ({@link io.muslin.control.bgp.BgpDecoderException}, which carries
 * the NOTIFICATION to send). The session, its state machine and its routes are in
 * {@code io.muslin.control.bgp.speaker}.
 *
 * <p>The specifications:
 * <ul>
 *   <li>RFC 4271, A Border Gateway Protocol 4 (BGP-4): §4 message formats, §5 path attributes,
 *       §6 error handling (which NOTIFICATION for which fault);</li>
 *   <li>RFC 5492, Capabilities Advertisement with BGP-4 (the OPEN's optional parameter 2);</li>
 *   <li>RFC 4760, Multiprotocol Extensions for BGP-4 (MP_REACH_NLRI, MP_UNREACH_NLRI; IPv4 and
 *       IPv6 unicast are parsed);</li>
 *   <li>RFC 6793, BGP Support for Four-Octet Autonomous System (AS) Number Space (AS_TRANS,
 *       AS4_PATH);</li>
 *   <li>RFC 2918, Route Refresh Capability for BGP-4;</li>
 *   <li>RFC 4724, Graceful Restart Mechanism for BGP (the capability; End-of-RIB markers);</li>
 *   <li>RFC 7606, Revised Error Handling for BGP UPDATE Messages (treat-as-withdraw, attribute
 *       discard, session reset, per attribute);</li>
 *   <li>RFC 1997 (COMMUNITIES), RFC 4360 (EXTENDED_COMMUNITIES), RFC 4456 (ORIGINATOR_ID,
 *       CLUSTER_LIST: what route reflectors add), RFC 8092 (LARGE_COMMUNITY);</li>
 *   <li>RFC 9135 §8.1, the EVPN Router's MAC extended community (type 0x06, sub-type 0x03),
 *       with which a muslin node sends its VTEP MAC along with its route.</li>
 * </ul>
 *
 * <p><b>Why our own codec.</b> Maven Central has one maintained Java BGP implementation,
 * OpenDaylight's BGPCEP ({@code org.opendaylight.bgpcep:bgp-parser-impl} 1.0.0, checked when
 * this was written): its messages are YANG-generated binding classes, it needs 20 OpenDaylight
 * artifacts (yangtools, MD-SAL binding, IETF type models; 2.3 MB) plus Guava, it brings its
 * own Netty version (4.2.7), its parsers are found through OSGi Declarative Services
 * ({@code Require-Capability: osgi.extender=osgi.component}), and its session and RIB live in
 * {@code bgp-rib-impl} on top of an MD-SAL data broker. None of that fits a small daemon on a
 * pinned Netty. Nothing else on Maven Central speaks BGP on the wire. What muslin needs is the
 * unicast subset a Calico node speaks, which is a few hundred lines here, tested against the
 * RFCs' layouts, fuzzed, and run against BIRD in the end-to-end tests.
 */
package io.muslin.control.bgp;
