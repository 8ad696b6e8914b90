#!/usr/bin/env bash
# bench-hub.sh — simulated nodes join one muslin hub (embedded store, loopback), with TLS
# (client certificates) and insecure interleaved in one run, at several node counts: time until
# every node's table is complete, the hub's CPU time and heap after GC, and the fan-out latency
# of a lease change to every other node (p50/p99/max); then the hub's CPU per TLS handshake with
# each engine (OpenSSL's and the JDK's); then a chart of join time against node count.
#
#   scripts/bench-hub.sh [--nodes "100 1000 5000"] [--changes C] [--handshakes H]
#                        [--modes "tls insecure"] [--out DIR]
#     (defaults: nodes 100 1000 5000, 100 changes, 1000 handshakes per engine;
#      DIR = <repo>/bench-out)
#
# For each node count the TLS run and the insecure run follow each other, each against a fresh
# hub (its own JVM, so its heap and CPU are its own) and a fresh store; the simulated nodes share
# one other JVM (bench/target/benchmarks.jar, io.muslin.bench.hub.HubScale), each with its own
# session, certificate, lease and watch. Writes DIR/hub-scale.jsonl (one JSON object per run),
# DIR/hub-scale.md (the table) and DIR/hub-join.png (the chart; python3-matplotlib is installed
# if missing). Figures from a shared machine are noisy: compare the runs of one invocation.
set -euo pipefail

. "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/lib/common.sh"

NODE_COUNTS="100 1000 5000"
CHANGES=100
HANDSHAKES=1000
MODES="tls insecure"
OUT="$MUSLIN_ROOT/bench-out"
while [[ $# -gt 0 ]]; do
    case "$1" in
        --nodes) NODE_COUNTS="${2:?}"; shift 2 ;;
        --changes) CHANGES="${2:?}"; shift 2 ;;
        --handshakes) HANDSHAKES="${2:?}"; shift 2 ;;
        --modes) MODES="${2:?}"; shift 2 ;;
        --insecure) MODES="insecure"; shift ;;
        --out) OUT="${2:?}"; shift 2 ;;
        -h|--help) sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) die "unknown argument: $1 (see --help)" ;;
    esac
done
for n in $NODE_COUNTS; do
    [[ "$n" =~ ^[0-9]+$ && "$n" -ge 2 && "$n" -le 60000 ]] || die "--nodes: '$n' (accepted: 2-60000 each)"
done
[[ "$CHANGES" =~ ^[0-9]+$ && "$CHANGES" -ge 1 ]] || die "--changes: '$CHANGES' (accepted: 1 or more)"
[[ "$HANDSHAKES" =~ ^[0-9]+$ ]] || die "--handshakes: '$HANDSHAKES' (accepted: 0 or more)"
for m in $MODES; do
    [[ "$m" == tls || "$m" == insecure ]] || die "--modes: '$m' (accepted: tls, insecure)"
done

find_jdk25
BENCH_JAR="$MUSLIN_ROOT/bench/target/benchmarks.jar"
if [[ ! -f "$MUSLIN_JAR" || ! -f "$BENCH_JAR" ]]; then
    step "building muslin.jar and benchmarks.jar"
    (cd "$MUSLIN_ROOT" && ./mvnw -q -B -DskipTests package) || die "build failed"
fi
ensure_packages iproute2 python3 python3-matplotlib

WORK="$(mktemp -d "${TMPDIR:-/tmp}/muslin-bench-hub.XXXXXX")"
HUB_PID=''
stop_hub() {
    if [[ -n "$HUB_PID" ]]; then
        kill "$HUB_PID" 2>/dev/null && wait "$HUB_PID" 2>/dev/null || true
        HUB_PID=''
    fi
}
cleanup() {
    stop_hub
    rm -rf "$WORK"
}
trap cleanup EXIT

PORT=18473
step "cluster CA and the hub's certificate (the simulator issues the node certificates itself)"
"$JAVA" -jar "$MUSLIN_JAR" ca init --dir "$WORK/pki" >/dev/null
"$JAVA" -jar "$MUSLIN_JAR" ca issue --dir "$WORK/pki" --name hub --ip 127.0.0.1 --hub >/dev/null

# start_hub MODE ENGINE: a fresh hub (and store) in the background; sets HUB_PID.
start_hub() {
    local mode="$1" engine="$2" tls_json
    rm -rf "$WORK/store"
    if [[ "$mode" == tls ]]; then
        tls_json="\"CAFile\": \"$WORK/pki/ca.crt\", \"CertFile\": \"$WORK/pki/hub.crt\", \"KeyFile\": \"$WORK/pki/hub.key\""
    else
        tls_json='"Insecure": true'
    fi
    cat >"$WORK/hub.json" <<JSON
{"Listen": "127.0.0.1:$PORT", $tls_json,
 "Store": {"Type": "embedded", "Dir": "$WORK/store"},
 "NetworkConfig": {"Network": "10.0.0.0/8", "SubnetLen": 24, "Backend": {"Type": "vxlan"}}}
JSON
    # shellcheck disable=SC2086
    "$JAVA" -Dmuslin.tls.engine="$engine" ${MUSLIN_HUB_JAVA_OPTS:-} -jar "$MUSLIN_JAR" hub --config "$WORK/hub.json" \
        >"$WORK/hub.log" 2>&1 &
    HUB_PID=$!
    for _ in $(seq 1 150); do
        ss -Hltn "sport = :$PORT" 2>/dev/null | grep -q LISTEN && return 0
        kill -0 "$HUB_PID" 2>/dev/null || { cat "$WORK/hub.log" >&2; die "the hub did not start"; }
        sleep 0.2
    done
    die "the hub did not listen within 30 s"
}

