#!/usr/bin/env bash
# lab.sh — an N-node overlay lab on Linux network namespaces (see docs/lab.md).
#
#   lab.sh up     --nodes N [--mode muslin|kernel|routing|bare] [--kernel-nodes LIST]
#                 [--routing-nodes LIST] [--backend vxlan|ipip|host-gw] [--direct-routing]
#                 [--remote-nodes LIST] [--router-mtu M] [--threads T] [--idle-spin US]
#                 [--control static|bgp] [--reflector] [--bgp-hold-time S] [--ipv6]
#                 [--prefix P] [--dir D] [--vni V] [--port PORT] [--timeout SECONDS]
#                 [--metrics PORT]   (each daemon: "Metrics": {"Listen": "127.0.0.1:PORT"} in its namespace)
#   lab.sh down   [--prefix P] [--dir D]
#   lab.sh config --nodes N [--kernel-nodes LIST] [--backend B] [--direct-routing]
#                 [--remote-nodes LIST] [--threads T] [--prefix P] [--dir D] [--vni V] [--port PORT]
#   lab.sh start  NODE [--prefix P] [--dir D] [--timeout SECONDS]   (muslin daemon on node NODE)
#   lab.sh stop   NODE [--prefix P] [--dir D]
#   lab.sh status [--prefix P] [--dir D]
#   lab.sh router-mtu M [--prefix P] [--dir D]      (the narrow link's MTU, at run time)
#   lab.sh exec   NAME [--prefix P] -- COMMAND...                   (NAME: ul, rt, rt2, rr, n1, p1, ...)
#   lab.sh birdc  [--prefix P] [--dir D] -- ARGS...                 (the route reflector's birdc)
#
# Layout (prefix P, default mlab; $D defaults to <repo>/.lab/P):
#   P-ul        the underlay: bridge br0 (subnet A, 192.168.50.0/24), one port n$i per node;
#               with --remote-nodes also br1 (subnet B, 192.168.60.0/24) and the routers'
#               ports rt0 (on br0) and rt1 (on br1), all MTU 1500
#   P-rt        only with --remote-nodes: router A, eth0 192.168.50.254/24 on br0; without
#               --router-mtu also eth1 192.168.60.254/24 on br1 (the only router); with it,
#               wan 10.255.0.1/30 (MTU M) and 192.168.60.0/24 via 10.255.0.2
#   P-rt2       only with --router-mtu M: router B, wan 10.255.0.2/30 (MTU M, the narrow
#               link, a veth to P-rt's wan), eth1 192.168.60.254/24 on br1, and
#               192.168.50.0/24 via 10.255.0.1. Routers: ip_forward=1, rp_filter=0,
#               icmp_ratelimit=0; in routing mode also 10.244.$j.0/24 towards node j
#   P-n$i       node i: eth0 192.168.50.$i/24 on br0, or 192.168.60.$i/24 on br1 when i is in
#               --remote-nodes (then a route to the other subnet via the router's .254),
#               pod0 10.244.$i.1/24 to its pod, ip_forward=1, rp_filter=0, and its overlay
#               (per --mode):
#                 muslin   bin/muslin run with $D/n$i.json (Backend per --backend and
#                          --direct-routing; default vxlan); device muslin0
#                 kernel   flannel.1, a kernel VXLAN device programmed as flannel does
#                 routing  10.244.$j.0/24 via node j, or via the router when j is on the
#                          other subnet (no overlay: the baseline)
#                 bare     nothing: the test starts its own daemon
#   P-p$i       pod i: eth0 10.244.$i.2/24, default route via 10.244.$i.1; its MTU is the
#               overlay's: 1450 (vxlan), 1480 (ipip), 1500 (host-gw, routing)
#   P-rr        only with --reflector: BIRD (Debian's bird2) as the BGP route reflector of every
#               muslin (and bare) node, AS 64512, eth0 192.168.50.250/24 on br0 (and
#               192.168.50.251, free for a test's own speaker); it announces the block of each
#               --routing-nodes node with that node as next hop; $D/bird.conf, $D/bird.log
# --routing-nodes LIST: those nodes run plain kernel routing (as --mode routing) whatever --mode.
# --control bgp: the muslin configs get "Control": {"Type": "bgp", "HoldTime": S (--bgp-hold-time,
#               default 90), "Peers": [the reflector]} instead of static Peers (needs --reflector).
# --ipv6: dual stack, as flannel's EnableIPv6 (vxlan, static peers, no router): node i also
#               has eth0 fd00:50::<i>/64 (nodad), pod0 fd00:10:244:<i>::1/64 and its pod eth0
#               fd00:10:244:<i>::2/64 (<i> in hex), IPv6 forwarding on; muslin configs get
#               EnableIPv6, IPv6Network fd00:10:244::/56, Node.IPv6Subnet/PublicIPv6/VtepMACv6
#               and peers' IPv6Subnet/PublicIPv6/BackendV6Data; kernel nodes get flannel-v6.1
#               as flannel programs it (VTEP MAC 6e:75:76:00:00:<i>); pods get MTU 1430
#               (1500 - 70: one TUN device carries both families).
# Node i's VTEP MAC is 6e:75:73:00:00:<i in hex>, whatever its mode. --threads T (default
# $MUSLIN_LAB_THREADS, else none) writes "Dataplane": {"Threads": T} into the muslin configs,
# without it each daemon runs one dataplane thread per core; --idle-spin US (default
# $MUSLIN_LAB_IDLE_SPIN) adds "IdleSpinMicros": US.
set -euo pipefail

. "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/lib/common.sh"

# ---------------------------------------------------------------- constants

readonly UNDERLAY_NET=192.168.50      # subnet A, br0: node i is 192.168.50.i/24
readonly REMOTE_NET=192.168.60        # subnet B, br1 (--remote-nodes): node i is 192.168.60.i/24
readonly ROUTER_HOST=254              # the router is .254 on both subnets
readonly WAN_NET=10.255.0             # --router-mtu: the link P-rt (.1) -- P-rt2 (.2), a /30
readonly CLUSTER_NET=10.244.0.0/16    # node i leases 10.244.i.0/24
readonly UNDERLAY_MTU=1500
readonly VXLAN_OVERHEAD=50            # outer IPv4 20 + UDP 8 + VXLAN 8 + inner Ethernet 14
readonly VXLAN6_OVERHEAD=70           # outer IPv6 40 + UDP 8 + VXLAN 8 + inner Ethernet 14
readonly UNDERLAY6_NET=fd00:50        # --ipv6: node i is fd00:50::<i hex>/64 on br0
readonly CLUSTER6_NET=fd00:10:244::/56 # --ipv6: node i leases fd00:10:244:<i hex>::/64
readonly IPIP_OVERHEAD=20             # outer IPv4 20
readonly MAX_NODES=99
readonly REFLECTOR_IP=192.168.50.250  # --reflector: BIRD's address on br0
readonly PROBE_IP=192.168.50.251      # a second address of P-rr, for a test's own BGP speaker
readonly BGP_AS=64512

