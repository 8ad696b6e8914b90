#!/usr/bin/env bash
# soak.sh — a long run of a 3-node muslin lab under traffic, churn and faults, sampled each
# minute; fails on growth (memory, heap after GC, descriptors, threads) or a lost lease.
#
#   scripts/soak.sh [--minutes N] [--out DIR] [--prefix P]
#     (root; default 60 minutes; DIR = <repo>/soak-out; P = msoak)
#
# The lab: nodes 1-3 (VXLAN, /30 subnets), leases in a real etcd in node 1's namespace (TTL 10 s).
# All the time: iperf3 pod1 -> pod2 and pod3 -> pod1 (200 Mb/s each), and every 10 s 200 made-up
# leases put or deleted in etcd (peers churning). Each minute, in turn, one fault:
#   kill      node 3's daemon killed with SIGKILL and started again
#   link      node 2's underlay link down for 3 s, then up
#   mtu       the underlay MTU of nodes 1 and 2 lowered to 1400 for 20 s, then back to 1500
#   store     etcd stopped for 30 s, then started again
#   none      nothing
# At the end of each minute, for each daemon: resident memory, Java heap after a full GC,
# open descriptors, threads, its drop counters and whether its lease is in etcd.
# Writes DIR/soak.json (every sample), DIR/soak.md (the table) and DIR/soak.png (a chart), and
# exits 1 if, from the first third of the run to the last, any daemon's RSS grew by more than
# 25 % and 32 MiB, heap after GC by more than 50 % and 16 MiB, descriptors by more than 8 or
# threads by more than 8, or if a lease was missing outside the minute of the fault that
# explains it.
set -euo pipefail

. "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/lib/common.sh"

MINUTES=60
OUT="$MUSLIN_ROOT/soak-out"
PREFIX=msoak
while [[ $# -gt 0 ]]; do
    case "$1" in
        --minutes) MINUTES="${2:?}"; shift 2 ;;
        --out) OUT="${2:?}"; shift 2 ;;
        --prefix) PREFIX="${2:?}"; shift 2 ;;
        -h|--help) sed -n '2,24p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) die "unknown argument: $1 (see --help)" ;;
    esac
done
[[ "$MINUTES" =~ ^[0-9]+$ && "$MINUTES" -ge 3 ]] || die "--minutes: '$MINUTES' (accepted: 3 or more)"
is_root || die "soak.sh needs root (network namespaces)"

ensure_packages iproute2 procps iputils-ping iperf3 etcd-server etcd-client python3 python3-matplotlib
find_jdk25
ensure_muslin_jar
readonly LAB="$MUSLIN_ROOT/scripts/lab.sh"
mkdir -p "$OUT"
OUT="$(cd "$OUT" && pwd)"
readonly DIR="$OUT/lab"
readonly ETCD_URL="http://192.168.50.1:2379"
readonly KEYS="/coreos.com/network/subnets"
readonly FAULTS=(kill link mtu store none)
SAMPLES="$OUT/samples.jsonl"
: >"$SAMPLES"

ns() { printf '%s-%s' "$PREFIX" "$1"; }
nsx() { local n="$1"; shift; ip netns exec "$(ns "$n")" "$@"; }
etcdctl_() { nsx n1 etcdctl --endpoints "$ETCD_URL" "$@"; }

ETCD_PID=''
BG_PIDS=()
cleanup() {
    local p
    for p in "${BG_PIDS[@]}" $ETCD_PID; do kill "$p" 2>/dev/null || true; done
    "$LAB" down --prefix "$PREFIX" --dir "$DIR" >/dev/null 2>&1 || true
}
trap cleanup EXIT

