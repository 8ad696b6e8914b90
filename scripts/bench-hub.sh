#!/usr/bin/env bash
# bench-hub.sh — N simulated nodes join one muslin hub (TLS, client certificates, embedded
# store) on loopback: time until every node's table is complete, the hub's CPU time and heap,
# and the fan-out latency of a lease change to every other node (p50/p99/max).
#
#   scripts/bench-hub.sh [--nodes N] [--changes C] [--insecure] [--out DIR]
#     (default 1000 nodes, 100 changes; DIR = <repo>/bench-out)
#
# The hub runs as its own JVM (muslin.jar hub) so its heap and CPU are measured alone; the
# simulated nodes share one JVM (bench/target/benchmarks.jar, io.muslin.bench.hub.HubScale),
# each with its own session, certificate, lease and watch. Writes DIR/hub-scale.json.
set -euo pipefail

. "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/lib/common.sh"

NODES=1000
CHANGES=100
TLS=1
OUT="$MUSLIN_ROOT/bench-out"
while [[ $# -gt 0 ]]; do
    case "$1" in
        --nodes) NODES="${2:?}"; shift 2 ;;
        --changes) CHANGES="${2:?}"; shift 2 ;;
        --insecure) TLS=''; shift ;;
        --out) OUT="${2:?}"; shift 2 ;;
        -h|--help) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) die "unknown argument: $1 (see --help)" ;;
    esac
done
[[ "$NODES" =~ ^[0-9]+$ && "$NODES" -ge 2 && "$NODES" -le 60000 ]] || die "--nodes: '$NODES' (accepted: 2-60000)"
[[ "$CHANGES" =~ ^[0-9]+$ && "$CHANGES" -ge 1 ]] || die "--changes: '$CHANGES' (accepted: 1 or more)"

find_jdk25
BENCH_JAR="$MUSLIN_ROOT/bench/target/benchmarks.jar"
if [[ ! -f "$MUSLIN_JAR" || ! -f "$BENCH_JAR" ]]; then
    step "building muslin.jar and benchmarks.jar"
    (cd "$MUSLIN_ROOT" && ./mvnw -q -B -DskipTests package) || die "build failed"
fi

WORK="$(mktemp -d "${TMPDIR:-/tmp}/muslin-bench-hub.XXXXXX")"
HUB_PID=''
cleanup() {
    [[ -n "$HUB_PID" ]] && kill "$HUB_PID" 2>/dev/null && wait "$HUB_PID" 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT

PORT=18473
if [[ -n "$TLS" ]]; then
    step "cluster CA and the hub's certificate (the simulator issues its $NODES node certificates itself)"
    "$JAVA" -jar "$MUSLIN_JAR" ca init --dir "$WORK/pki" >/dev/null
    "$JAVA" -jar "$MUSLIN_JAR" ca issue --dir "$WORK/pki" --name hub --ip 127.0.0.1 --hub >/dev/null
    TLS_JSON="\"CAFile\": \"$WORK/pki/ca.crt\", \"CertFile\": \"$WORK/pki/hub.crt\", \"KeyFile\": \"$WORK/pki/hub.key\""
    PKI_ARGS=(--pki "$WORK/pki")
else
    TLS_JSON='"Insecure": true'
    PKI_ARGS=()
fi
cat >"$WORK/hub.json" <<JSON
{"Listen": "127.0.0.1:$PORT", $TLS_JSON,
 "Store": {"Type": "embedded", "Dir": "$WORK/store"},
 "NetworkConfig": {"Network": "10.0.0.0/8", "SubnetLen": 24, "Backend": {"Type": "vxlan"}}}
JSON

step "starting the hub"
"$JAVA" ${MUSLIN_HUB_JAVA_OPTS:-} -jar "$MUSLIN_JAR" hub --config "$WORK/hub.json" >"$WORK/hub.log" 2>&1 &
HUB_PID=$!
for _ in $(seq 1 100); do
    ss -Hltn "sport = :$PORT" 2>/dev/null | grep -q LISTEN && break
    kill -0 "$HUB_PID" 2>/dev/null || { cat "$WORK/hub.log" >&2; die "the hub did not start"; }
    sleep 0.2
done

step "$NODES simulated nodes join, then $CHANGES changes fan out"
mkdir -p "$OUT"
"$JAVA" -cp "$BENCH_JAR" io.muslin.bench.hub.HubScale --hub "127.0.0.1:$PORT" --nodes "$NODES" \
    --changes "$CHANGES" --hub-pid "$HUB_PID" "${PKI_ARGS[@]}" | tee "$OUT/hub-scale.json"
grep -E "WARN|ERROR" "$WORK/hub.log" | head -5 >&2 || true
