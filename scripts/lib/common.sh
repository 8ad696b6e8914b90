# shellcheck shell=bash
# Shared helpers for muslin's scripts: logging, the JDK, Debian packages, the build.
#
# Source it from bash:  . "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
# It sets MUSLIN_ROOT (the repository root) and defines:
#   log / warn / die / step       one-line messages on stderr, prefixed with the script's name
#   find_jdk25                    sets and exports JAVA_HOME, sets JAVA; exits 1 if no JDK 25+
#   missing_packages pkg...       prints the Debian packages that are not installed
#   ensure_packages pkg...        apt-get update (once) and install only the missing ones
#   ensure_muslin_jar             builds node/target/muslin.jar if it is missing (MUSLIN_JAR: another jar)
#   is_root                       true when running as uid 0

if [[ -n "${_MUSLIN_COMMON_SH:-}" ]]; then
    return 0
fi
_MUSLIN_COMMON_SH=1

MUSLIN_ROOT="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/../.." && pwd)"
# MUSLIN_JAR may be set to run another build (bench-iperf.sh --variant compares two).
MUSLIN_JAR="${MUSLIN_JAR:-$MUSLIN_ROOT/node/target/muslin.jar}"
_MUSLIN_PROG="$(basename "${0:-muslin}")"

# ---------------------------------------------------------------- logging

# Colour only when stderr is a terminal and NO_COLOR is unset.
if [[ -t 2 && -z "${NO_COLOR:-}" ]]; then
    _C_BOLD=$'\e[1m' _C_RED=$'\e[31m' _C_YEL=$'\e[33m' _C_OFF=$'\e[0m'
else
    _C_BOLD='' _C_RED='' _C_YEL='' _C_OFF=''
fi

log()  { printf '%s: %s\n' "$_MUSLIN_PROG" "$*" >&2; }
step() { printf '%s==> %s%s\n' "$_C_BOLD" "$*" "$_C_OFF" >&2; }
warn() { printf '%s%s: warning: %s%s\n' "$_C_YEL" "$_MUSLIN_PROG" "$*" "$_C_OFF" >&2; }
die()  { printf '%s%s: %s%s\n' "$_C_RED" "$_MUSLIN_PROG" "$*" "$_C_OFF" >&2; exit 1; }

is_root() { [[ "$(id -u)" -eq 0 ]]; }

# ---------------------------------------------------------------- JDK 25

