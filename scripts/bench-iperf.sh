#!/usr/bin/env bash
# bench-iperf.sh — one TCP stream (iperf3) pod1 -> pod2 through muslin, the kernel's VXLAN
# (flannel.1) and plain routing, on the same 2-node lab topology (one subnet), in one run.
#
#   scripts/bench-iperf.sh [-t SECONDS] [--out DIR] [--only LIST]
#     (root; default 20 s; DIR = <repo>/bench-out; LIST of muslin, kernel, routing, ipip,
#      hostgw, default muslin,kernel,routing; ipip and hostgw are the muslin daemon with
#      lab.sh --backend ipip / --backend host-gw)
#
# Prints a markdown table (Gb/s, retransmits, sender/receiver CPU %, ratios against the kernel
# and routing) and writes DIR/iperf.json, plus iperf3's own JSON per dataplane.
# Absolute numbers depend on the machine; compare the ratios of one run.
set -euo pipefail

. "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/lib/common.sh"
. "$MUSLIN_ROOT/scripts/lib/iperf.sh"

DURATION=20
OUT="$MUSLIN_ROOT/bench-out"
ONLY="muslin,kernel,routing"
while [[ $# -gt 0 ]]; do
    case "$1" in
        -t|--seconds) DURATION="${2:?}"; shift 2 ;;
        --out) OUT="${2:?}"; shift 2 ;;
        --only) ONLY="${2:?}"; shift 2 ;;
        -h|--help) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) die "unknown argument: $1 (see --help)" ;;
    esac
done
[[ "$DURATION" =~ ^[0-9]+$ && "$DURATION" -ge 1 ]] || die "-t: '$DURATION' is not a number of seconds"

# The lab.sh options of each dataplane, and whether it runs the muslin daemon.
lab_args() {
    case "$1" in
        muslin|kernel|routing) echo "--mode $1" ;;
        ipip) echo "--mode muslin --backend ipip" ;;
        hostgw) echo "--mode muslin --backend host-gw" ;;
        *) return 1 ;;
    esac
}
runs_muslin() { [[ "$1" == muslin || "$1" == ipip || "$1" == hostgw ]]; }
# The prefix of the files that keep a muslin dataplane's stats and log: muslin, muslin-ipip, ...
muslin_tag() { if [[ "$1" == muslin ]]; then echo muslin; else echo "muslin-$1"; fi; }

NEEDS_JAR=''
for mode in ${ONLY//,/ }; do
    lab_args "$mode" >/dev/null || die "--only: unknown dataplane '$mode' (muslin, kernel, routing, ipip, hostgw)"
    runs_muslin "$mode" && NEEDS_JAR=1
done

readonly LAB="$MUSLIN_ROOT/scripts/lab.sh"
readonly PREFIX=mbench

is_root || die "bench-iperf.sh needs root (network namespaces): sudo scripts/bench-iperf.sh"
ensure_packages iproute2 procps iputils-ping iperf3
mkdir -p "$OUT"
OUT="$(cd "$OUT" && pwd)"
if [[ -n "$NEEDS_JAR" ]]; then
    find_jdk25
    ensure_muslin_jar
fi

trap '"$LAB" down --prefix "$PREFIX" >/dev/null 2>&1 || true' EXIT
"$LAB" down --prefix "$PREFIX" >/dev/null 2>&1 || true

CPU_MODEL="$(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo 2>/dev/null || true)"
CPU_MODEL="${CPU_MODEL:-unknown}"
KERNEL="$(uname -r)"
NPROC="$(nproc)"
DATE="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
COMMIT="$(git -C "$MUSLIN_ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)"

