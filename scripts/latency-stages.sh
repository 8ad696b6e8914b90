#!/usr/bin/env bash
# latency-stages.sh — where a ping's round trip waits, stage by stage, on the 2-node lab: packet
# captures on both nodes' TUN devices and underlay ports give each ICMP packet's time at every
# hop, so the daemon's share (TUN -> wire and wire -> TUN, each way) is told apart from the
# kernel's and the pods'.
#
#   scripts/latency-stages.sh [--count N] [--interval S] [--dataplane muslin|ipip|kernel]
#                             [--prefix P] [--out DIR] [--threads T]
#     (root; default 100 pings 0.2 s apart (5 Hz) after 100 quick ones; --prefix: default
#      $MUSLIN_BENCH_PREFIX or mlat; DIR: <repo>/bench-out/latency; MUSLIN_JAVA_OPTS is passed on)
#
# Stages (request pod1 -> pod2, reply back):
#   n1 out   node 1's TUN device (kernel hands the packet to muslin) -> node 1's eth0 (sent)
#   wire     node 1's eth0 -> node 2's eth0
#   n2 in    node 2's eth0 (arrived) -> node 2's TUN device (muslin wrote it)
#   pod2     node 2's TUN device -> the reply back at node 2's TUN device (pod 2 answering)
#   n2 out, wire back, n1 in   the same for the reply
# For the kernel's VXLAN the "TUN device" is flannel.1. Prints p50 / p99 per stage in µs.
set -euo pipefail

. "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/lib/common.sh"

COUNT=100
INTERVAL=0.2
DATAPLANE=muslin
PREFIX="${MUSLIN_BENCH_PREFIX:-mlat}"
OUT="$MUSLIN_ROOT/bench-out/latency"
THREADS=''
while [[ $# -gt 0 ]]; do
    case "$1" in
        --count) COUNT="${2:?}"; shift 2 ;;
        --interval) INTERVAL="${2:?}"; shift 2 ;;
        --dataplane) DATAPLANE="${2:?}"; shift 2 ;;
        --prefix) PREFIX="${2:?}"; shift 2 ;;
        --out) OUT="${2:?}"; shift 2 ;;
        --threads) THREADS="${2:?}"; shift 2 ;;
        -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) die "unknown argument: $1 (see --help)" ;;
    esac
done
case "$DATAPLANE" in
    muslin) LAB_ARGS=(--mode muslin); TUN=muslin0 ;;
    ipip) LAB_ARGS=(--mode muslin --backend ipip); TUN=muslin0 ;;
    kernel) LAB_ARGS=(--mode kernel); TUN=flannel.1 ;;
    *) die "--dataplane: '$DATAPLANE' must be muslin, ipip or kernel" ;;
esac
[[ -z "$THREADS" ]] || LAB_ARGS+=(--threads "$THREADS")
[[ "$COUNT" =~ ^[0-9]+$ && "$COUNT" -ge 1 ]] || die "--count: '$COUNT' is not a number"

is_root || die "latency-stages.sh needs root (network namespaces, captures)"
ensure_packages iproute2 procps iputils-ping tcpdump python3
readonly LAB="$MUSLIN_ROOT/scripts/lab.sh"
mkdir -p "$OUT"
OUT="$(cd "$OUT" && pwd)"
CAPS=()
cleanup() {
    local p
    for p in "${CAPS[@]}"; do kill "$p" 2>/dev/null || true; done
    "$LAB" down --prefix "$PREFIX" >/dev/null 2>&1 || true
}
trap cleanup EXIT
"$LAB" down --prefix "$PREFIX" >/dev/null 2>&1 || true
"$LAB" up --nodes 2 "${LAB_ARGS[@]}" --prefix "$PREFIX" >"$OUT/lab.log" 2>&1 || die "lab up failed: $OUT/lab.log"
ip netns exec "$PREFIX-p1" ping -n -q -c 100 -i 0.01 -W 2 10.244.2.2 >/dev/null || die "pods do not reach each other"