# Prints the feature version (25, 17, 8, ...) of the java binary at $1, or nothing.
_java_feature_version() {
    local java="$1" home line v
    [[ -x "$java" ]] || return 0
    home="$(dirname "$(dirname "$(readlink -f "$java")")")"
    # The release file is cheap to read; fall back to running the binary.
    if [[ -r "$home/release" ]]; then
        line="$(grep -m1 '^JAVA_VERSION=' "$home/release" 2>/dev/null || true)"
        v="${line#JAVA_VERSION=}"
        v="${v//\"/}"
    fi
    if [[ -z "${v:-}" ]]; then
        line="$("$java" -version 2>&1 | grep -m1 -E 'version "' || true)"
        v="$(sed -E 's/.*version "([^"]+)".*/\1/' <<<"$line")"
    fi
    [[ -n "${v:-}" ]] || return 0
    v="${v#1.}"                 # 1.8.0_x -> 8.0_x
    v="${v%%[!0-9]*}"           # 25.0.1 -> 25, 25-ea -> 25
    [[ -n "$v" ]] && printf '%s\n' "$v"
}

# True when the JDK home $1 has a java binary of version 25 or newer.
_is_jdk25_home() {
    local v
    v="$(_java_feature_version "$1/bin/java")"
    [[ -n "$v" && "$v" -ge 25 ]]
}

# Finds a JDK 25+: JAVA_HOME if it qualifies, else /usr/lib/jvm/*25*, else any
# /usr/lib/jvm/* of version 25+, else java on PATH. Exports JAVA_HOME, sets JAVA.
find_jdk25() {
    local cand
    if [[ -n "${JAVA_HOME:-}" ]] && _is_jdk25_home "$JAVA_HOME"; then
        :
    else
        local found=''
        for cand in /usr/lib/jvm/*25* /usr/lib/jvm/*; do
            [[ -d "$cand" ]] || continue
            if _is_jdk25_home "$cand"; then found="$cand"; break; fi
        done
        if [[ -z "$found" ]] && command -v java >/dev/null 2>&1; then
            cand="$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")"
            if _is_jdk25_home "$cand"; then found="$cand"; fi
        fi
        if [[ -z "$found" ]]; then
            printf '%s\n' "muslin needs JDK 25 or newer: set JAVA_HOME (none found under /usr/lib/jvm)" >&2
            exit 1
        fi
        JAVA_HOME="$found"
    fi
    export JAVA_HOME
    # shellcheck disable=SC2034  # used by the scripts that source this file
    JAVA="$JAVA_HOME/bin/java"
    case ":$PATH:" in
        *":$JAVA_HOME/bin:"*) ;;
        *) PATH="$JAVA_HOME/bin:$PATH"; export PATH ;;
    esac
}

# ---------------------------------------------------------------- Debian packages

_MUSLIN_APT_UPDATED=''

# Prints, one a line, those of the given Debian packages that are not installed.
missing_packages() {
    local p status
    for p in "$@"; do
        status="$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)"
        [[ "$status" == "install ok installed" ]] || printf '%s\n' "$p"
    done
}

# Installs the given Debian packages that are missing (apt-get update once per script).
ensure_packages() {
    command -v dpkg-query >/dev/null 2>&1 || die "ensure_packages: not a Debian system (no dpkg-query); install by hand: $*"
    local missing
    mapfile -t missing < <(missing_packages "$@")
    [[ ${#missing[@]} -eq 0 ]] && return 0
    if ! is_root; then
        die "missing packages: ${missing[*]} (run as root, or: sudo apt-get install -y ${missing[*]})"
    fi
    export DEBIAN_FRONTEND=noninteractive
    if [[ -z "$_MUSLIN_APT_UPDATED" ]]; then
        log "apt-get update"
        apt-get update -qq >&2 || die "apt-get update failed"
        _MUSLIN_APT_UPDATED=1
    fi
    # tshark asks whether non-root users may capture; answer it before installing.
    if printf '%s\n' "${missing[@]}" | grep -qx 'tshark\|wireshark-common'; then
        echo 'wireshark-common wireshark-common/install-setuid boolean false' | debconf-set-selections 2>/dev/null || true
    fi
    log "apt-get install -y ${missing[*]}"
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2 \
        || die "apt-get install failed for: ${missing[*]}"
}

# ---------------------------------------------------------------- the build

# Builds node/target/muslin.jar when it is missing. Serialized with flock so that
# several nodes of a lab starting at once build it only once.
ensure_muslin_jar() {
    [[ -f "$MUSLIN_JAR" ]] && return 0
    find_jdk25
    local lock
    lock="${TMPDIR:-/tmp}/muslin-build-$(printf '%s' "$MUSLIN_ROOT" | cksum | cut -d' ' -f1).lock"
    (
        if command -v flock >/dev/null 2>&1; then
            flock 9
        fi
        [[ -f "$MUSLIN_JAR" ]] && exit 0
        log "building $MUSLIN_JAR (./mvnw -q -B -DskipTests package)"
        cd "$MUSLIN_ROOT" && ./mvnw -q -B -DskipTests package >&2
    ) 9>"$lock" || die "build failed: cd $MUSLIN_ROOT && ./mvnw -B -DskipTests package"
    [[ -f "$MUSLIN_JAR" ]] || die "build finished but $MUSLIN_JAR is missing"
}
