#!/usr/bin/env bash
# bench-bgp.sh — how fast a new node's block reaches every node through one BIRD route
# reflector: N simulated muslin nodes (BgpSpeaker + LeaseFeed + PeerProgrammer each, in one
# JVM) peer with BIRD; then, round after round, one more node joins and the time from its
# session coming up until every node has programmed its block is measured (and, when it
# leaves, until every node has withdrawn it). Each N of --speakers runs in the same run, so
# the figures compare with each other.
#
#   scripts/bench-bgp.sh [--speakers "3 100"] [--rounds 10] [--prefix mbgp] [--out DIR]
#     (DIR = <repo>/bench-out; writes DIR/bgp-convergence.json, one JSON line per N)
#
# Needs root: BIRD and the speakers run in a network namespace of their own (PREFIX-bgp) with
# an interface (one end of a veth pair) holding the reflector's address 172.31.0.1 and the nodes' 172.31.1.x; BIRD
# takes them as dynamic neighbors (neighbor range). Installs bird2 if missing.
set -euo pipefail

. "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/lib/common.sh"

SPEAKERS="3 100"
ROUNDS=10
PREFIX=mbgp
OUT="$MUSLIN_ROOT/bench-out"
while [[ $# -gt 0 ]]; do
    case "$1" in
        --speakers) SPEAKERS="${2:?}"; shift 2 ;;
        --rounds) ROUNDS="${2:?}"; shift 2 ;;
        --prefix) PREFIX="${2:?}"; shift 2 ;;
        --out) OUT="${2:?}"; shift 2 ;;
        -h|--help) sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) die "unknown argument: $1 (see --help)" ;;
    esac
done
for n in $SPEAKERS; do
    [[ "$n" =~ ^[0-9]+$ && "$n" -ge 2 && "$n" -le 200 ]] || die "--speakers: '$n' (accepted: 2-200 each)"
done
[[ "$ROUNDS" =~ ^[0-9]+$ && "$ROUNDS" -ge 1 && "$ROUNDS" -le 50 ]] || die "--rounds: '$ROUNDS' (accepted: 1-50)"
[[ "$PREFIX" =~ ^[A-Za-z][A-Za-z0-9_]{0,9}$ ]] || die "--prefix: '$PREFIX' must be a letter then up to 9 letters, digits or _"
is_root || die "bench-bgp.sh needs root (a network namespace)"
command -v bird >/dev/null 2>&1 || ensure_packages bird2

find_jdk25
BENCH_JAR="$MUSLIN_ROOT/bench/target/benchmarks.jar"
if [[ ! -f "$BENCH_JAR" ]]; then
    step "building benchmarks.jar"
    (cd "$MUSLIN_ROOT" && ./mvnw -q -B -DskipTests package) || die "build failed"
fi

NS="$PREFIX-bgp"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/muslin-bench-bgp.XXXXXX")"
cleanup() {
    local pid
    for pid in $(ip netns pids "$NS" 2>/dev/null); do kill "$pid" 2>/dev/null || true; done
    ip netns delete "$NS" 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT
ip netns list | awk '{print $1}' | grep -qx "$NS" && die "namespace $NS exists already (another run? ip netns delete $NS)"

step "namespace $NS: BIRD at 172.31.0.1, nodes at 172.31.1.x"
ip netns add "$NS"
ip -n "$NS" link set lo up
ip -n "$NS" link add d0 type veth peer name d1   # (no dummy module in every kernel)
ip -n "$NS" link set d1 up
ip -n "$NS" addr add 172.31.0.1/16 dev d0
ip -n "$NS" link set d0 up
MAX=0
for n in $SPEAKERS; do ((n > MAX)) && MAX=$n; done
{
    for ((i = 1; i <= MAX + ROUNDS; i++)); do
        printf 'addr add 172.31.%d.%d/32 dev d0\n' $((1 + (i - 1) / 254)) $((1 + (i - 1) % 254))
    done
} | ip -n "$NS" -batch -

cat >"$WORK/bird.conf" <<BIRD
log "$WORK/bird.log" { warning, error, fatal };
router id 172.31.0.1;
protocol device { }
protocol direct { ipv4; interface "d0"; }
template bgp sims {
    local 172.31.0.1 as 64512;
    rr client;
    hold time 90;
    ipv4 { import all; export where net ~ [ 10.244.0.0/16+ ]; };
}
protocol bgp nodes from sims {
    neighbor range 172.31.0.0/16 as 64512;
    dynamic name "node";
}
BIRD
ip netns exec "$NS" bird -c "$WORK/bird.conf" -s "$WORK/bird.ctl" -P "$WORK/bird.pid" || die "bird did not start"

mkdir -p "$OUT"
: >"$OUT/bgp-convergence.json"
for n in $SPEAKERS; do
    step "$n simulated nodes, $ROUNDS joins"
    ip netns exec "$NS" "$JAVA" ${MUSLIN_BENCH_JAVA_OPTS:-} -cp "$BENCH_JAR" io.muslin.bench.bgp.BgpConvergence \
        --reflector 172.31.0.1 --speakers "$n" --rounds "$ROUNDS" --first 172.31.1.1 2>"$WORK/driver-$n.log" \
        | tee -a "$OUT/bgp-convergence.json" || { tail -20 "$WORK/driver-$n.log" >&2; die "the driver failed"; }
done
log "results in $OUT/bgp-convergence.json"
