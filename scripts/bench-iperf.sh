#!/usr/bin/env bash
# bench-iperf.sh — the dataplane benchmark: pod1 -> pod2 on the 2-node lab (one underlay subnet,
# MTU 1500) through muslin VXLAN, muslin IP-in-IP, the kernel's VXLAN (flannel.1) and plain
# routing, one lab after the other, in one run.
#
#   scripts/bench-iperf.sh [-t SECONDS] [--out DIR] [--only LIST] [--prefix P] [--rounds N]
#                          [--tests LIST] [--ping-count N] [--peers N]
#                          [--variant NAME=JAR] [--variant-opts NAME=JAVA_OPTS]
#                          [--variant-lab NAME=LAB_ARGS] [--no-chart]
#   scripts/bench-iperf.sh --capture [-t SECONDS] [--capture-rounds N] [--scrapes N] [--prefix P]
#     (root; -t: seconds per throughput test, default 10; DIR: <repo>/bench-out;
#      --only: dataplanes muslin, ipip, kernel, routing, hostgw, default muslin,ipip,kernel,routing;
#        muslin@NAME / ipip@NAME run the jar, JVM options and extra lab.sh options (e.g.
#        "--threads 1 --idle-spin 200") of variant NAME (baseline and candidate in one run:
#        --only muslin@base,muslin --rounds 2 runs them A/B/A/B);
#      --prefix: the lab's namespace prefix, default $MUSLIN_BENCH_PREFIX or mbench;
#      --rounds: repeat the whole list N times, interleaved; --tests: any of tcp1, tcp4, udp64,
#        ping, rss (default all); --ping-count: samples per ping rate, default 500;
#      --peers: static peers of the idle daemon whose RSS is measured, default 1000;
#      --capture: instead, the cost of muslin capture and of a /metrics scrape, see capture_bench
#      below; rounds default 3, scrapes default 200)
#
# Per dataplane: iperf3 TCP with 1 and with 4 streams (Gb/s, retransmits), 64-byte UDP
# (-u -b 0 -l 64: datagrams delivered per second), ping p50/p99 at 5 Hz and at 1 kHz after the
# throughput tests (and 20 pings at 5 Hz right after the lab came up), the muslin daemons' CPU
# seconds (user + system, both nodes) per GB received; for each muslin build, the resident
# memory of an idle daemon with --peers peers. Prints a markdown table, writes DIR/bench.json,
# DIR/bench.png (throughput and latency side by side) and every raw output under DIR/runs/.
# Absolute numbers depend on the machine; compare ratios within one run.
set -euo pipefail

. "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/lib/common.sh"
. "$MUSLIN_ROOT/scripts/lib/iperf.sh"

DURATION=10
OUT="$MUSLIN_ROOT/bench-out"
ONLY="muslin,ipip,kernel,routing"
PREFIX="${MUSLIN_BENCH_PREFIX:-mbench}"
ROUNDS=1
TESTS="tcp1,tcp4,udp64,ping,rss"
PING_COUNT=500
PEERS=1000
CHART=1
CAPTURE_BENCH=''
CAPTURE_ROUNDS=3
SCRAPES=200
declare -A VARIANT_JAR VARIANT_OPTS VARIANT_LAB
while [[ $# -gt 0 ]]; do
    case "$1" in
        -t|--seconds) DURATION="${2:?}"; shift 2 ;;
        --out) OUT="${2:?}"; shift 2 ;;
        --only) ONLY="${2:?}"; shift 2 ;;
        --prefix) PREFIX="${2:?}"; shift 2 ;;
        --rounds) ROUNDS="${2:?}"; shift 2 ;;
        --tests) TESTS="${2:?}"; shift 2 ;;
        --ping-count) PING_COUNT="${2:?}"; shift 2 ;;
        --peers) PEERS="${2:?}"; shift 2 ;;
        --variant) v="${2:?}"; [[ "$v" == *=* ]] || die "--variant: '$v' is not NAME=JAR"
            VARIANT_JAR[${v%%=*}]="$(readlink -f "${v#*=}")"; shift 2 ;;
        --variant-opts) v="${2:?}"; [[ "$v" == *=* ]] || die "--variant-opts: '$v' is not NAME=JAVA_OPTS"
            VARIANT_OPTS[${v%%=*}]="${v#*=}"; shift 2 ;;
        --variant-lab) v="${2:?}"; [[ "$v" == *=* ]] || die "--variant-lab: '$v' is not NAME=LAB_ARGS"
            VARIANT_LAB[${v%%=*}]="${v#*=}"; shift 2 ;;
        --no-chart) CHART=''; shift ;;
        --capture) CAPTURE_BENCH=1; shift ;;
        --capture-rounds) CAPTURE_ROUNDS="${2:?}"; shift 2 ;;
        --scrapes) SCRAPES="${2:?}"; shift 2 ;;
        -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) die "unknown argument: $1 (see --help)" ;;
    esac
