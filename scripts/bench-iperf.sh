#!/usr/bin/env bash
# bench-iperf.sh — one TCP stream (iperf3) pod1 -> pod2 through muslin, the kernel's VXLAN
# (flannel.1) and plain routing, on the same 2-node lab topology (one subnet), in one run.
#
#   scripts/bench-iperf.sh [-t SECONDS] [--out DIR] [--only LIST] [--prefix P]
#                          [--capture [--capture-rounds N] [--scrapes N]]
#     (root; default 20 s; DIR = <repo>/bench-out; LIST of muslin, kernel, routing, ipip,
#      hostgw, default muslin,kernel,routing; ipip and hostgw are the muslin daemon with
#      lab.sh --backend ipip / --backend host-gw; P the lab prefix, default mbench;
#      --capture: instead, the cost of muslin capture and of a /metrics scrape, see
#      capture_bench below; rounds default 3, scrapes default 200)
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
PREFIX=mbench
CAPTURE_BENCH=''
CAPTURE_ROUNDS=3
SCRAPES=200
while [[ $# -gt 0 ]]; do
    case "$1" in
        -t|--seconds) DURATION="${2:?}"; shift 2 ;;
        --out) OUT="${2:?}"; shift 2 ;;
        --only) ONLY="${2:?}"; shift 2 ;;
        --prefix) PREFIX="${2:?}"; shift 2 ;;
        --capture) CAPTURE_BENCH=1; shift ;;
        --capture-rounds) CAPTURE_ROUNDS="${2:?}"; shift 2 ;;
        --scrapes) SCRAPES="${2:?}"; shift 2 ;;
        -h|--help) sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
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
readonly PREFIX

[[ -n "$CAPTURE_BENCH" ]] && NEEDS_JAR=1
is_root || die "bench-iperf.sh needs root (network namespaces): sudo scripts/bench-iperf.sh"
ensure_packages iproute2 procps iputils-ping iperf3
[[ -z "$CAPTURE_BENCH" ]] || ensure_packages curl libpcap0.8
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