PREFIX=mlab
DIR=''
NODES=''
MODE=muslin
KERNEL_NODES=''
ROUTING_NODES=''
CONTROL=static
REFLECTOR=''                          # 1 with --reflector
BGP_HOLD_TIME=90
BACKEND=vxlan
DIRECT_ROUTING=''                     # 1 with --direct-routing
METRICS_PORT=''                       # with --metrics PORT: the daemons' Metrics.Listen port
REMOTE_NODES=''
ROUTER_MTU=''                         # --router-mtu: two routers and a narrow link; empty: one router
VNI=1
PORT=8472
THREADS="${MUSLIN_LAB_THREADS:-}"        # Dataplane.Threads of the muslin configs; empty: the default
IDLE_SPIN="${MUSLIN_LAB_IDLE_SPIN:-}"    # Dataplane.IdleSpinMicros; empty: the default
TIMEOUT="${MUSLIN_LAB_TIMEOUT:-60}"
IPV6=''                               # 1 with --ipv6: dual stack

# The header's command lines: from line 2 to the blank comment line before "Layout".
usage() {
    sed -n '2,/^# Layout/p' "$(readlink -f "${BASH_SOURCE[0]}")" | sed '$d' | sed '$d' \
        | sed 's/^# \{0,1\}//' >&2
    exit 2
}

# ---------------------------------------------------------------- naming

ns_ul()   { printf '%s-ul' "$PREFIX"; }
ns_rt()   { printf '%s-rt' "$PREFIX"; }
ns_rt2()  { printf '%s-rt2' "$PREFIX"; }
ns_rr()   { printf '%s-rr' "$PREFIX"; }
ns_node() { printf '%s-n%s' "$PREFIX" "$1"; }
ns_pod()  { printf '%s-p%s' "$PREFIX" "$1"; }
vtep_mac() { printf '6e:75:73:00:00:%02x' "$1"; }
vtep_mac6() { printf '6e:75:76:00:00:%02x' "$1"; }
pub_ip6()  { printf '%s::%x' "$UNDERLAY6_NET" "$1"; }
subnet6()  { printf 'fd00:10:244:%x::/64' "$1"; }
pod_ip6()  { printf 'fd00:10:244:%x::2' "$1"; }
node_dir() { printf '%s/n%s' "$DIR" "$1"; }

# True when node $1 is listed in --remote-nodes (subnet B, behind the router).
is_remote() {
    local k
    for k in ${REMOTE_NODES//,/ }; do
        [[ "$k" == "$1" ]] && return 0
    done
    return 1
}

# The first three octets of node $1's underlay subnet, its address, and its side's router.
node_net() { if is_remote "$1"; then echo "$REMOTE_NET"; else echo "$UNDERLAY_NET"; fi; }
pub_ip()   { printf '%s.%s' "$(node_net "$1")" "$1"; }
router_ip() { printf '%s.%s' "$(node_net "$1")" "$ROUTER_HOST"; }
same_subnet() { [[ "$(node_net "$1")" == "$(node_net "$2")" ]]; }

# The mode of node $1: kernel when listed in --kernel-nodes, routing when in --routing-nodes, else --mode.
node_mode() {
    local k
    for k in ${KERNEL_NODES//,/ }; do
        [[ "$k" == "$1" ]] && { echo kernel; return; }
    done
    for k in ${ROUTING_NODES//,/ }; do
        [[ "$k" == "$1" ]] && { echo routing; return; }
    done
    echo "$MODE"
}

# The namespaces of this prefix that exist now.
lab_namespaces() {
    ip netns list 2>/dev/null | awk '{print $1}' \
        | grep -E "^${PREFIX//./\\.}-(ul|rt|rt2|rr|n[0-9]+|p[0-9]+)$" || true
}

nsx() { local ns="$1"; shift; ip netns exec "$ns" "$@"; }

# ---------------------------------------------------------------- arguments

parse_args() {
    while [[ $# -gt 0 ]]; do
        case "$1" in
            --nodes) NODES="${2:?--nodes needs a number}"; shift 2 ;;
            --mode) MODE="${2:?--mode needs a value}"; shift 2 ;;
            --kernel-nodes) KERNEL_NODES="${2:?--kernel-nodes needs a list}"; shift 2 ;;
            --routing-nodes) ROUTING_NODES="${2:?--routing-nodes needs a list}"; shift 2 ;;
            --control) CONTROL="${2:?--control needs a value}"; shift 2 ;;
            --reflector) REFLECTOR=1; shift ;;
            --bgp-hold-time) BGP_HOLD_TIME="${2:?--bgp-hold-time needs seconds}"; shift 2 ;;
            --backend) BACKEND="${2:?--backend needs a value}"; shift 2 ;;
            --direct-routing) DIRECT_ROUTING=1; shift ;;
            --metrics) METRICS_PORT="${2:?--metrics needs a port}"; shift 2 ;;
            --remote-nodes) REMOTE_NODES="${2:?--remote-nodes needs a list}"; shift 2 ;;
            --router-mtu) ROUTER_MTU="${2:?--router-mtu needs a number}"; shift 2 ;;
            --prefix) PREFIX="${2:?--prefix needs a value}"; shift 2 ;;
            --dir) DIR="${2:?--dir needs a path}"; shift 2 ;;
            --vni) VNI="${2:?--vni needs a number}"; shift 2 ;;
            --port) PORT="${2:?--port needs a number}"; shift 2 ;;
            --threads) THREADS="${2:?--threads needs a number}"; shift 2 ;;
            --idle-spin) IDLE_SPIN="${2:?--idle-spin needs microseconds}"; shift 2 ;;
            --timeout) TIMEOUT="${2:?--timeout needs seconds}"; shift 2 ;;
            --ipv6) IPV6=1; shift ;;
            -h|--help) usage ;;
            *) die "unknown argument: $1 (see lab.sh --help)" ;;
        esac
    done
    [[ "$PREFIX" =~ ^[A-Za-z][A-Za-z0-9_]{0,9}$ ]] \
        || die "--prefix: '$PREFIX' must be a letter then up to 9 letters, digits or _"
    [[ -n "$DIR" ]] || DIR="$MUSLIN_ROOT/.lab/$PREFIX"
    DIR="$(readlink -m "$DIR")"
    [[ "$TIMEOUT" =~ ^[0-9]+$ ]] || die "--timeout: '$TIMEOUT' is not a number of seconds"
    [[ -z "$THREADS" || "$THREADS" =~ ^[0-9]+$ ]] || die "--threads: '$THREADS' is not a number"
    [[ -z "$IDLE_SPIN" || "$IDLE_SPIN" =~ ^[0-9]+$ ]] || die "--idle-spin: '$IDLE_SPIN' is not a number"
}

