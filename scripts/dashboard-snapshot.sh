#!/usr/bin/env bash
# dashboard-snapshot.sh — a picture of the Grafana dashboard (docs/grafana/muslin-dashboard.json)
# from real data: a two-node muslin lab with metrics on, /metrics of node 1 scraped every second
# while iperf3 runs, some malformed datagrams arrive and a capture runs; then each panel's query
# is computed from the scrapes (rates over 5 s, histogram quantiles from the buckets, as
# Prometheus would) and drawn like Grafana's dark theme with matplotlib.
#
#   scripts/dashboard-snapshot.sh [--prefix P] [--out FILE]   (root; default P mdash, FILE docs/dashboard.png)
#
# Grafana itself is not a Debian package (nor on npm), so it cannot be installed here to render
# the dashboard; this draws the same queries from the same metrics.
set -euo pipefail

. "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/lib/common.sh"

PREFIX=mdash
PNG="$MUSLIN_ROOT/docs/dashboard.png"
while [[ $# -gt 0 ]]; do
    case "$1" in
        --prefix) PREFIX="${2:?}"; shift 2 ;;
        --out) PNG="${2:?}"; shift 2 ;;
        -h|--help) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) die "unknown argument: $1 (see --help)" ;;
    esac
done
is_root || die "dashboard-snapshot.sh needs root (network namespaces)"
ensure_packages iproute2 iperf3 curl python3-matplotlib libpcap0.8
find_jdk25
ensure_muslin_jar

readonly LAB="$MUSLIN_ROOT/scripts/lab.sh"
WORK="$MUSLIN_ROOT/.lab/$PREFIX-scrapes"
rm -rf "$WORK"; mkdir -p "$WORK"
trap '"$LAB" down --prefix "$PREFIX" >/dev/null 2>&1 || true; kill "${SCRAPER:-}" 2>/dev/null || true' EXIT
"$LAB" down --prefix "$PREFIX" >/dev/null 2>&1 || true
"$LAB" up --nodes 2 --mode muslin --metrics 9465 --prefix "$PREFIX"

# Scrape node 1 every second: one file per scrape, named by its time in ms.
(
    while true; do
        ip netns exec "$PREFIX-n1" curl -sf -o "$WORK/$(date +%s%3N).prom" http://127.0.0.1:9465/metrics || true
        sleep 1
    done
) &
SCRAPER=$!

sleep 5
step "traffic: iperf3 15 s pod1 -> pod2, then 10 s pod2 -> pod1; garbage datagrams; a capture"
ip netns exec "$PREFIX-p2" iperf3 -s -1 -p 5201 >/dev/null &
sleep 0.5
ip netns exec "$PREFIX-p1" iperf3 -c 10.244.2.2 -p 5201 -t 15 >/dev/null
ip netns exec "$PREFIX-p2" iperf3 -s -1 -p 5202 >/dev/null &
sleep 0.5
ip netns exec "$PREFIX-p1" iperf3 -c 10.244.2.2 -p 5202 -t 10 -R >/dev/null &
IPERF=$!
"$MUSLIN_ROOT/bin/muslin" capture --admin-socket "$MUSLIN_ROOT/.lab/$PREFIX/n1/admin.sock" -w /dev/null \
    --duration 6 host 203.0.113.1 2>/dev/null &
for i in $(seq 40); do
    # Truncated VXLAN headers and a wrong VNI from node 2 (bash's /dev/udp): dropMalformed, dropWrongVni.
    ip netns exec "$PREFIX-n2" bash -c 'printf "\x08\x00\x00\x00" >/dev/udp/192.168.50.1/8472' || true
    ip netns exec "$PREFIX-n2" bash -c 'printf "\x08\x00\x00\x00\x00\x00\x07\x00%022d" 0 >/dev/udp/192.168.50.1/8472' || true
    sleep 0.1
done
wait "$IPERF" || true
sleep 6
kill "$SCRAPER" 2>/dev/null || true
wait 2>/dev/null || true
"$LAB" down --prefix "$PREFIX"

/usr/bin/python3 "$MUSLIN_ROOT/scripts/lib/render_dashboard.py" "$WORK" "$PNG"
log "wrote $PNG from $(ls "$WORK" | wc -l) scrapes in $WORK"