json_escape() { sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' <<<"$1"; }

declare -A GBPS RETR CPU_TX CPU_RX
RESULTS=()
for mode in ${ONLY//,/ }; do
    step "$mode: lab up, ping, iperf3 ${DURATION} s"
    GBPS[$mode]=failed RETR[$mode]='' CPU_TX[$mode]='' CPU_RX[$mode]=''
    json="$OUT/iperf-$mode.json"
    read -r -a args <<<"$(lab_args "$mode")"
    if "$LAB" up --nodes 2 "${args[@]}" --prefix "$PREFIX" \
        && ip netns exec "$PREFIX-p1" ping -n -q -c 3 -W 2 10.244.2.2 >/dev/null \
        && iperf_pods "$PREFIX" 1 2 "$DURATION" "$json"; then
        GBPS[$mode]="$(iperf_gbps "$json")"
        RETR[$mode]="$(iperf_field "$json" sum_sent retransmits)"
        CPU_TX[$mode]="$(iperf_field "$json" cpu_utilization_percent host_total)"
        CPU_RX[$mode]="$(iperf_field "$json" cpu_utilization_percent remote_total)"
        if runs_muslin "$mode"; then
            "$MUSLIN_ROOT/bin/muslin" stats --admin-socket "$MUSLIN_ROOT/.lab/$PREFIX/n1/admin.sock" \
                >"$OUT/$(muslin_tag "$mode")-stats-n1.txt" 2>&1 || true
        fi
    else
        warn "$mode: failed (see above; lab logs in $MUSLIN_ROOT/.lab/$PREFIX)"
        if runs_muslin "$mode"; then
            cp "$MUSLIN_ROOT/.lab/$PREFIX/n1/muslin.log" "$OUT/$(muslin_tag "$mode")-n1.log" 2>/dev/null || true
        fi
    fi
    "$LAB" down --prefix "$PREFIX"
    log "$mode: ${GBPS[$mode]} Gb/s"
    RESULTS+=("$mode")
done

ratio() { # ratio A B: A/B with 2 decimals, or n/a
    awk -v a="$1" -v b="$2" 'BEGIN { if (a ~ /^[0-9.]+$/ && b ~ /^[0-9.]+$/ && b > 0) printf "%.2f", a / b; else printf "n/a" }'
}
fmt1() { awk -v v="$1" 'BEGIN { if (v == "") printf "n/a"; else printf "%.0f", v }'; }

echo
echo "iperf3, one TCP stream, ${DURATION} s, pod1 -> pod2 over a veth/bridge underlay (MTU 1500)"
echo "CPU: $CPU_MODEL; nproc: $NPROC; kernel: $KERNEL; commit: $COMMIT; $DATE"
echo
echo "| dataplane | Gb/s | vs kernel VXLAN | vs routing | retransmits | sender CPU % | receiver CPU % |"
echo "|---|---:|---:|---:|---:|---:|---:|"
for mode in "${RESULTS[@]}"; do
    case "$mode" in
        muslin) name="muslin (userspace VXLAN)" ;;
        kernel) name="kernel VXLAN (flannel.1)" ;;
        routing) name="plain routing (no overlay)" ;;
        ipip) name="muslin ipip" ;;
        hostgw) name="muslin host-gw" ;;
    esac
    printf '| %s | %s | %s | %s | %s | %s | %s |\n' "$name" "${GBPS[$mode]}" \
        "$(ratio "${GBPS[$mode]}" "${GBPS[kernel]:-}")" "$(ratio "${GBPS[$mode]}" "${GBPS[routing]:-}")" \
        "${RETR[$mode]:-n/a}" "$(fmt1 "${CPU_TX[$mode]}")" "$(fmt1 "${CPU_RX[$mode]}")"
done

{
    printf '{\n  "benchmark": "iperf3 one TCP stream pod1 -> pod2",\n  "duration_s": %s,\n' "$DURATION"
    printf '  "machine": {"cpu": "%s", "nproc": %s, "kernel": "%s"},\n' "$(json_escape "$CPU_MODEL")" "$NPROC" "$(json_escape "$KERNEL")"
    printf '  "commit": "%s",\n  "date": "%s",\n  "results": [' "$COMMIT" "$DATE"
    sep=''
    for mode in "${RESULTS[@]}"; do
        g="${GBPS[$mode]}"; [[ "$g" == failed ]] && g=null
        printf '%s\n    {"dataplane": "%s", "gbps": %s, "retransmits": %s, "sender_cpu_pct": %s, "receiver_cpu_pct": %s, "iperf3_json": "iperf-%s.json"}' \
            "$sep" "$mode" "$g" "${RETR[$mode]:-null}" "${CPU_TX[$mode]:-null}" "${CPU_RX[$mode]:-null}" "$mode"
        sep=','
    done
    printf '\n  ]\n}\n'
} >"$OUT/iperf.json"
echo
log "results: $OUT/iperf.json"
for mode in "${RESULTS[@]}"; do
    [[ "${GBPS[$mode]}" != failed ]] || exit 1
done