# Restores what `up` saved in lab.env (for start/stop/status).
load_lab_env() {
    local f="$DIR/lab.env"
    [[ -r "$f" ]] || return 1
    local key val
    while IFS='=' read -r key val; do
        case "$key" in
            NODES) NODES="$val" ;; MODE) MODE="$val" ;; KERNEL_NODES) KERNEL_NODES="$val" ;;
            VNI) VNI="$val" ;; PORT) PORT="$val" ;;
            BACKEND) BACKEND="$val" ;; DIRECT_ROUTING) DIRECT_ROUTING="$val" ;;
            REMOTE_NODES) REMOTE_NODES="$val" ;; ROUTER_MTU) ROUTER_MTU="$val" ;;
            THREADS) THREADS="$val" ;; IDLE_SPIN) IDLE_SPIN="$val" ;;
            METRICS_PORT) METRICS_PORT="$val" ;;
            ROUTING_NODES) ROUTING_NODES="$val" ;; CONTROL) CONTROL="$val" ;;
            REFLECTOR) REFLECTOR="$val" ;; BGP_HOLD_TIME) BGP_HOLD_TIME="$val" ;;
            IPV6) IPV6="$val" ;;
        esac
    done <"$f"
}

validate_topology() {
    [[ "$NODES" =~ ^[0-9]+$ && "$NODES" -ge 1 && "$NODES" -le $MAX_NODES ]] \
        || die "--nodes: '${NODES}' must be 1..$MAX_NODES"
    case "$MODE" in muslin|kernel|routing|bare) ;; *) die "--mode: '$MODE' must be muslin, kernel, routing or bare" ;; esac
    [[ "$VNI" =~ ^[0-9]+$ && "$VNI" -ge 0 && "$VNI" -le 16777215 ]] || die "--vni: '$VNI' must be 0..16777215"
    [[ "$PORT" =~ ^[0-9]+$ && "$PORT" -ge 1 && "$PORT" -le 65535 ]] || die "--port: '$PORT' must be 1..65535"
    local k
    for k in ${KERNEL_NODES//,/ }; do
        [[ "$k" =~ ^[0-9]+$ && "$k" -ge 1 && "$k" -le "$NODES" ]] \
            || die "--kernel-nodes: '$k' is not a node of 1..$NODES"
    done
    for k in ${ROUTING_NODES//,/ }; do
        [[ "$k" =~ ^[0-9]+$ && "$k" -ge 1 && "$k" -le "$NODES" ]] \
            || die "--routing-nodes: '$k' is not a node of 1..$NODES"
    done
    case "$CONTROL" in static|bgp) ;; *) die "--control: '$CONTROL' must be static or bgp" ;; esac
    if [[ "$CONTROL" == bgp && -z "$REFLECTOR" ]]; then
        die "--control bgp: the nodes peer with the route reflector; add --reflector"
    fi
    [[ "$BGP_HOLD_TIME" =~ ^[0-9]+$ ]] && { [[ "$BGP_HOLD_TIME" -eq 0 ]] || [[ "$BGP_HOLD_TIME" -ge 3 && "$BGP_HOLD_TIME" -le 65535 ]]; } \
        || die "--bgp-hold-time: '$BGP_HOLD_TIME' must be 0 or 3..65535"
    if [[ -n "$KERNEL_NODES" && "$MODE" == routing ]]; then
        die "--kernel-nodes makes VXLAN nodes: it cannot be mixed with --mode routing"
    fi

    case "$BACKEND" in vxlan|ipip|host-gw) ;; *) die "--backend: '$BACKEND' must be vxlan, ipip or host-gw" ;; esac
    if [[ "$BACKEND" != vxlan ]]; then
        [[ "$MODE" == muslin || "$MODE" == bare ]] \
            || die "--backend $BACKEND is a muslin backend: it needs --mode muslin or bare (not $MODE)"
        [[ -z "$KERNEL_NODES" ]] \
            || die "--backend $BACKEND cannot be mixed with --kernel-nodes (kernel nodes run flannel.1, VXLAN; this kernel has no ipip module)"
    fi
    if [[ -n "$DIRECT_ROUTING" ]]; then
        [[ "$BACKEND" != host-gw ]] || die "--direct-routing: host-gw routes directly already; DirectRouting is for vxlan and ipip"
        [[ "$MODE" != routing ]] || die "--direct-routing: --mode routing has no overlay to bypass"
    fi

    for k in ${REMOTE_NODES//,/ }; do
        [[ "$k" =~ ^[0-9]+$ && "$k" -ge 1 && "$k" -le "$NODES" ]] \
            || die "--remote-nodes: '$k' is not a node of 1..$NODES"
    done
    if [[ -n "$ROUTER_MTU" ]]; then
        has_router || die "--router-mtu: there is no router without --remote-nodes"
        check_router_mtu "$ROUTER_MTU" --router-mtu
    fi
    if [[ -n "$IPV6" ]]; then
        [[ "$BACKEND" == vxlan ]] || die "--ipv6: dual stack is for the vxlan backend (not $BACKEND)"
        [[ "$CONTROL" == static ]] || die "--ipv6: dual-stack leases come from static peers only (not --control $CONTROL)"
        ! has_router || die "--ipv6: the routers have no IPv6 (drop --remote-nodes)"
        [[ "$MODE" != routing && -z "$ROUTING_NODES" ]] || die "--ipv6: routing nodes have no IPv6 routes"
    fi
}

# Dies unless $1 is a link MTU the lab accepts; $2 names the option in the message.
check_router_mtu() {
    [[ "$1" =~ ^[0-9]+$ && "$1" -ge 576 && "$1" -le 9000 ]] || die "$2: '$1' must be 576..9000"
}

# True when the lab has a second subnet and a router.
has_router() { [[ -n "${REMOTE_NODES//,/}" ]]; }

# True when the subnets are joined by two routers and the narrow link (--router-mtu).
has_wan() { has_router && [[ -n "$ROUTER_MTU" ]]; }

# The MTU the pods get, as flannel's CNI plugin gives them FLANNEL_MTU: the overlay's when
# any node runs one (kernel nodes imply vxlan), else the underlay's.
pod_mtu() {
    local i overlay=''
    for ((i = 1; i <= NODES; i++)); do
        [[ "$(node_mode "$i")" != routing ]] && overlay=1
    done
    if [[ -z "$overlay" ]]; then
        echo "$UNDERLAY_MTU"
        return
    fi
    if [[ -n "$IPV6" ]]; then
        echo $((UNDERLAY_MTU - VXLAN6_OVERHEAD))
        return
    fi
    case "$BACKEND" in
        vxlan) echo $((UNDERLAY_MTU - VXLAN_OVERHEAD)) ;;
        ipip) echo $((UNDERLAY_MTU - IPIP_OVERHEAD)) ;;
        host-gw) echo "$UNDERLAY_MTU" ;;
    esac
}

# ---------------------------------------------------------------- config

# The Backend section of the muslin configs: VNI and Port for vxlan only, DirectRouting
# only when asked for (validate_topology refuses it for host-gw).
backend_json() {
    local b="{\"Type\": \"$BACKEND\""
    [[ "$BACKEND" == vxlan ]] && b+=", \"VNI\": $VNI, \"Port\": $PORT"
    [[ -n "$DIRECT_ROUTING" ]] && b+=', "DirectRouting": true'
    printf '%s}' "$b"
}