done
[[ "$DURATION" =~ ^[0-9]+$ && "$DURATION" -ge 1 ]] || die "-t: '$DURATION' is not a number of seconds"
[[ "$ROUNDS" =~ ^[0-9]+$ && "$ROUNDS" -ge 1 ]] || die "--rounds: '$ROUNDS' is not a positive number"
[[ "$PING_COUNT" =~ ^[0-9]+$ && "$PING_COUNT" -ge 10 ]] || die "--ping-count: '$PING_COUNT' must be 10 or more"
[[ "$PEERS" =~ ^[0-9]+$ && "$PEERS" -ge 1 && "$PEERS" -le 60000 ]] || die "--peers: '$PEERS' must be 1-60000"
[[ "$PREFIX" =~ ^[A-Za-z][A-Za-z0-9_]{0,9}$ ]] || die "--prefix: '$PREFIX' must be a letter then up to 9 letters, digits or _"
for t in ${TESTS//,/ }; do
    case "$t" in tcp1|tcp4|udp64|ping|rss) ;; *) die "--tests: unknown test '$t' (tcp1, tcp4, udp64, ping, rss)" ;; esac
done
has_test() { [[ ",$TESTS," == *",$1,"* ]]; }

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

NEEDS_JAR=''
for entry in ${ONLY//,/ }; do
    mode="${entry%%@*}"
    lab_args "$mode" >/dev/null || die "--only: unknown dataplane '$mode' (muslin, kernel, routing, ipip, hostgw)"
    if [[ "$entry" == *@* ]]; then
        runs_muslin "$mode" || die "--only: $entry: only muslin dataplanes take a variant"
        name="${entry#*@}"
        [[ -n "${VARIANT_JAR[$name]:-}${VARIANT_OPTS[$name]:-}${VARIANT_LAB[$name]:-}" ]] \
            || die "--only: $entry: no --variant $name=JAR, --variant-opts $name=... or --variant-lab $name=..."
        [[ -z "${VARIANT_JAR[$name]:-}" || -f "${VARIANT_JAR[$name]}" ]] || die "--variant $name: no jar at ${VARIANT_JAR[$name]}"
    fi
    runs_muslin "$mode" && NEEDS_JAR=1
done

readonly LAB="$MUSLIN_ROOT/scripts/lab.sh"
readonly LABDIR="$MUSLIN_ROOT/.lab/$PREFIX"
readonly DEFAULT_JAR="$MUSLIN_JAR"

[[ -n "$CAPTURE_BENCH" ]] && NEEDS_JAR=1
is_root || die "bench-iperf.sh needs root (network namespaces): sudo scripts/bench-iperf.sh"
ensure_packages iproute2 procps iputils-ping iperf3 python3
[[ -z "$CAPTURE_BENCH" ]] || ensure_packages curl libpcap0.8
[[ -z "$CHART" ]] || ensure_packages python3-matplotlib
readonly PY=/usr/bin/python3
mkdir -p "$OUT"
OUT="$(cd "$OUT" && pwd)"
rm -rf "$OUT/runs"
mkdir -p "$OUT/runs"
if [[ -n "$NEEDS_JAR" ]]; then
    find_jdk25
    ensure_muslin_jar
fi

trap '"$LAB" down --prefix "$PREFIX" >/dev/null 2>&1 || true' EXIT
"$LAB" down --prefix "$PREFIX" >/dev/null 2>&1 || true

CPU_MODEL="$(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo 2>/dev/null || true)"
CPU_MODEL="${CPU_MODEL:-unknown}"
CLK_TCK="$(getconf CLK_TCK)"
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

if [[ -n "$CAPTURE_BENCH" ]]; then
    capture_bench
    exit 0
fi


# Selects the jar and JVM options of an entry for lab.sh: muslin runs the default jar with the
# MUSLIN_JAVA_OPTS this script was started with; muslin@NAME the variant's (default jar, no options).
readonly START_OPTS="${MUSLIN_JAVA_OPTS:-}"
use_variant() {
    local entry="$1" name
    if [[ "$entry" != *@* ]]; then
        export MUSLIN_JAR="$DEFAULT_JAR" MUSLIN_JAVA_OPTS="$START_OPTS"
        return
    fi
    name="${entry#*@}"
    export MUSLIN_JAR="${VARIANT_JAR[$name]:-$DEFAULT_JAR}" MUSLIN_JAVA_OPTS="${VARIANT_OPTS[$name]:-}"
}

# CPU ticks (user + system) of the lab's muslin daemons so far, or 0.
daemon_ticks() {
    local total=0 f pid rest
    for f in "$LABDIR"/n*/muslin.pid; do
        [[ -r "$f" ]] || continue
        pid="$(cat "$f")"
        [[ -r "/proc/$pid/stat" ]] || continue
        rest="$(sed -E 's/^.*\) //' "/proc/$pid/stat")"
        # after the command: state is field 3, utime 14 and stime 15 of stat(5)
        total=$((total + $(awk '{ print $12 + $13 }' <<<"$rest")))
    done
    echo "$total"
}

# One iperf3 test with the daemons' CPU around it: test NAME DIR ARGS...
iperf_test() {
    local name="$1" dir="$2" before after
    shift 2
    before="$(daemon_ticks)"
    if iperf_pods "$PREFIX" 1 2 "$DURATION" "$dir/$name.json" "$@"; then
        after="$(daemon_ticks)"
        echo "$((after - before))" >"$dir/$name.ticks"
    else
        warn "$name failed"
    fi
}

# ping from pod 1 to pod 2: NAME DIR INTERVAL COUNT (one reply line each; parsed later).
ping_test() {
    ip netns exec "$PREFIX-p1" ping -n -i "$3" -c "$4" -W 1 10.244.2.2 >"$2/$1.txt" 2>&1 || true
}

# The configuration of one idle node with PEERS static VXLAN peers (10.0.0.0/8, /24 each).
write_peers_config() {
    "$PY" - "$1" "$PEERS" "$2" <<'EOF'
import json, sys
path, n, backend = sys.argv[1], int(sys.argv[2]), sys.argv[3]
peers = []
for k in range(n):
    s = k + 2
    peer = {"Subnet": "10.%d.%d.0/24" % (s // 256, s % 256),
            "PublicIP": "172.20.%d.%d" % (k // 250, 1 + k % 250), "BackendType": backend}
    if backend == "vxlan":
        peer["BackendData"] = {"VNI": 1, "VtepMAC": "6e:75:73:01:%02x:%02x" % (k // 256, k % 256)}
    peers.append(peer)
json.dump({"Network": "10.0.0.0/8", "SubnetLen": 24, "Backend": {"Type": backend},
           "Node": {"Name": "node1", "PublicIP": "192.168.50.1", "Subnet": "10.0.1.0/24",
                    "VtepMAC": "6e:75:73:00:00:01", "Interface": "muslin0"},
           "Peers": peers}, open(path, "w"), indent=1)
EOF
}

# Resident memory of an idle daemon with PEERS peers, 15 s after it is ready: rss DIR.
rss_test() {
    local dir="$1" pid
    "$LAB" up --nodes 1 --mode bare --prefix "$PREFIX" >"$dir/rss-lab.log" 2>&1 || { warn "rss: lab up failed"; return; }
    write_peers_config "$LABDIR/n1.json" vxlan
    if "$LAB" start 1 --prefix "$PREFIX" >>"$dir/rss-lab.log" 2>&1; then
        sleep 15
        pid="$(cat "$LABDIR/n1/muslin.pid")"
        grep -E '^(VmRSS|VmHWM|Threads)' "/proc/$pid/status" >"$dir/rss.txt" || true
        "$MUSLIN_ROOT/bin/muslin" peers --admin-socket "$LABDIR/n1/admin.sock" 2>/dev/null | wc -l >"$dir/rss-peers.txt" || true
    else
        warn "rss: daemon did not start (see $dir/rss-lab.log)"
    fi
    "$LAB" down --prefix "$PREFIX" >/dev/null 2>&1 || true
}

declare -A RSS_DONE
run=0
for ((round = 1; round <= ROUNDS; round++)); do
    for entry in ${ONLY//,/ }; do
        run=$((run + 1))
        mode="${entry%%@*}"
        dir="$OUT/runs/$(printf '%02d' "$run")-$entry"
        mkdir -p "$dir"
        echo "$entry" >"$dir/dataplane"
        echo "$round" >"$dir/round"
        use_variant "$entry"
        step "round $round/$ROUNDS, $entry: lab up, ${TESTS}"
        read -r -a args <<<"$(lab_args "$mode") ${VARIANT_LAB[${entry#*@}]:-}"
        [[ "$entry" == *@* ]] || read -r -a args <<<"$(lab_args "$mode")"
        if ! "$LAB" up --nodes 2 "${args[@]}" --prefix "$PREFIX" >"$dir/lab.log" 2>&1 \
            || ! ip netns exec "$PREFIX-p1" ping -n -q -c 3 -W 2 10.244.2.2 >/dev/null; then
            warn "$entry: lab failed (see $dir/lab.log)"
            cp "$LABDIR"/n*/muslin.log "$dir/" 2>/dev/null || true
            "$LAB" down --prefix "$PREFIX" >/dev/null 2>&1 || true
            continue
        fi
        has_test ping && ping_test ping-start "$dir" 0.2 20
        has_test tcp1 && iperf_test tcp1 "$dir"
        has_test tcp4 && iperf_test tcp4 "$dir" -P 4
        has_test udp64 && iperf_test udp64 "$dir" -u -b 0 -l 64
        if has_test ping; then
            ping_test ping-warm "$dir" 0.01 100
            ping_test ping-5hz "$dir" 0.2 "$PING_COUNT"
            ping_test ping-1khz "$dir" 0.001 "$PING_COUNT"
        fi
        if runs_muslin "$mode"; then
            for i in 1 2; do
                "$MUSLIN_ROOT/bin/muslin" stats --admin-socket "$LABDIR/n$i/admin.sock" >"$dir/stats-n$i.txt" 2>&1 || true
            done
        fi
        cp "$LABDIR"/n*/muslin.log "$dir/" 2>/dev/null || true
        "$LAB" down --prefix "$PREFIX" >/dev/null 2>&1 || warn "$entry: lab down failed"
        # The idle RSS once per muslin build and options (the VXLAN daemon's).
        if has_test rss && [[ "$mode" == muslin && -z "${RSS_DONE[$entry]:-}" ]]; then
            RSS_DONE[$entry]=1
            rss_test "$dir"
        fi
    done
done

args=(--out "$OUT" --duration "$DURATION" --clk-tck "$CLK_TCK" --cpu "$CPU_MODEL" --nproc "$(nproc)"
      --kernel "$(uname -r)" --commit "$(git -C "$MUSLIN_ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)"
      --peers "$PEERS")
[[ -n "$CHART" ]] && args+=(--chart "$OUT/bench.png")
"$PY" "$MUSLIN_ROOT/scripts/lib/bench_report.py" "${args[@]}"
