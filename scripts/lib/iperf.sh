# shellcheck shell=bash
# iperf3 between two pods of a lab (scripts/lab.sh), for demo.sh and bench-iperf.sh.
#   iperf_pods PREFIX FROM TO SECONDS JSON_OUT [ARGS...]
#                                                pod FROM -> pod TO, iperf3 -J; one TCP stream unless
#                                                ARGS (more iperf3 client options: -P 4, -u -b 0 -l 64) say otherwise
#   iperf_gbps JSON                              received Gb/s (2 decimals)
#   iperf_field JSON SECTION KEY                 a number from the "end" section, e.g.
#                                                sum_sent retransmits, cpu_utilization_percent host_total
# Needs common.sh. No JSON tool: iperf3 -J prints one key a line, which awk reads.

# Runs the iperf3 server in pod TO (one test, then it exits) and the client in pod FROM.
iperf_pods() {
    local prefix="$1" from="$2" to="$3" seconds="$4" out="$5" server_pid i
    shift 5
    ip netns exec "$prefix-p$to" iperf3 -s -1 -p 5201 >"$out.server.log" 2>&1 &
    server_pid=$!
    for ((i = 0; i < 100; i++)); do
        ip netns exec "$prefix-p$to" ss -Hltn 'sport = :5201' 2>/dev/null | grep -q LISTEN && break
        sleep 0.1
    done
    if ! ip netns exec "$prefix-p$from" iperf3 -c "10.244.$to.2" -p 5201 -t "$seconds" -J "$@" >"$out"; then
        kill "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
        warn "iperf3 pod$from -> pod$to failed: $(grep -m1 '"error"' "$out" || tail -n 3 "$out")"
        return 1
    fi
    wait "$server_pid" 2>/dev/null || true
}

# iperf_field JSON SECTION KEY: the first KEY after "SECTION" in the "end" part of the output.
iperf_field() {
    awk -F: -v sec="\"$2\"" -v key="\"$3\"" '
        /^\t"end":/ || /^  "end":/ || /"end":[[:space:]]*\{/ { inend = 1 }
        inend && index($0, sec) { insec = 1 }
        insec && index($1, key) { v = $2; gsub(/[^0-9.eE+-]/, "", v); print v; exit }
    ' "$1"
}

iperf_gbps() {
    local bps
    bps="$(iperf_field "$1" sum_received bits_per_second)"
    [[ -n "$bps" ]] || { echo "n/a"; return; }
    awk -v b="$bps" 'BEGIN { printf "%.2f\n", b / 1e9 }'
}