# Node $1 as a peer: vxlan peers carry BackendData (VNI, VTEP MAC), ipip and host-gw peers none.
peer_json() {
    local j="$1"
    printf '{"Subnet":"10.244.%s.0/24","PublicIP":"%s","BackendType":"%s"' "$j" "$(pub_ip "$j")" "$BACKEND"
    if [[ "$BACKEND" == vxlan ]]; then
        printf ',"BackendData":{"VNI":%s,"VtepMAC":"%s"}' "$VNI" "$(vtep_mac "$j")"
    fi
    if [[ -n "$IPV6" ]]; then
        printf ',\n     "IPv6Subnet":"%s","PublicIPv6":"%s","BackendV6Data":{"VNI":%s,"VtepMAC":"%s"}' \
            "$(subnet6 "$j")" "$(pub_ip6 "$j")" "$VNI" "$(vtep_mac6 "$j")"
    fi
    printf '}'
}

# With --ipv6: the IPv6 half of net-conf.json.
ipv6_json() {
    [[ -n "$IPV6" ]] && printf '\n  "EnableIPv6": true, "IPv6Network": "%s",' "$CLUSTER6_NET"
    return 0
}

# With --ipv6: node $1's IPv6 fields of its Node section.
node6_json() {
    [[ -n "$IPV6" ]] && printf ',\n           "IPv6Subnet": "%s", "PublicIPv6": "%s", "VtepMACv6": "%s"' \
        "$(subnet6 "$1")" "$(pub_ip6 "$1")" "$(vtep_mac6 "$1")"
    return 0
}

# With --metrics PORT: the Metrics section (each node listens on 127.0.0.1 of its own namespace).
metrics_json() {
    [[ -n "$METRICS_PORT" ]] && printf '\n  "Metrics": {"Listen": "127.0.0.1:%s"},' "$METRICS_PORT"
    return 0
}

# Writes $DIR/n$i.json, node i's muslin configuration: every other overlay node is a peer,
# or with --control bgp the route reflector is its one BGP peer.
write_config() {
    local i="$1" j peers='' sep='' control dataplane='' fields=''
    [[ -z "$THREADS" ]] || fields="\"Threads\": $THREADS"
    [[ -z "$IDLE_SPIN" ]] || fields+="${fields:+, }\"IdleSpinMicros\": $IDLE_SPIN"
    [[ -z "$fields" ]] || dataplane=$'\n  "Dataplane": {'"$fields"'},'
    for ((j = 1; j <= NODES; j++)); do
        [[ $j -eq $i ]] && continue
        [[ "$(node_mode "$j")" == routing ]] && continue
        peers+="${sep}
    $(peer_json "$j")"
        sep=','
    done
    if [[ "$CONTROL" == bgp ]]; then
        control="\"Control\": {\"Type\": \"bgp\", \"AS\": $BGP_AS, \"HoldTime\": $BGP_HOLD_TIME,
              \"Peers\": [{\"Address\": \"$REFLECTOR_IP\", \"AS\": $BGP_AS}]}"
    else
        control="\"Peers\": [$peers
  ]"
    fi
    mkdir -p "$DIR"
    cat >"$DIR/n$i.json" <<EOF
{
  "Network": "$CLUSTER_NET",
  "SubnetLen": 24,$(ipv6_json)
  "Backend": $(backend_json),
  "Node": {"Name": "node$i", "PublicIP": "$(pub_ip "$i")", "Subnet": "10.244.$i.0/24",
           "VtepMAC": "$(vtep_mac "$i")", "Interface": "muslin0"$(node6_json "$i")},$(metrics_json)$dataplane
  $control
}
EOF
}

cmd_config() {
    validate_topology
    local i
    for ((i = 1; i <= NODES; i++)); do
        write_config "$i"
        printf '%s\n' "$DIR/n$i.json"
    done
}

# ---------------------------------------------------------------- underlay and pods

setup_sysctls() {
    local ns="$1" forward="$2" no6=1
    [[ -z "$IPV6" ]] || no6=0
    nsx "$ns" sysctl -qw net.ipv4.ip_forward="$forward" \
        net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 \
        net.ipv6.conf.all.disable_ipv6="$no6" net.ipv6.conf.default.disable_ipv6="$no6" >/dev/null
    if [[ -n "$IPV6" ]]; then
        nsx "$ns" sysctl -qw net.ipv6.conf.all.forwarding="$forward" >/dev/null
    fi
}

setup_underlay() {
    local ul
    ul="$(ns_ul)"
    ip netns add "$ul"
    nsx "$ul" ip link set lo up
    setup_sysctls "$ul" 0
    nsx "$ul" ip link add br0 type bridge
    nsx "$ul" ip link set br0 up
}

# A router namespace: forwarding on, no reverse-path filter, and ICMP errors never held
# back (icmp_ratelimit=0, see docs/lab.md: the path-MTU tests count them).
setup_router_ns() {
    local ns="$1"
    ip netns add "$ns"
    setup_sysctls "$ns" 1
    nsx "$ns" sysctl -qw net.ipv4.icmp_ratelimit=0 >/dev/null
    nsx "$ns" ip link set lo up
}

# Interfaces that existed before default.rp_filter was set keep their own value.
rp_filter_off() {
    nsx "$1" sh -c 'for f in /proc/sys/net/ipv4/conf/*/rp_filter; do echo 0 >"$f"; done'
}

# The router(s) between subnet A (br0) and subnet B (br1), for --remote-nodes. Without
# --router-mtu one router joins the bridges. With it, router A on br0 and router B on br1 are
# joined by the veth "wan" of MTU M, the narrow link: every underlay port stays 1500, so a
# frame too big for the link reaches a router, which answers "fragmentation needed" (or
# fragments it, without DF). A veth silently drops a frame bigger than its receiver's MTU,
# so the narrow MTU must never face a 1500 sender on a bridge: hence two routers.
setup_router() {
    local ul rt rt2
    ul="$(ns_ul)" rt="$(ns_rt)" rt2="$(ns_rt2)"
    nsx "$ul" ip link add br1 type bridge
    nsx "$ul" ip link set br1 up
    setup_router_ns "$rt"
    ip -n "$rt" link add eth0 mtu "$UNDERLAY_MTU" type veth peer name rt0 netns "$ul"
    ip -n "$ul" link set rt0 mtu "$UNDERLAY_MTU" master br0 up
    ip -n "$rt" addr add "$UNDERLAY_NET.$ROUTER_HOST/24" dev eth0
    ip -n "$rt" link set eth0 up
    if has_wan; then
        setup_router_ns "$rt2"
        ip -n "$rt" link add wan mtu "$ROUTER_MTU" type veth peer name wan netns "$rt2"
        ip -n "$rt" addr add "$WAN_NET.1/30" dev wan
        ip -n "$rt2" addr add "$WAN_NET.2/30" dev wan
        ip -n "$rt2" link set wan mtu "$ROUTER_MTU" up
        ip -n "$rt" link set wan up
        ip -n "$rt2" link add eth1 mtu "$UNDERLAY_MTU" type veth peer name rt1 netns "$ul"
        ip -n "$ul" link set rt1 mtu "$UNDERLAY_MTU" master br1 up
        ip -n "$rt2" addr add "$REMOTE_NET.$ROUTER_HOST/24" dev eth1
        ip -n "$rt2" link set eth1 up
        ip -n "$rt" route add "$REMOTE_NET.0/24" via "$WAN_NET.2"
        ip -n "$rt2" route add "$UNDERLAY_NET.0/24" via "$WAN_NET.1"
        rp_filter_off "$rt2"
    else
        ip -n "$rt" link add eth1 mtu "$UNDERLAY_MTU" type veth peer name rt1 netns "$ul"
        ip -n "$ul" link set rt1 mtu "$UNDERLAY_MTU" master br1 up
        ip -n "$rt" addr add "$REMOTE_NET.$ROUTER_HOST/24" dev eth1
        ip -n "$rt" link set eth1 up
    fi
    rp_filter_off "$rt"
}