# One capture per hop; the underlay ones see the encapsulated packet (VXLAN or protocol 4).
capture() { # NAME NS IFACE FILTER
    ip netns exec "$2" tcpdump -i "$3" -n -s 200 --immediate-mode -w "$OUT/$1.pcap" "$4" >"$OUT/$1.log" 2>&1 &
    CAPS+=("$!")
}
UL_FILTER='udp port 8472 or ip proto 4'
capture n1-tun "$PREFIX-n1" "$TUN" icmp
capture n1-ul "$PREFIX-n1" eth0 "$UL_FILTER"
capture n2-ul "$PREFIX-n2" eth0 "$UL_FILTER"
capture n2-tun "$PREFIX-n2" "$TUN" icmp
for log in n1-tun n1-ul n2-ul n2-tun; do
    for _ in $(seq 100); do grep -q listening "$OUT/$log.log" 2>/dev/null && break; sleep 0.05; done
done
ip netns exec "$PREFIX-p1" ping -n -i "$INTERVAL" -c "$COUNT" -W 1 10.244.2.2 >"$OUT/ping.txt" 2>&1 || true
sleep 0.5
for p in "${CAPS[@]}"; do kill -INT "$p" 2>/dev/null || true; done
for p in "${CAPS[@]}"; do wait "$p" 2>/dev/null || true; done
CAPS=()

/usr/bin/python3 - "$OUT" <<'EOF'
import struct, sys, os, statistics
out = sys.argv[1]

def packets(name):
    """(time, icmp type, seq) of each ICMP echo in a pcap, inner packet found under VXLAN or IP-in-IP."""
    with open(os.path.join(out, name + ".pcap"), "rb") as f:
        data = f.read()
    magic = struct.unpack("<I", data[:4])[0]
    nano = magic == 0xa1b23c4d
    linktype = struct.unpack("<I", data[20:24])[0]
    res, off = [], 24
    while off + 16 <= len(data):
        sec, frac, incl, _ = struct.unpack("<IIII", data[off:off + 16])
        pkt = data[off + 16:off + 16 + incl]
        off += 16 + incl
        t = sec + frac / (1e9 if nano else 1e6)
        if linktype == 1:          # Ethernet
            ip = pkt[14:]
        elif linktype == 113:      # Linux cooked
            ip = pkt[16:]
        elif linktype == 276:      # Linux cooked v2
            ip = pkt[20:]
        else:                      # raw IP (TUN)
            ip = pkt
        for _ in range(3):
            if len(ip) < 20:
                break
            ihl = (ip[0] & 15) * 4
            proto = ip[9]
            if proto == 1:
                icmp = ip[ihl:]
                if len(icmp) >= 8 and icmp[0] in (0, 8):
                    res.append((t, icmp[0], struct.unpack("!H", icmp[6:8])[0]))
                break
            if proto == 4:
                ip = ip[ihl:]
            elif proto == 17:
                ip = ip[ihl + 8 + 8 + 14:]   # UDP, VXLAN, inner Ethernet
            else:
                break
    return res

seen = {}
for name in ("n1-tun", "n1-ul", "n2-ul", "n2-tun"):
    for t, kind, seq in packets(name):
        seen.setdefault((kind, seq), {}).setdefault(name, t)
stages = [("n1 out (muslin)", 8, "n1-tun", "n1-ul"), ("wire", 8, "n1-ul", "n2-ul"),
          ("n2 in (muslin)", 8, "n2-ul", "n2-tun"), ("pod 2", None, None, None),
          ("n2 out (muslin)", 0, "n2-tun", "n2-ul"), ("wire back", 0, "n2-ul", "n1-ul"),
          ("n1 in (muslin)", 0, "n1-ul", "n1-tun")]
rows = []
for label, kind, a, b in stages:
    vals = []
    for (k, seq), hops in seen.items():
        if label == "pod 2":
            req, rep = seen.get((8, seq), {}), seen.get((0, seq), {})
            if k == 8 and "n2-tun" in req and "n2-tun" in rep:
                vals.append((rep["n2-tun"] - req["n2-tun"]) * 1e6)
        elif k == kind and a in hops and b in hops:
            vals.append((hops[b] - hops[a]) * 1e6)
    vals.sort()
    if vals:
        p = lambda q: vals[min(len(vals) - 1, int(q * len(vals)))]
        rows.append("| %s | %d | %.0f | %.0f |" % (label, len(vals), p(0.5), p(0.99)))
print("| stage | samples | p50 µs | p99 µs |")
print("|---|---:|---:|---:|")
print("\n".join(rows))
EOF
