#!/usr/bin/env bash
# test.sh — muslin's test command: unit tests (surefire) and, as root, the end-to-end tests
# (failsafe, node/src/test/java/io/muslin/node/e2e/*IT.java) on the namespace lab.
#
#   scripts/test.sh [extra maven arguments...]
#     e.g. scripts/test.sh -Dit.test=TwoNodeVxlanIT -Dtest=none -Dsurefire.failIfNoSpecifiedTests=false
#
# Not root: the unit tests still run (those needing etcd skip with a message if it is not
# installed); the e2e tests skip with a message.
set -euo pipefail

. "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/lib/common.sh"

readonly E2E_PACKAGES=(iperf3 tshark tcpdump iputils-ping netcat-openbsd iproute2 procps ethtool curl nftables)
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
exec ./mvnw -B verify "$@"