# Node i: namespace, eth0 on its subnet's bridge (and a route to the other subnet via the
# router), pod i behind pod0.
setup_node() {
    local i="$1" pod_mtu="$2" ul node pod br=br0 other=$REMOTE_NET
    ul="$(ns_ul)" node="$(ns_node "$i")" pod="$(ns_pod "$i")"
    if is_remote "$i"; then br=br1 other=$UNDERLAY_NET; fi
    ip netns add "$node"
    setup_sysctls "$node" 1
    nsx "$node" ip link set lo up
    ip -n "$node" link add eth0 mtu "$UNDERLAY_MTU" type veth peer name "n$i" netns "$ul"
    ip -n "$ul" link set "n$i" mtu "$UNDERLAY_MTU" master "$br" up
    ip -n "$node" addr add "$(pub_ip "$i")/24" dev eth0
    ip -n "$node" link set eth0 up
    if has_router; then
        ip -n "$node" route add "$other.0/24" via "$(router_ip "$i")"
    fi

    ip netns add "$pod"
    setup_sysctls "$pod" 0
    nsx "$pod" ip link set lo up
    ip -n "$pod" link add eth0 mtu "$pod_mtu" type veth peer name pod0 netns "$node"
    ip -n "$node" link set pod0 mtu "$pod_mtu"
    ip -n "$node" addr add "10.244.$i.1/24" dev pod0
    ip -n "$node" link set pod0 up
    ip -n "$pod" addr add "10.244.$i.2/24" dev eth0
    ip -n "$pod" link set eth0 up
    ip -n "$pod" route add default via "10.244.$i.1"
    if [[ -n "$IPV6" ]]; then
        ip -n "$node" -6 addr add "$(pub_ip6 "$i")/64" dev eth0 nodad
        ip -n "$node" -6 addr add "fd00:10:244:$(printf %x "$i")::1/64" dev pod0 nodad
        ip -n "$pod" -6 addr add "$(pod_ip6 "$i")/64" dev eth0 nodad
        ip -n "$pod" -6 route add default via "fd00:10:244:$(printf %x "$i")::1"
    fi
    rp_filter_off "$node"
}

# ---------------------------------------------------------------- overlays

# flannel.1 exactly as flannel's VXLAN backend programs it (DESIGN.md §4):
# the device, then for each remote node ARP, FDB and route, in that order. With
# --direct-routing a node on the same subnet gets a plain route instead, as flannel does.
setup_kernel_vxlan() {
    local i="$1" node j
    node="$(ns_node "$i")"
    ip -n "$node" link add flannel.1 address "$(vtep_mac "$i")" type vxlan id "$VNI" \
        local "$(pub_ip "$i")" dev eth0 nolearning dstport "$PORT"
    ip -n "$node" addr add "10.244.$i.0/32" dev flannel.1
    ip -n "$node" link set flannel.1 mtu $((UNDERLAY_MTU - VXLAN_OVERHEAD)) up
    for ((j = 1; j <= NODES; j++)); do
        [[ $j -eq $i ]] && continue
        if [[ -n "$DIRECT_ROUTING" ]] && same_subnet "$i" "$j"; then
            ip -n "$node" route add "10.244.$j.0/24" via "$(pub_ip "$j")" dev eth0
            continue
        fi
        ip -n "$node" neigh add "10.244.$j.0" lladdr "$(vtep_mac "$j")" dev flannel.1 nud permanent
        nsx "$node" bridge fdb append "$(vtep_mac "$j")" dev flannel.1 dst "$(pub_ip "$j")"
        ip -n "$node" route add "10.244.$j.0/24" via "10.244.$j.0" dev flannel.1 onlink
    done
    [[ -z "$IPV6" ]] || setup_kernel_vxlan6 "$i"
}

# flannel-v6.1 as flannel programs it for EnableIPv6: a second VXLAN device on the IPv6
# underlay, the IPv6 subnet's network address /128, and per remote node neighbor, FDB and
# route (fd00:10:244:j::/64 via fd00:10:244:j:: onlink).
setup_kernel_vxlan6() {
    local i="$1" node j n6
    node="$(ns_node "$i")"
    ip -n "$node" link add flannel-v6.1 address "$(vtep_mac6 "$i")" type vxlan id "$VNI" \
        local "$(pub_ip6 "$i")" dev eth0 nolearning dstport "$PORT"
    ip -n "$node" -6 addr add "fd00:10:244:$(printf %x "$i")::/128" dev flannel-v6.1 nodad
    ip -n "$node" link set flannel-v6.1 mtu $((UNDERLAY_MTU - VXLAN6_OVERHEAD)) up
    for ((j = 1; j <= NODES; j++)); do
        [[ $j -eq $i ]] && continue
        n6="fd00:10:244:$(printf %x "$j")::"
        ip -n "$node" -6 neigh add "$n6" lladdr "$(vtep_mac6 "$j")" dev flannel-v6.1 nud permanent
        nsx "$node" bridge fdb append "$(vtep_mac6 "$j")" dev flannel-v6.1 dst "$(pub_ip6 "$j")"
        ip -n "$node" -6 route add "$(subnet6 "$j")" via "$n6" dev flannel-v6.1 onlink
    done
}

# Plain routes (flannel's host-gw): to node j directly on the same subnet, else via the router.
setup_routing() {
    local i="$1" node j
    node="$(ns_node "$i")"
    for ((j = 1; j <= NODES; j++)); do
        [[ $j -eq $i ]] && continue
        if same_subnet "$i" "$j"; then
            ip -n "$node" route add "10.244.$j.0/24" via "$(pub_ip "$j")"
        else
            ip -n "$node" route add "10.244.$j.0/24" via "$(router_ip "$i")"
        fi
    done
}