# sim ENGINE ARGS...: the simulated nodes against the running hub; prints its JSON line.
sim() {
    local engine="$1"
    shift
    "$JAVA" -Dmuslin.tls.engine="$engine" -Dorg.slf4j.simpleLogger.defaultLogLevel=warn \
        ${MUSLIN_SIM_JAVA_OPTS:--Xmx6g} -cp "$BENCH_JAR" io.muslin.bench.hub.HubScale --hub "127.0.0.1:$PORT" \
        --hub-pid "$HUB_PID" "$@"
}

mkdir -p "$OUT"
RESULTS="$OUT/hub-scale.jsonl"
: >"$RESULTS"
for n in $NODE_COUNTS; do
    for mode in $MODES; do
        step "$n nodes, $mode: join, then $CHANGES changes fan out"
        start_hub "$mode" openssl
        args=(--nodes "$n" --changes "$CHANGES")
        [[ "$mode" == tls ]] && args+=(--pki "$WORK/pki")
        # a run that fails (the simulator out of memory at a large count) is said, and the others go on
        sim openssl "${args[@]}" | tee -a "$RESULTS" || warn "$n nodes, $mode: the simulation failed (exit $?)"
        grep -E "WARN|ERROR" "$WORK/hub.log" | head -3 >&2 || true
        stop_hub
    done
done
if [[ "$HANDSHAKES" -gt 0 && " $MODES " == *" tls "* ]]; then
    for engine in openssl jdk; do
        step "$HANDSHAKES TLS handshakes with the $engine engine on both sides: the hub's CPU per session"
        start_hub tls "$engine"
        sim "$engine" --nodes "$HANDSHAKES" --pki "$WORK/pki" --handshakes-only true | tee -a "$RESULTS" \
            || warn "handshakes with $engine: the simulation failed (exit $?)"
        stop_hub
    done
fi

step "table and chart"
# Debian's python3 (python3-matplotlib is its package), not another python3 earlier on the PATH
/usr/bin/python3 - "$RESULTS" "$OUT" <<'PY'
import json, sys
results, out = sys.argv[1], sys.argv[2]
rows = [json.loads(l) for l in open(results) if l.strip()]
joins = [r for r in rows if "tablesCompleteSeconds" in r]
shakes = [r for r in rows if "hubCpuMsPerSession" in r]
md = ["| nodes | mode | tables complete (s) | hub CPU join (s) | hub heap after GC (MiB) | fan-out p50 (ms) | p99 (ms) | max (ms) |",
      "|---:|---|---:|---:|---:|---:|---:|---:|"]
for r in joins:
    md.append("| %d | %s | %.2f | %.2f | %.1f | %.2f | %.2f | %.2f |" % (r["nodes"], "TLS" if r["tls"] else "insecure",
              r["tablesCompleteSeconds"], r["hubCpuSecondsJoin"], r["hubHeapUsedAfterGcMiB"], r["fanOutP50Ms"],
              r["fanOutP99Ms"], r["fanOutMaxMs"]))
by = {}
for r in joins:
    by.setdefault(r["nodes"], {})["tls" if r["tls"] else "insecure"] = r["tablesCompleteSeconds"]
md += ["", "| nodes | TLS ÷ insecure |", "|---:|---:|"]
for n, v in sorted(by.items()):
    if "tls" in v and "insecure" in v:
        md.append("| %d | %.2f |" % (n, v["tls"] / v["insecure"]))
if shakes:
    md += ["", "| engine | sessions | hub CPU per full handshake (ms) | per resumed handshake (ms) |", "|---|---:|---:|---:|"]
    for r in shakes:
        md.append("| %s | %d | %.2f | %.2f |" % (r["engine"], r["sessions"], r["hubCpuMsPerSession"],
                  r["hubCpuMsPerResumedSession"]))
open(out + "/hub-scale.md", "w").write("\n".join(md) + "\n")
print("\n".join(md))
try:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
except ImportError:
    print("no matplotlib: no chart", file=sys.stderr)
    sys.exit(0)
fig, ax = plt.subplots(figsize=(6.4, 4.2))
for mode, label, marker in (("tls", "TLS, client certificates", "o"), ("insecure", "insecure (plaintext)", "s")):
    pts = sorted((n, v[mode]) for n, v in by.items() if mode in v)
    if pts:
        ax.plot([p[0] for p in pts], [p[1] for p in pts], marker=marker, label=label)
ax.set_xscale("log")
ax.set_yscale("log")
ax.set_xlabel("simulated nodes")
ax.set_ylabel("join until every table is complete (s)")
ax.set_title("muslin hub: join time against node count (one run)")
ax.grid(True, which="both", alpha=0.3)
ax.legend()
fig.tight_layout()
fig.savefig(out + "/hub-join.png", dpi=110)
print("chart: " + out + "/hub-join.png")
PY