start_etcd() {
    # Not through nsx: a function run in the background is a subshell, and $! would be that
    # shell, not etcd (the store fault would stop nothing). `ip netns exec` execs: $! is etcd.
    ip netns exec "$(ns n1)" etcd --name soak --data-dir "$DIR/etcd-data" --listen-client-urls "$ETCD_URL" \
        --advertise-client-urls "$ETCD_URL" --listen-peer-urls http://127.0.0.1:2380 \
        --initial-advertise-peer-urls http://127.0.0.1:2380 --initial-cluster soak=http://127.0.0.1:2380 --max-txn-ops 1024 \
        >>"$DIR/etcd.log" 2>&1 &
    ETCD_PID=$!
    for _ in $(seq 1 100); do
        etcdctl_ endpoint health >/dev/null 2>&1 && return 0
        sleep 0.2
    done
    die "etcd did not start (see $DIR/etcd.log)"
}

write_config() {
    local i="$1"
    cat >"$DIR/n$i.json" <<JSON
{"Network": "10.244.0.0/16", "SubnetLen": 30,
 "Backend": {"Type": "vxlan", "VNI": 1, "Port": 8472},
 "Control": {"Type": "etcd", "Endpoints": ["$ETCD_URL"], "TTL": 10},
 "Node": {"Name": "node$i", "PublicIP": "192.168.50.$i", "Subnet": "10.244.$i.0/30", "Interface": "muslin0"}}
JSON
}

daemon_pid() { cat "$DIR/n$1/muslin.pid"; }

step "lab $PREFIX: 3 nodes, etcd, $MINUTES minute(s); output in $OUT"
"$LAB" up --nodes 3 --mode bare --prefix "$PREFIX" --dir "$DIR" >/dev/null
start_etcd
for i in 1 2 3; do write_config "$i"; "$LAB" start "$i" --prefix "$PREFIX" --dir "$DIR" >/dev/null; done

# Traffic for the whole run, restarted whenever iperf3 stops (a fault may end a test early).
traffic() {
    local from="$1" to="$2" port="$3"
    while true; do
        nsx "p$to" iperf3 -s -1 -p "$port" >/dev/null 2>&1 &
        local server=$!
        sleep 0.5
        nsx "p$from" iperf3 -c "10.244.$to.2" -p "$port" -t 600 -b 200M >/dev/null 2>&1 || true
        kill "$server" 2>/dev/null || true
        wait "$server" 2>/dev/null || true
        sleep 1
    done
}
traffic 1 2 5301 & BG_PIDS+=($!)
traffic 3 1 5302 & BG_PIDS+=($!)

# Peers churning: 200 made-up /30 leases put, then deleted, every 10 s.
churn() {
    local round=0 k txn
    while true; do
        txn="$DIR/churn.txn"
        : >"$txn"
        echo "" >>"$txn"
        for k in $(seq 0 199); do
            local third=$((64 + (k * 4) / 256)) fourth=$(((k * 4) % 256))
            if ((round % 2 == 0)); then
                # Double quotes, inner ones escaped: etcdctl txn cuts a 'single-quoted' value to
                # its first character (its Argify slices by the number of arguments).
                printf 'put %s/10.244.%d.%d-30 "{\\"PublicIP\\":\\"192.168.50.200\\",\\"BackendType\\":\\"vxlan\\",\\"BackendData\\":{\\"VNI\\":1,\\"VtepMAC\\":\\"6e:75:74:00:%02x:%02x\\"}}"\n' \
                    "$KEYS" "$third" "$fourth" $((k / 256)) $((k % 256)) >>"$txn"
            else
                printf 'del %s/10.244.%d.%d-30\n' "$KEYS" "$third" "$fourth" >>"$txn"
            fi
        done
        echo "" >>"$txn"
        echo "" >>"$txn"
        etcdctl_ txn <"$txn" >/dev/null 2>&1 || true
        round=$((round + 1))
        sleep 10
    done
}
churn & BG_PIDS+=($!)