# Routing mode: the routers know every pod subnet (only the baseline; overlays encapsulate):
# via the node on their own subnet, else across the narrow link.
setup_router_routes() {
    local rt rt2 j
    rt="$(ns_rt)" rt2="$(ns_rt2)"
    for ((j = 1; j <= NODES; j++)); do
        if ! has_wan; then
            ip -n "$rt" route add "10.244.$j.0/24" via "$(pub_ip "$j")"
        elif is_remote "$j"; then
            ip -n "$rt" route add "10.244.$j.0/24" via "$WAN_NET.2"
            ip -n "$rt2" route add "10.244.$j.0/24" via "$(pub_ip "$j")"
        else
            ip -n "$rt" route add "10.244.$j.0/24" via "$(pub_ip "$j")"
            ip -n "$rt2" route add "10.244.$j.0/24" via "$WAN_NET.1"
        fi
    done
}

# Starts the muslin daemon of node $1 in the background; does not wait.
start_daemon() {
    local i="$1" nd
    nd="$(node_dir "$i")"
    [[ -f "$DIR/n$i.json" ]] || write_config "$i"
    mkdir -p "$nd"
    rm -f "$nd/subnet.env" "$nd/muslin.pid"
    ip netns exec "$(ns_node "$i")" "$MUSLIN_ROOT/bin/muslin" run --config "$DIR/n$i.json" \
        --subnet-file "$nd/subnet.env" --admin-socket "$nd/admin.sock" --state-dir "$nd" \
        </dev/null >>"$nd/muslin.log" 2>&1 &
    # `ip netns exec` and bin/muslin both exec: $! is the JVM's pid.
    echo $! >"$nd/muslin.pid"
}

# Waits until node $1's daemon has written subnet.env (its readiness signal).
wait_daemon() {
    local i="$1" nd pid deadline
    nd="$(node_dir "$i")"
    pid="$(cat "$nd/muslin.pid")"
    deadline=$((SECONDS + TIMEOUT))
    while [[ ! -s "$nd/subnet.env" ]]; do
        if ! pid_alive "$pid"; then
            log "muslin on node $i exited before it was ready; last lines of $nd/muslin.log:"
            tail -n 20 "$nd/muslin.log" >&2 || true
            return 1
        fi
        if ((SECONDS >= deadline)); then
            log "muslin on node $i not ready after ${TIMEOUT}s (no $nd/subnet.env); last lines of $nd/muslin.log:"
            tail -n 20 "$nd/muslin.log" >&2 || true
            return 1
        fi
        sleep 0.2
    done
}

# ---------------------------------------------------------------- the route reflector (BIRD)

# $DIR/bird.conf: BIRD as the route reflector of every overlay node (rr client), announcing the
# routing nodes' blocks with each node as next hop. Short retry and error-wait times, so a node
# that restarts is back at once; graceful restart on.
write_bird_conf() {
    local i ip blocks='' neighbors='' underlay=''
    for ((i = 1; i <= NODES; i++)); do
        ip="$(pub_ip "$i")"
        if [[ "$(node_mode "$i")" == routing ]]; then
            blocks+="    route 10.244.$i.0/24 via $ip;"$'\n'
        else
            neighbors+="protocol bgp node$i from nodes { neighbor $ip as $BGP_AS; }"$'\n'
        fi
    done
    if has_router; then
        underlay="    route $REMOTE_NET.0/24 via $UNDERLAY_NET.$ROUTER_HOST;"$'\n'
    fi
    cat >"$DIR/bird.conf" <<BIRD
# The lab's route reflector (lab.sh --reflector): one iBGP session per overlay node.
log "$DIR/bird.log" all;
router id $REFLECTOR_IP;

protocol device { }
protocol direct { ipv4; interface "eth0"; }

# The routing nodes' blocks, announced with the node as next hop; the way to subnet B.
protocol static blocks {
    ipv4;
${blocks}}
protocol static underlay {
    ipv4;
${underlay}}

filter to_nodes {
    if net ~ [ 192.168.0.0/16+ ] then reject;
    if proto = "blocks" then bgp_next_hop = gw;
    accept;
}

template bgp nodes {
    local $REFLECTOR_IP as $BGP_AS;
    rr client;
    hold time $BGP_HOLD_TIME;
    connect retry time 1;
    error wait time 1, 4;
    graceful restart on;
    ipv4 { import all; export filter to_nodes; };
}

${neighbors}
BIRD
}

# P-rr: BIRD on br0 at $REFLECTOR_IP (and $PROBE_IP for a test's own speaker).
setup_reflector() {
    local ul rr
    ul="$(ns_ul)" rr="$(ns_rr)"
    command -v bird >/dev/null 2>&1 || ensure_packages bird2
    ip netns add "$rr"
    setup_sysctls "$rr" 0
    nsx "$rr" ip link set lo up
    ip -n "$rr" link add eth0 mtu "$UNDERLAY_MTU" type veth peer name rr0 netns "$ul"
    ip -n "$ul" link set rr0 mtu "$UNDERLAY_MTU" master br0 up
    ip -n "$rr" addr add "$REFLECTOR_IP/24" dev eth0
    ip -n "$rr" addr add "$PROBE_IP/24" dev eth0
    ip -n "$rr" link set eth0 up
    if has_router; then
        ip -n "$rr" route add "$REMOTE_NET.0/24" via "$UNDERLAY_NET.$ROUTER_HOST"
    fi
    write_bird_conf
    nsx "$rr" bird -c "$DIR/bird.conf" -s "$DIR/bird.ctl" -P "$DIR/bird.pid" \
        || die "bird did not start; see $DIR/bird.conf and $DIR/bird.log"
}

cmd_birdc() {
    load_lab_env || die "no lab '$PREFIX' in $DIR (run lab.sh up first)"
    [[ -n "$REFLECTOR" ]] || die "birdc: lab '$PREFIX' has no route reflector (build it with --reflector)"
    exec birdc -s "$DIR/bird.ctl" "$@"
}

# ---------------------------------------------------------------- processes

# True while $1 is a live (not zombie) process.
pid_alive() {
    local pid="$1" state
    [[ "$pid" =~ ^[0-9]+$ ]] || return 1
    [[ -r "/proc/$pid/stat" ]] || return 1
    state="$(sed -E 's/^[0-9]+ \(.*\) ([A-Za-z]).*/\1/' "/proc/$pid/stat" 2>/dev/null || echo X)"
    [[ "$state" != Z && "$state" != X ]]
}

# The pid in node $1's pid file if that process is still a muslin JVM.
daemon_pid() {
    local f pid
    f="$(node_dir "$1")/muslin.pid"
    [[ -r "$f" ]] || return 1
    pid="$(cat "$f")"
    pid_alive "$pid" || return 1
    tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q 'muslin.jar' || return 1
    echo "$pid"
}

