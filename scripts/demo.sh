#!/usr/bin/env bash
# demo.sh — muslin next to the kernel's VXLAN, on two namespace labs, in about a minute.
#
#   scripts/demo.sh [--seconds N] [--out DIR]      (root; default 10 s, DIR = <repo>/demo-out)
#
# 1. builds muslin if needed;
# 2. lab "mdemo": 2 muslin nodes: ping pod1 -> pod2, capture node 1's VXLAN traffic as sent and
#    received (muslin capture, pcapng) during a ping and a short, rate-limited iperf3 into
#    DIR/underlay.pcapng, then iperf3 (one TCP stream, N s);
# 3. lab "kdemo": 2 nodes with the kernel's VXLAN (flannel.1, as flannel programs it): the same
#    ping and iperf3;
# 4. prints a tshark decode of the capture and a summary. Both labs are torn down on exit.
set -euo pipefail

. "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/lib/common.sh"
. "$MUSLIN_ROOT/scripts/lib/iperf.sh"

SECONDS_IPERF=10
OUT="$MUSLIN_ROOT/demo-out"
while [[ $# -gt 0 ]]; do
    case "$1" in
        --seconds|-t) SECONDS_IPERF="${2:?}"; shift 2 ;;
        --out) OUT="${2:?}"; shift 2 ;;
        -h|--help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) die "unknown argument: $1 (see --help)" ;;
    esac
done

readonly LAB="$MUSLIN_ROOT/scripts/lab.sh"
readonly MUSLIN_LAB=mdemo KERNEL_LAB=kdemo

is_root || die "demo.sh needs root (network namespaces): sudo scripts/demo.sh"
ensure_packages iproute2 procps iputils-ping iperf3 tshark
find_jdk25
ensure_muslin_jar
mkdir -p "$OUT"
OUT="$(cd "$OUT" && pwd)"

cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    "$LAB" down --prefix "$MUSLIN_LAB" >/dev/null 2>&1 || warn "lab.sh down --prefix $MUSLIN_LAB failed"
    "$LAB" down --prefix "$KERNEL_LAB" >/dev/null 2>&1 || warn "lab.sh down --prefix $KERNEL_LAB failed"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Leftovers of an interrupted earlier run.
"$LAB" down --prefix "$MUSLIN_LAB" >/dev/null 2>&1 || true
"$LAB" down --prefix "$KERNEL_LAB" >/dev/null 2>&1 || true

ping_pods() {
    local prefix="$1"
    step "ping pod1 (10.244.1.2) -> pod2 (10.244.2.2) in lab $prefix"
    ip netns exec "$prefix-p1" ping -n -c 3 -W 2 10.244.2.2
}

# ------------------------------------------------------------------ muslin

"$LAB" up --nodes 2 --mode muslin --prefix "$MUSLIN_LAB"
ping_pods "$MUSLIN_LAB"

PCAP="$OUT/underlay.pcapng"
step "capturing node 1's VXLAN traffic as sent and received (muslin capture) -> $PCAP"
rm -f "$PCAP"
# muslin's own capture writes each UDP GSO message and GRO batch as the datagrams on the wire,
# and comments every packet with its point, peer and VNI; nothing on the node changes.
"$MUSLIN_ROOT/bin/muslin" capture --admin-socket "$MUSLIN_ROOT/.lab/$MUSLIN_LAB/n1/admin.sock" \
    --point wire-out,wire-in --snaplen 256 -w "$PCAP" 2>"$OUT/capture.log" &
CAPTURE_PID=$!
for ((i = 0; i < 100; i++)); do grep -q 'capturing on' "$OUT/capture.log" 2>/dev/null && break; sleep 0.1; done
ip netns exec "$MUSLIN_LAB-p1" ping -n -c 3 -i 0.2 -W 2 10.244.2.2 >/dev/null
ip netns exec "$MUSLIN_LAB-p2" iperf3 -s -1 >/dev/null 2>&1 &
sleep 0.5
ip netns exec "$MUSLIN_LAB-p1" iperf3 -c 10.244.2.2 -t 1 -b 50M >/dev/null || warn "short iperf3 for the capture failed"
wait $! 2>/dev/null || true
sleep 0.5
kill -TERM "$CAPTURE_PID" 2>/dev/null || true
wait "$CAPTURE_PID" 2>/dev/null || true
grep -E 'captured' "$OUT/capture.log" >&2 || true

step "iperf3, one TCP stream, ${SECONDS_IPERF} s, through muslin"
MUSLIN_GBPS="failed"
if iperf_pods "$MUSLIN_LAB" 1 2 "$SECONDS_IPERF" "$OUT/iperf-muslin.json"; then
    MUSLIN_GBPS="$(iperf_gbps "$OUT/iperf-muslin.json")"
fi
log "muslin: $MUSLIN_GBPS Gb/s"
step "muslin stats on node 1"
"$MUSLIN_ROOT/bin/muslin" stats --admin-socket "$MUSLIN_ROOT/.lab/$MUSLIN_LAB/n1/admin.sock" | awk '$2 != "0"' || true
"$LAB" down --prefix "$MUSLIN_LAB"

# ------------------------------------------------------------------ kernel VXLAN

"$LAB" up --nodes 2 --mode kernel --prefix "$KERNEL_LAB"
ping_pods "$KERNEL_LAB"
step "iperf3, one TCP stream, ${SECONDS_IPERF} s, through the kernel's VXLAN (flannel.1)"
KERNEL_GBPS="failed"
if iperf_pods "$KERNEL_LAB" 1 2 "$SECONDS_IPERF" "$OUT/iperf-kernel.json"; then
    KERNEL_GBPS="$(iperf_gbps "$OUT/iperf-kernel.json")"
fi
log "kernel VXLAN: $KERNEL_GBPS Gb/s"
"$LAB" down --prefix "$KERNEL_LAB"

# ------------------------------------------------------------------ what was on the wire

step "tshark decode of the muslin underlay (first 6 frames)"
tshark -r "$PCAP" -d udp.port==8472,vxlan -c 6 2>/dev/null || warn "tshark could not read $PCAP"
step "one frame, field by field"
tshark -r "$PCAP" -d udp.port==8472,vxlan -Y icmp -c 1 -T fields -E header=y -E separator=' ' \
    -e ip.src -e udp.srcport -e udp.dstport -e vxlan.flags -e vxlan.vni -e eth.src -e eth.dst -e icmp.type \
    2>/dev/null || true
FRAMES="$(tshark -r "$PCAP" 2>/dev/null | wc -l)"

step "summary"
printf '  %-28s %s Gb/s\n' "muslin (userspace VXLAN):" "$MUSLIN_GBPS" "kernel VXLAN (flannel.1):" "$KERNEL_GBPS"
if [[ "$MUSLIN_GBPS" != failed && "$KERNEL_GBPS" != failed ]]; then
    awk -v m="$MUSLIN_GBPS" -v k="$KERNEL_GBPS" 'BEGIN { if (k > 0) printf "  muslin / kernel:             %.2f\n", m / k }'
fi
printf '  underlay capture:            %s (%s frames; open with: tshark -r %s -d udp.port==8472,vxlan)\n' \
    "$PCAP" "$FRAMES" "$PCAP"
printf '  iperf3 JSON:                 %s/iperf-muslin.json, %s/iperf-kernel.json\n' "$OUT" "$OUT"
[[ "$MUSLIN_GBPS" != failed && "$KERNEL_GBPS" != failed ]]
