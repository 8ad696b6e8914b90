#!/usr/bin/env bash
# stability.sh — runs the unit suite several times on a clean clone of HEAD, optionally with the
# CPU busy, and lists every test that failed in any run: a test that fails once in a while is a
# bug to find.
#
#   scripts/stability.sh [--runs N] [--load K] [--out DIR]
#     (default 5 runs, no load; --load K keeps K busy loops running beside the build;
#      DIR = <repo>/stability-out)
#
# Writes DIR/run-<i>.log per run and DIR/stability.md (runs, failures per test); exits 1 if any
# run failed.
set -euo pipefail

. "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/lib/common.sh"

RUNS=5
LOAD=0
OUT="$MUSLIN_ROOT/stability-out"
while [[ $# -gt 0 ]]; do
    case "$1" in
        --runs) RUNS="${2:?}"; shift 2 ;;
        --load) LOAD="${2:?}"; shift 2 ;;
        --out) OUT="${2:?}"; shift 2 ;;
        -h|--help) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) die "unknown argument: $1 (see --help)" ;;
    esac
done
[[ "$RUNS" =~ ^[0-9]+$ && "$RUNS" -ge 1 ]] || die "--runs: '$RUNS' (accepted: 1 or more)"
[[ "$LOAD" =~ ^[0-9]+$ ]] || die "--load: '$LOAD' (accepted: 0 or more)"
find_jdk25
mkdir -p "$OUT"
OUT="$(cd "$OUT" && pwd)"
CLONE="$(mktemp -d /tmp/muslin-stability.XXXXXX)"
LOADERS=()
cleanup() {
    local p
    for p in "${LOADERS[@]}"; do kill "$p" 2>/dev/null || true; done
    rm -rf "$CLONE"
}
trap cleanup EXIT

git clone -q "$MUSLIN_ROOT" "$CLONE/muslin"
log "clean clone of $(git -C "$CLONE/muslin" rev-parse --short HEAD) in $CLONE/muslin"
for ((k = 0; k < LOAD; k++)); do
    (while :; do :; done) &
    LOADERS+=($!)
done

failed_runs=0
: >"$OUT/failures.txt"
for ((i = 1; i <= RUNS; i++)); do
    step "run $i/$RUNS"
    if (cd "$CLONE/muslin" && ./mvnw -B test >"$OUT/run-$i.log" 2>&1); then
        log "run $i: green"
    else
        failed_runs=$((failed_runs + 1))
        grep -E '^\[ERROR\] (Tests run:.*FAILURE|  [A-Za-z].*:[0-9]+|[A-Za-z].*\.[a-z].*  Time elapsed.*(FAILURE|ERROR))' \
            "$OUT/run-$i.log" | sed "s/^/run $i: /" | tee -a "$OUT/failures.txt" >&2 || true
        log "run $i: RED (log: $OUT/run-$i.log)"
    fi
done

{
    echo "# Unit suite stability: $RUNS run(s) of \`./mvnw -B test\` on a clean clone of $(git -C "$CLONE/muslin" rev-parse --short HEAD), $LOAD busy loop(s) beside"
    echo
    echo "$((RUNS - failed_runs)) of $RUNS runs green."
    if [[ -s "$OUT/failures.txt" ]]; then
        echo
        echo '```'
        cat "$OUT/failures.txt"
        echo '```'
    fi
} >"$OUT/stability.md"
cat "$OUT/stability.md"
[[ "$failed_runs" -eq 0 ]]