# Sends SIGTERM to the given pids, waits up to $1 seconds, then SIGKILLs what is left.
terminate() {
    local grace="$1" pid deadline left
    shift
    [[ $# -eq 0 ]] && return 0
    kill -TERM "$@" 2>/dev/null || true
    deadline=$((SECONDS + grace))
    while :; do
        left=()
        for pid in "$@"; do pid_alive "$pid" && left+=("$pid"); done
        [[ ${#left[@]} -eq 0 ]] && return 0
        if ((SECONDS >= deadline)); then
            warn "still running after ${grace}s, sending SIGKILL: ${left[*]}"
            kill -KILL "${left[@]}" 2>/dev/null || true
            sleep 0.5
            return 0
        fi
        sleep 0.2
    done
}

cmd_stop() {
    local i="$1" pid
    if pid="$(daemon_pid "$i")"; then
        terminate 15 "$pid"
        log "stopped muslin on node $i (pid $pid)"
    else
        log "no muslin running on node $i"
    fi
    rm -f "$(node_dir "$i")/muslin.pid"
}

cmd_start() {
    local i="$1"
    load_lab_env || die "no lab '$PREFIX' in $DIR (run lab.sh up first)"
    [[ "$i" =~ ^[0-9]+$ && "$i" -ge 1 && "$i" -le "$NODES" ]] || die "node '$i' is not one of 1..$NODES"
    ip netns list | awk '{print $1}' | grep -qx "$(ns_node "$i")" || die "namespace $(ns_node "$i") does not exist"
    if daemon_pid "$i" >/dev/null; then die "muslin already runs on node $i"; fi
    ensure_muslin_jar
    start_daemon "$i"
    wait_daemon "$i" || exit 1
    log "muslin on node $i is ready"
}

# ---------------------------------------------------------------- up / down

cmd_up() {
    [[ -n "$NODES" ]] || die "up needs --nodes N"
    validate_topology
    is_root || die "lab.sh up needs root (network namespaces)"
    if ! command -v ip >/dev/null 2>&1 || ! command -v bridge >/dev/null 2>&1; then ensure_packages iproute2; fi
    command -v sysctl >/dev/null 2>&1 || ensure_packages procps
    [[ -z "$(lab_namespaces)" ]] || die "lab '$PREFIX' is up already (lab.sh down --prefix $PREFIX)"

    local i any_muslin='' pod_mtu
    for ((i = 1; i <= NODES; i++)); do
        [[ "$(node_mode "$i")" == muslin ]] && any_muslin=1
    done
    if [[ -n "$any_muslin" ]]; then
        [[ -e /dev/net/tun ]] || die "muslin nodes need /dev/net/tun"
        ensure_muslin_jar         # build once, before the nodes start
    fi
    pod_mtu="$(pod_mtu)"

    # A failure half way leaves nothing behind.
    # shellcheck disable=SC2154  # rc is assigned inside the trap
    trap 'rc=$?; if [[ $rc -ne 0 ]]; then log "up failed; tearing the lab down"; cmd_down >/dev/null 2>&1 || true; fi' EXIT

    mkdir -p "$DIR"
    printf 'PREFIX=%s\nNODES=%s\nMODE=%s\nKERNEL_NODES=%s\nVNI=%s\nPORT=%s\n' \
        "$PREFIX" "$NODES" "$MODE" "$KERNEL_NODES" "$VNI" "$PORT" >"$DIR/lab.env"
    printf 'BACKEND=%s\nDIRECT_ROUTING=%s\nREMOTE_NODES=%s\nROUTER_MTU=%s\nMETRICS_PORT=%s\nTHREADS=%s\nIDLE_SPIN=%s\n' \
        "$BACKEND" "$DIRECT_ROUTING" "$REMOTE_NODES" "$ROUTER_MTU" "$METRICS_PORT" "$THREADS" "$IDLE_SPIN" >>"$DIR/lab.env"
    printf 'ROUTING_NODES=%s\nCONTROL=%s\nREFLECTOR=%s\nBGP_HOLD_TIME=%s\nIPV6=%s\n' \
        "$ROUTING_NODES" "$CONTROL" "$REFLECTOR" "$BGP_HOLD_TIME" "$IPV6" >>"$DIR/lab.env"

    step "lab $PREFIX: $NODES node(s), $(describe_lab), dir $DIR"
    setup_underlay
    has_router && setup_router
    for ((i = 1; i <= NODES; i++)); do
        setup_node "$i" "$pod_mtu"
    done
    [[ "$MODE" == routing ]] && has_router && setup_router_routes
    [[ -z "$REFLECTOR" ]] || setup_reflector
    for ((i = 1; i <= NODES; i++)); do
        case "$(node_mode "$i")" in
            kernel) setup_kernel_vxlan "$i" ;;
            routing) setup_routing "$i" ;;
            muslin) write_config "$i"; start_daemon "$i" ;;
            bare) write_config "$i" ;;
        esac
    done
    for ((i = 1; i <= NODES; i++)); do
        if [[ "$(node_mode "$i")" == muslin ]]; then
            wait_daemon "$i"
        fi
    done
    trap - EXIT
    if has_wan; then
        log "router A: ns $(ns_rt) $UNDERLAY_NET.$ROUTER_HOST (br0), $WAN_NET.1 (wan, MTU $ROUTER_MTU)"
        log "router B: ns $(ns_rt2) $WAN_NET.2 (wan, MTU $ROUTER_MTU), $REMOTE_NET.$ROUTER_HOST (br1)"
    elif has_router; then
        log "router: ns $(ns_rt) $UNDERLAY_NET.$ROUTER_HOST (br0), $REMOTE_NET.$ROUTER_HOST (br1)"
    fi
    for ((i = 1; i <= NODES; i++)); do
        log "node $i ($(node_mode "$i")): ns $(ns_node "$i") $(pub_ip "$i"), pod ns $(ns_pod "$i") 10.244.$i.2"
    done
    step "lab $PREFIX is up"
}

cmd_down() {
    local namespaces ns pids=() pid f i
    mapfile -t namespaces < <(lab_namespaces)

    # 1. The daemons we recorded (also those whose namespace is already gone), then
    #    whatever else still runs inside the lab's namespaces (iperf3, nc, tcpdump).
    for f in "$DIR"/n*/muslin.pid; do
        [[ -r "$f" ]] || continue
        i="$(basename "$(dirname "$f")")"; i="${i#n}"
        if pid="$(daemon_pid "$i")"; then pids+=("$pid"); fi
    done
    terminate 15 "${pids[@]}"
    pids=()
    for ns in "${namespaces[@]}"; do
        while read -r pid; do
            [[ -n "$pid" ]] && pids+=("$pid")
        done < <(ip netns pids "$ns" 2>/dev/null || true)
    done
    terminate 5 "${pids[@]}"
    rm -f "$DIR"/n*/muslin.pid "$DIR"/n*/subnet.env "$DIR/bird.ctl" "$DIR/bird.pid"   # a crashed daemon leaves its subnet.env

    # 2. The namespaces: deleting one destroys its veths, bridges and VXLAN devices.
    for ns in "${namespaces[@]}"; do
        ip netns delete "$ns" 2>/dev/null || warn "could not delete namespace $ns"
    done

    # 3. Check that nothing is left.
    local left
    left="$(lab_namespaces)"
    [[ -z "$left" ]] || die "namespaces left behind: $(tr '\n' ' ' <<<"$left")"
    for f in "$DIR"/n*/; do
        [[ -d "$f" ]] || continue
        i="$(basename "$f")"; i="${i#n}"
        if pid="$(daemon_pid "$i")"; then die "muslin on node $i (pid $pid) is still running"; fi
    done
    log "lab $PREFIX is down${namespaces[0]:+ (${#namespaces[@]} namespaces deleted)}"
}

# One line: mode, kernel nodes, backend, remote nodes and router MTU.
describe_lab() {
    local d="mode $MODE${KERNEL_NODES:+, kernel nodes $KERNEL_NODES}${ROUTING_NODES:+, routing nodes $ROUTING_NODES}"
    [[ -z "$REFLECTOR" ]] || d+=", BIRD route reflector $REFLECTOR_IP"
    [[ "$CONTROL" != bgp ]] || d+=", control bgp (hold time $BGP_HOLD_TIME s)"
    [[ "$MODE" == routing ]] || d+=", backend $BACKEND${DIRECT_ROUTING:+ with DirectRouting}"
    [[ -z "$IPV6" ]] || d+=", dual stack (IPv6 underlay $UNDERLAY6_NET::/64, pods $CLUSTER6_NET)"
    if has_wan; then
        d+=", remote nodes $REMOTE_NODES ($REMOTE_NET.0/24) behind two routers, narrow link MTU $ROUTER_MTU"
    elif has_router; then
        d+=", remote nodes $REMOTE_NODES ($REMOTE_NET.0/24) behind one router"
    fi
    printf '%s' "$d"
}

cmd_status() {
    local namespaces i m nd pid
    mapfile -t namespaces < <(lab_namespaces)
    if [[ ${#namespaces[@]} -eq 0 ]]; then
        echo "lab $PREFIX: down"
        return 0
    fi
    load_lab_env || true
    echo "lab $PREFIX: up, ${NODES:-?} node(s), $(describe_lab), dir $DIR"
    if has_wan; then
        printf 'router A  ns %s  %s.%s (br0)  %s.1 (wan, MTU %s)\n' "$(ns_rt)" "$UNDERLAY_NET" "$ROUTER_HOST" \
            "$WAN_NET" "$(link_mtu "$(ns_rt)" wan)"
        ip -n "$(ns_rt)" route show 2>/dev/null | sed 's/^/    /'
        printf 'router B  ns %s  %s.2 (wan, MTU %s)  %s.%s (br1)\n' "$(ns_rt2)" "$WAN_NET" \
            "$(link_mtu "$(ns_rt2)" wan)" "$REMOTE_NET" "$ROUTER_HOST"
        ip -n "$(ns_rt2)" route show 2>/dev/null | sed 's/^/    /'
    elif has_router; then
        printf 'router  ns %s  %s.%s (br0)  %s.%s (br1)\n' "$(ns_rt)" "$UNDERLAY_NET" "$ROUTER_HOST" \
            "$REMOTE_NET" "$ROUTER_HOST"
        ip -n "$(ns_rt)" route show 2>/dev/null | sed 's/^/    /'
    fi
    for ((i = 1; i <= ${NODES:-0}; i++)); do
        m="$(node_mode "$i")"
        nd="$(node_dir "$i")"
        printf 'node %s  ns %s  %s  mode %s' "$i" "$(ns_node "$i")" "$(pub_ip "$i")" "$m"
        if [[ "$m" == muslin || "$m" == bare ]]; then
            if pid="$(daemon_pid "$i")"; then
                printf '  muslin pid %s%s' "$pid" "$([[ -s "$nd/subnet.env" ]] && echo ', ready')"
            else
                printf '  muslin not running'
            fi
        fi
        printf '\n'
        ip -n "$(ns_node "$i")" route show 2>/dev/null | sed 's/^/    /'
    done
}

# The MTU of link $2 in namespace $1 as the kernel has it now, or "?".
link_mtu() {
    ip -n "$1" -o link show dev "$2" 2>/dev/null | sed -nE 's/.* mtu ([0-9]+) .*/\1/p' | grep . || echo '?'
}

# Sets the narrow link's MTU on both ends, at run time (for "the path narrows mid-transfer"),
# and records it in lab.env. Nothing else changes: the nodes learn the new path MTU only from
# the routers' "fragmentation needed", as they would on a real network.
cmd_router_mtu() {
    local mtu="$1" rt rt2
    load_lab_env || die "no lab '$PREFIX' in $DIR (run lab.sh up first)"
    check_router_mtu "$mtu" router-mtu
    has_wan || die "router-mtu: lab '$PREFIX' has no narrow link (build it with --remote-nodes and --router-mtu)"
    is_root || die "lab.sh router-mtu needs root"
    rt="$(ns_rt)" rt2="$(ns_rt2)"
    ip netns list | awk '{print $1}' | grep -qx "$rt2" || die "namespace $rt2 does not exist"
    ip -n "$rt" link set wan mtu "$mtu"
    ip -n "$rt2" link set wan mtu "$mtu"
    sed -i "s/^ROUTER_MTU=.*/ROUTER_MTU=$mtu/" "$DIR/lab.env"
    log "narrow link $rt wan -- $rt2 wan: MTU $mtu (was $ROUTER_MTU)"
}

cmd_exec() {
    local name="$1"
    shift
    [[ "${1:-}" == -- ]] && shift
    [[ $# -gt 0 ]] || die "exec needs a command after --"
    [[ "$name" =~ ^(ul|rt|rt2|rr|n[0-9]+|p[0-9]+)$ ]] || die "exec: '$name' must be ul, rt, rt2, rr, n<i> or p<i>"
    exec ip netns exec "$PREFIX-$name" "$@"
}

# ---------------------------------------------------------------- main

main() {
    local cmd="${1:-}"
    [[ -n "$cmd" ]] || usage
    shift
    case "$cmd" in
        up) parse_args "$@"; cmd_up ;;
        down) parse_args "$@"; is_root || die "lab.sh down needs root"; cmd_down ;;
        config) parse_args "$@"; [[ -n "$NODES" ]] || die "config needs --nodes N"; cmd_config ;;
        start|stop)
            local node="${1:?$cmd needs a node number}"
            shift
            parse_args "$@"
            if [[ "$cmd" == start ]]; then cmd_start "$node"; else cmd_stop "$node"; fi ;;
        status) parse_args "$@"; cmd_status ;;
        router-mtu)
            local mtu="${1:?router-mtu needs an MTU}"
            shift
            parse_args "$@"
            cmd_router_mtu "$mtu" ;;
        birdc)
            local args=()
            while [[ $# -gt 0 && "$1" != -- ]]; do args+=("$1"); shift; done
            [[ "${1:-}" == -- ]] && shift
            parse_args "${args[@]}"
            cmd_birdc "$@" ;;
        exec)
            local name="${1:?exec needs a namespace name (ul, rt, rt2, n1, p1, ...)}" args=()
            shift
            while [[ $# -gt 0 && "$1" != -- ]]; do args+=("$1"); shift; done
            parse_args "${args[@]}"
            cmd_exec "$name" "$@" ;;
        -h|--help|help) usage ;;
        *) die "unknown command: $cmd (up, down, config, start, stop, status, router-mtu, exec, birdc)" ;;
    esac
}

main "$@"
