#!/usr/bin/env bash
# bench-iperf.sh — the dataplane benchmark: pod1 -> pod2 on the 2-node lab (one underlay subnet,
# MTU 1500) through muslin VXLAN, muslin IP-in-IP, the kernel's VXLAN (flannel.1) and plain
# routing, one lab after the other, in one run.
#
#   scripts/bench-iperf.sh [-t SECONDS] [--out DIR] [--only LIST] [--prefix P] [--rounds N]
#                          [--tests LIST] [--ping-count N] [--peers N]
#                          [--variant NAME=JAR] [--variant-opts NAME=JAVA_OPTS]
#                          [--variant-lab NAME=LAB_ARGS] [--no-chart]
#     (root; -t: seconds per throughput test, default 10; DIR: <repo>/bench-out;
#      --only: dataplanes muslin, ipip, kernel, routing, hostgw, default muslin,ipip,kernel,routing;
#        muslin@NAME / ipip@NAME run the jar, JVM options and extra lab.sh options (e.g.
#        "--threads 1 --idle-spin 200") of variant NAME (baseline and candidate in one run:
#        --only muslin@base,muslin --rounds 2 runs them A/B/A/B);
#      --prefix: the lab's namespace prefix, default $MUSLIN_BENCH_PREFIX or mbench;
#      --rounds: repeat the whole list N times, interleaved; --tests: any of tcp1, tcp4, udp64,
#        ping, rss (default all); --ping-count: samples per ping rate, default 500;
#      --peers: static peers of the idle daemon whose RSS is measured, default 1000)
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

is_root || die "bench-iperf.sh needs root (network namespaces): sudo scripts/bench-iperf.sh"
ensure_packages iproute2 procps iputils-ping iperf3 python3
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
CLK_TCK="$(getconf CLK_TCK)"

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