fault() {
    case "$1" in
        kill)
            kill -9 "$(daemon_pid 3)" 2>/dev/null || true
            sleep 1
            "$LAB" start 3 --prefix "$PREFIX" --dir "$DIR" >/dev/null ;;
        link)
            nsx n2 ip link set eth0 down; sleep 3; nsx n2 ip link set eth0 up ;;
        mtu)
            nsx n1 ip link set eth0 mtu 1400; nsx n2 ip link set eth0 mtu 1400; sleep 20
            nsx n1 ip link set eth0 mtu 1500; nsx n2 ip link set eth0 mtu 1500 ;;
        store)
            kill "$ETCD_PID"; wait "$ETCD_PID" 2>/dev/null || true
            etcdctl_ endpoint health >/dev/null 2>&1 && die "etcd still answers after it was stopped"
            sleep 30; start_etcd ;;
        none) ;;
    esac
}

# One JSON line per daemon: minute, node, fault, rss, heap after GC, fds, threads, drops, lease.
sample() {
    local minute="$1" fault="$2" i pid rss heap fds threads drops lease stats
    for i in 1 2 3; do
        pid="$(daemon_pid "$i")"
        if ! kill -0 "$pid" 2>/dev/null; then
            printf '{"minute":%d,"node":%d,"fault":"%s","alive":false}\n' "$minute" "$i" "$fault" >>"$SAMPLES"
            continue
        fi
        jcmd "$pid" GC.run >/dev/null 2>&1 || true
        rss="$(awk '/^VmRSS:/ {print $2 * 1024}' "/proc/$pid/status")"
        # Heap in use after the full GC: the "used" of every generation (not Metaspace).
        heap="$(jcmd "$pid" GC.heap_info 2>/dev/null | awk '/total .*used/ && !/Metaspace|class space/ {
            for (f = 1; f <= NF; f++) if ($f == "used") { v = $(f + 1); sub(/K,?$/, "", v); s += v } }
            END { print s * 1024 }')"
        fds="$(ls "/proc/$pid/fd" | wc -l)"
        threads="$(awk '/^Threads:/ {print $2}' "/proc/$pid/status")"
        stats="$(nsx "n$i" "$MUSLIN_ROOT/bin/muslin" stats --admin-socket "$DIR/n$i/admin.sock" 2>/dev/null || true)"
        drops="$(awk '$1 ~ /^drop/ {s += $2} END {print s + 0}' <<<"$stats")"
        # true or false once etcdctl answers; null (unknown) if it never does (a loaded machine).
        lease=null
        for _ in 1 2 3; do
            if out="$(etcdctl_ --command-timeout=10s get --keys-only "$KEYS/10.244.$i.0-30" 2>/dev/null)"; then
                if [[ -n "$out" ]]; then lease=true; else lease=false; fi
                break
            fi
            sleep 1
        done
        printf '{"minute":%d,"node":%d,"fault":"%s","alive":true,"pid":%d,"rss":%d,"heap":%d,"fds":%d,"threads":%d,"drops":%d,"lease":%s}\n' \
            "$minute" "$i" "$fault" "$pid" "${rss:-0}" "${heap:-0}" "$fds" "$threads" "$drops" "$lease" >>"$SAMPLES"
    done
}

start="$(date +%s)"
for ((m = 1; m <= MINUTES; m++)); do
    f="${FAULTS[$(((m - 1) % ${#FAULTS[@]}))]}"
    log "minute $m/$MINUTES: fault $f"
    t0="$(date +%s)"
    fault "$f"
    # The rest of the minute under traffic and churn, then the sample.
    left=$((t0 + 60 - $(date +%s)))
    ((left > 0)) && sleep "$left"
    sample "$m" "$f"
done
log "ran $(( ($(date +%s) - start) / 60 )) minute(s)"

# Debian's python3 (python3-matplotlib), not whatever python3 comes first on PATH.
/usr/bin/python3 - "$SAMPLES" "$OUT" <<'PY'
import json, sys
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt

samples = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
out = sys.argv[2]
minutes = sorted({s["minute"] for s in samples})
nodes = sorted({s["node"] for s in samples})
third = max(1, len(minutes) // 3)
first, last = minutes[:third], minutes[-third:]
failures = []

def avg(node, key, span):
    v = [s[key] for s in samples if s["node"] == node and s["minute"] in span and s.get("alive")]
    return sum(v) / len(v) if v else None

limits = {"rss": (0.25, 32 << 20), "heap": (0.50, 16 << 20)}
for n in nodes:
    for key, (ratio, floor) in limits.items():
        a, b = avg(n, key, first), avg(n, key, last)
        if a and b and b - a > floor and b > a * (1 + ratio):
            failures.append(f"node {n}: {key} grew from {a / 2**20:.1f} to {b / 2**20:.1f} MiB")
    for key in ("fds", "threads"):
        a, b = avg(n, key, first), avg(n, key, last)
        if a is not None and b is not None and b - a > 8:
            failures.append(f"node {n}: {key} grew from {a:.1f} to {b:.1f}")
# A node's lease may be missing only in the minute of a fault that explains it.
unknown = []
for s in samples:
    excused = s["fault"] == "store" or (s["fault"] == "kill" and s["node"] == 3)
    if not s.get("alive"):
        failures.append(f"minute {s['minute']}: node {s['node']} is not running")
    elif s["lease"] is None:
        unknown.append(f"minute {s['minute']}: node {s['node']}")
    elif not s["lease"] and not excused:
        failures.append(f"minute {s['minute']}: node {s['node']}'s lease is not in etcd")

rows = ["| minute | fault | " + " | ".join(f"n{n} RSS MiB | n{n} heap MiB | n{n} fds | n{n} threads" for n in nodes) + " |",
        "|---:|---|" + "---:|" * (4 * len(nodes))]
for m in minutes:
    cells = []
    fault = next(s["fault"] for s in samples if s["minute"] == m)
    for n in nodes:
        s = next((s for s in samples if s["minute"] == m and s["node"] == n), None)
        if s and s.get("alive"):
            cells += [f"{s['rss'] / 2**20:.1f}", f"{s['heap'] / 2**20:.1f}", str(s["fds"]), str(s["threads"])]
        else:
            cells += ["-"] * 4
    rows.append(f"| {m} | {fault} | " + " | ".join(cells) + " |")
with open(f"{out}/soak.md", "w") as f:
    f.write("\n".join(rows) + "\n\n" + ("FAILED:\n" + "\n".join(failures) if failures else "no growth, no lost lease") + "\n"
            + ("\netcdctl did not answer the lease check (3 tries): " + ", ".join(unknown) + "\n" if unknown else ""))
with open(f"{out}/soak.json", "w") as f:
    json.dump({"samples": samples, "failures": failures}, f, indent=1)

fig, axes = plt.subplots(1, 3, figsize=(15, 4))
for n in nodes:
    xs = [s["minute"] for s in samples if s["node"] == n and s.get("alive")]
    for ax, key, scale, label in ((axes[0], "rss", 2**20, "resident memory (MiB)"),
                                  (axes[1], "heap", 2**20, "heap after full GC (MiB)"),
                                  (axes[2], "fds", 1, "open descriptors")):
        ax.plot(xs, [s[key] / scale for s in samples if s["node"] == n and s.get("alive")], label=f"node {n}")
        ax.set_title(label)
        ax.set_xlabel("minute")
        ax.set_ylim(bottom=0)
for ax in axes:
    ax.legend()
fig.suptitle(f"muslin soak: {len(minutes)} minutes of iperf3, lease churn and faults (kill, link, mtu, store)")
fig.tight_layout()
fig.savefig(f"{out}/soak.png", dpi=100)
print("\n".join(rows[-3:]))
if failures:
    print("FAILED:\n" + "\n".join(failures), file=sys.stderr)
    sys.exit(1)
PY
log "report: $OUT/soak.md, $OUT/soak.png, $OUT/soak.json"
