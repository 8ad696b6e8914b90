#!/usr/bin/env bash
# profile-iperf.sh — where the CPU goes while iperf3 runs pod1 -> pod2 through a dataplane of
# the 2-node lab: a system-wide perf profile (software clock, every core; the machines here have
# no hardware counters) with Java frames named through the JVMs' perf maps.
#
#   scripts/profile-iperf.sh [-t SECONDS] [--dataplane muslin|ipip|kernel] [--streams N]
#                            [--udp] [--prefix P] [--out DIR] [--threads T]
#     (root; default 10 s, muslin, 1 stream; --udp: 64-byte datagrams at full rate instead of
#      TCP; --prefix: default $MUSLIN_BENCH_PREFIX or mprof; DIR: <repo>/bench-out/profile)
#
# The daemons run with -XX:+PreserveFramePointer (call graphs through JIT code) and write
# /tmp/perf-<pid>.map when they stop (-XX:+DumpPerfMapAtExit). Writes DIR/perf.data and
# DIR/report-*.txt: the top symbols of the whole machine, per thread name (comm), per CPU and
# comm, and the muslin dataplane threads' own top symbols.
set -euo pipefail

. "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/lib/common.sh"
. "$MUSLIN_ROOT/scripts/lib/iperf.sh"

DURATION=10
DATAPLANE=muslin
STREAMS=1
UDP=''
PREFIX="${MUSLIN_BENCH_PREFIX:-mprof}"
OUT="$MUSLIN_ROOT/bench-out/profile"
THREADS=''
while [[ $# -gt 0 ]]; do
    case "$1" in
        -t|--seconds) DURATION="${2:?}"; shift 2 ;;
        --dataplane) DATAPLANE="${2:?}"; shift 2 ;;
        --streams) STREAMS="${2:?}"; shift 2 ;;
        --udp) UDP=1; shift ;;
        --prefix) PREFIX="${2:?}"; shift 2 ;;
        --out) OUT="${2:?}"; shift 2 ;;
        --threads) THREADS="${2:?}"; shift 2 ;;
        -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) die "unknown argument: $1 (see --help)" ;;
    esac
done
case "$DATAPLANE" in
    muslin) LAB_ARGS=(--mode muslin) ;;
    ipip) LAB_ARGS=(--mode muslin --backend ipip) ;;
    kernel) LAB_ARGS=(--mode kernel) ;;
    *) die "--dataplane: '$DATAPLANE' must be muslin, ipip or kernel" ;;
esac
[[ -z "$THREADS" ]] || LAB_ARGS+=(--threads "$THREADS")

is_root || die "profile-iperf.sh needs root (network namespaces, perf)"
ensure_packages iproute2 procps iputils-ping iperf3 linux-perf
readonly LAB="$MUSLIN_ROOT/scripts/lab.sh"
mkdir -p "$OUT"
OUT="$(cd "$OUT" && pwd)"
export MUSLIN_JAVA_OPTS="${MUSLIN_JAVA_OPTS:-} -XX:+PreserveFramePointer -XX:+UnlockDiagnosticVMOptions -XX:+DumpPerfMapAtExit"
trap '"$LAB" down --prefix "$PREFIX" >/dev/null 2>&1 || true' EXIT
"$LAB" down --prefix "$PREFIX" >/dev/null 2>&1 || true
"$LAB" up --nodes 2 "${LAB_ARGS[@]}" --prefix "$PREFIX" >"$OUT/lab.log" 2>&1 || die "lab up failed: $OUT/lab.log"
ip netns exec "$PREFIX-p1" ping -n -q -c 3 -W 2 10.244.2.2 >/dev/null || die "pods do not reach each other"

# Warm the JIT first, so the profile shows compiled code.
iperf_args=(-P "$STREAMS")
[[ -z "$UDP" ]] || iperf_args=(-u -b 0 -l 64)
iperf_pods "$PREFIX" 1 2 5 "$OUT/warm.json" "${iperf_args[@]}" || die "iperf3 warm-up failed"

iperf_pods "$PREFIX" 1 2 "$DURATION" "$OUT/iperf.json" "${iperf_args[@]}" &
iperf_pid=$!
sleep 1
perf record -q -F 999 -a -g -o "$OUT/perf.data" -- sleep "$((DURATION - 2))" 2>"$OUT/perf-record.log"
wait "$iperf_pid" || warn "iperf3 failed"
log "iperf3: $(iperf_gbps "$OUT/iperf.json") Gb/s received"
PIDS="$(cat "$MUSLIN_ROOT/.lab/$PREFIX"/n*/muslin.pid 2>/dev/null | paste -sd, || true)"
"$LAB" down --prefix "$PREFIX" >/dev/null 2>&1   # the daemons write their perf maps as they stop
trap - EXIT

report() { perf report -i "$OUT/perf.data" --stdio --no-children -g none --percent-limit "$1" "${@:2}" 2>/dev/null \
    | grep -v '^#' | grep -v '^$'; }
# The machine is shared: the reports by process show what else ran; the others keep to the
# dataplane's processes (and report-dataplane.txt to its threads, as shares of their own time).
report 0.5 --sort pid,comm >"$OUT/report-pid.txt"
report 1 --sort cpu,comm >"$OUT/report-cpu.txt"
report 0.5 --sort comm,dso,sym >"$OUT/report-symbols.txt"
if [[ -n "$PIDS" ]]; then
    report 0.5 --pid "$PIDS" --sort comm >"$OUT/report-daemons.txt"
    report 0.3 --pid "$PIDS" --comms muslin-dataplan --percentage relative --sort sym >"$OUT/report-dataplane.txt"
fi
log "profile: $OUT (report-pid.txt, report-cpu.txt, report-symbols.txt, report-daemons.txt, report-dataplane.txt)"
head -n 25 "$OUT/report-pid.txt"
