#!/usr/bin/env bash
# test.sh — muslin's test command: unit tests (surefire) and, as root, the end-to-end tests
# (failsafe, node/src/test/java/io/muslin/node/e2e/*IT.java) on the namespace lab.
#
#   scripts/test.sh [extra maven arguments...]
#     e.g. scripts/test.sh -Dit.test=TwoNodeVxlanIT -Dtest=none -Dsurefire.failIfNoSpecifiedTests=false
#
# With no arguments (CI) it then fuzzes every fuzz target briefly, MUSLIN_FUZZ_SECONDS (default 3)
# seconds each, two at a time, 0 for none (scripts/fuzz.sh; their kept inputs already ran as unit tests).
#
# Not root: the unit tests still run (those needing etcd skip with a message if it is not
# installed); the e2e tests skip with a message.
set -euo pipefail

. "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/lib/common.sh"

# bird2: the BGP route reflector of the BGP e2e test (lab.sh --reflector).
readonly E2E_PACKAGES=(iperf3 tshark tcpdump iputils-ping netcat-openbsd iproute2 procps curl nftables bird2)
# The control module's etcd store tests start a real etcd and use etcdctl; capture filters are
# compiled by libpcap (libpcap-dev has the libpcap.so JNA loads); the metrics tests parse with the
# Prometheus project's own Python parser.
readonly UNIT_PACKAGES=(etcd-server etcd-client libpcap0.8 libpcap-dev python3-prometheus-client)

cd "$MUSLIN_ROOT"
if is_root; then
    ensure_packages "${UNIT_PACKAGES[@]}" "${E2E_PACKAGES[@]}"
else
    warn "not running as root: the e2e tests (*IT) will be skipped; run 'sudo scripts/test.sh' for them"
    missing="$(missing_packages "${UNIT_PACKAGES[@]}" | tr '\n' ' ')"
    [[ -z "$missing" ]] || warn "the etcd store tests will be skipped without: $missing"
    missing="$(missing_packages "${E2E_PACKAGES[@]}" | tr '\n' ' ')"
    [[ -z "$missing" ]] || warn "the e2e tests would also need: $missing"
fi
find_jdk25
log "JDK: $JAVA_HOME"
if [[ $# -gt 0 ]]; then
    exec ./mvnw -B verify "$@"
fi
./mvnw -B verify
fuzz_seconds="${MUSLIN_FUZZ_SECONDS:-3}"
[[ "$fuzz_seconds" =~ ^[0-9]+$ ]] || die "MUSLIN_FUZZ_SECONDS: \"$fuzz_seconds\" (accepted: a whole number of seconds, 0 for no fuzzing)"
if [[ "$fuzz_seconds" -gt 0 ]]; then
    exec scripts/fuzz.sh --seconds "$fuzz_seconds" --jobs 2
fi