# ---------------------------------------------------------------- capture and metrics cost
# capture_bench: one muslin VXLAN lab (with Metrics.Listen), then CAPTURE_ROUNDS rounds of three
# iperf3 runs, in turn: no capture; a capture whose filter matches nothing ('host 203.0.113.1',
# so every packet is filtered and none copied); a capture of every point to a file. Then SCRAPES
# scrapes of /metrics: wall time per scrape (curl) and the daemon's CPU time per scrape (from
# /proc/PID/stat). Prints a markdown table with medians and each run, and writes
# DIR/capture.json. Self-contained so that the rest of this script can change around it.
capture_bench() {
    local sock="$MUSLIN_ROOT/.lab/$PREFIX/n1/admin.sock" muslin="$MUSLIN_ROOT/bin/muslin" round kind json cap pid
    local -A runs=([none]='' [nomatch]='' [all]='')
    local -A captured=([nomatch]=0 [all]=0) missed=([nomatch]=0 [all]=0)
    step "capture: lab up (muslin, metrics on 127.0.0.1:9465), $CAPTURE_ROUNDS rounds of 3 x iperf3 ${DURATION} s"
    "$LAB" up --nodes 2 --mode muslin --metrics 9465 --prefix "$PREFIX" || die "lab up failed"
    ip netns exec "$PREFIX-p1" ping -n -q -c 3 -W 2 10.244.2.2 >/dev/null || die "no ping through the lab"
    for ((round = 1; round <= CAPTURE_ROUNDS; round++)); do
        for kind in none nomatch all; do
            json="$OUT/capture-$kind-$round.json"
            cap=''
            case "$kind" in
                nomatch) "$muslin" capture --admin-socket "$sock" -w /dev/null host 203.0.113.1 \
                             2>"$OUT/capture-$kind-$round.log" & cap=$! ;;
                all) "$muslin" capture --admin-socket "$sock" --point tun-in,wire-out,wire-in,tun-out,drop \
                         -w "$OUT/capture-all.pcapng" 2>"$OUT/capture-$kind-$round.log" & cap=$! ;;
            esac
            if [[ -n "$cap" ]]; then
                for _ in $(seq 100); do grep -q 'capturing on' "$OUT/capture-$kind-$round.log" 2>/dev/null && break; sleep 0.1; done
            fi
            iperf_pods "$PREFIX" 1 2 "$DURATION" "$json" || warn "capture $kind round $round: iperf3 failed"
            if [[ -n "$cap" ]]; then
                kill -TERM "$cap"; wait "$cap" || true
                read -r c m < <(sed -n 's/.*captured \([0-9]*\), missed \([0-9]*\).*/\1 \2/p' "$OUT/capture-$kind-$round.log")
                captured[$kind]=$((captured[$kind] + ${c:-0})); missed[$kind]=$((missed[$kind] + ${m:-0}))
            fi
            runs[$kind]+="$(iperf_gbps "$json") "
            log "capture $kind round $round: $(iperf_gbps "$json") Gb/s"
        done
    done
    pid="$(cat "$MUSLIN_ROOT/.lab/$PREFIX/n1/muslin.pid")"
    local t0 t1 c0 c1 hz wall_ms cpu_ms size
    hz="$(getconf CLK_TCK)"
    c0="$(awk '{ print $14 + $15 }' "/proc/$pid/stat")"
    t0="$(date +%s%N)"
    for ((i = 0; i < SCRAPES; i++)); do
        ip netns exec "$PREFIX-n1" curl -sf -o "$OUT/metrics.txt" http://127.0.0.1:9465/metrics || die "scrape failed"
    done
    t1="$(date +%s%N)"
    c1="$(awk '{ print $14 + $15 }' "/proc/$pid/stat")"
    wall_ms="$(awk -v a="$t0" -v b="$t1" -v n="$SCRAPES" 'BEGIN { printf "%.2f", (b - a) / 1e6 / n }')"
    cpu_ms="$(awk -v a="$c0" -v b="$c1" -v n="$SCRAPES" -v hz="$hz" 'BEGIN { printf "%.2f", (b - a) * 1000 / hz / n }')"
    size="$(wc -c <"$OUT/metrics.txt")"
    "$LAB" down --prefix "$PREFIX"

    cratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a ~ /^[0-9.]+$/ && b ~ /^[0-9.]+$/ && b > 0) printf "%.3f", a / b; else printf "n/a" }'; }
    median() { tr ' ' '\n' | grep -E '^[0-9.]+$' | sort -n | awk '{ v[NR] = $1 } END { if (NR == 0) print "n/a"; else if (NR % 2) print v[(NR + 1) / 2]; else printf "%.2f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
    local m_none m_nomatch m_all
    m_none="$(median <<<"${runs[none]}")"; m_nomatch="$(median <<<"${runs[nomatch]}")"; m_all="$(median <<<"${runs[all]}")"
    echo
    echo "muslin capture cost: iperf3, one TCP stream, ${DURATION} s, $CAPTURE_ROUNDS rounds in turn; same lab, same run"
    echo "CPU: $CPU_MODEL; nproc: $NPROC; kernel: $KERNEL; commit: $COMMIT; $DATE"
    echo
    echo "| capture | Gb/s (median) | vs no capture | runs | packets captured | missed |"
    echo "|---|---:|---:|---|---:|---:|"
    printf '| none | %s | 1.00 | %s | | |\n' "$m_none" "${runs[none]% }"
    printf '| filter matching nothing | %s | %s | %s | %s | %s |\n' "$m_nomatch" "$(cratio "$m_nomatch" "$m_none")" \
        "${runs[nomatch]% }" "${captured[nomatch]}" "${missed[nomatch]}"
    printf '| every point, to a file | %s | %s | %s | %s | %s |\n' "$m_all" "$(cratio "$m_all" "$m_none")" \
        "${runs[all]% }" "${captured[all]}" "${missed[all]}"
    echo
    echo "/metrics scrape ($SCRAPES scrapes, $size bytes): ${wall_ms} ms wall per scrape (curl), ${cpu_ms} ms daemon CPU per scrape"
    {
        printf '{\n  "benchmark": "muslin capture and /metrics cost",\n  "duration_s": %s,\n  "rounds": %s,\n' "$DURATION" "$CAPTURE_ROUNDS"
        printf '  "machine": {"cpu": "%s", "nproc": %s, "kernel": "%s"},\n' "$(json_escape "$CPU_MODEL")" "$NPROC" "$(json_escape "$KERNEL")"
        printf '  "commit": "%s",\n  "date": "%s",\n' "$COMMIT" "$DATE"
        printf '  "gbps": {"none": [%s], "nomatch": [%s], "all": [%s]},\n' "$(tr ' ' ',' <<<"${runs[none]% }")" \
            "$(tr ' ' ',' <<<"${runs[nomatch]% }")" "$(tr ' ' ',' <<<"${runs[all]% }")"
        printf '  "captured": {"nomatch": %s, "all": %s}, "missed": {"nomatch": %s, "all": %s},\n' \
            "${captured[nomatch]}" "${captured[all]}" "${missed[nomatch]}" "${missed[all]}"
        printf '  "scrape": {"count": %s, "bytes": %s, "wall_ms": %s, "daemon_cpu_ms": %s}\n}\n' "$SCRAPES" "$size" "$wall_ms" "$cpu_ms"
    } >"$OUT/capture.json"
    log "results: $OUT/capture.json"
}

if [[ -n "$CAPTURE_BENCH" ]]; then
    capture_bench
    exit 0
fi

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
