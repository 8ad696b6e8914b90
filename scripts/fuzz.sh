#!/usr/bin/env bash
# fuzz.sh — runs muslin's fuzz targets (the *FuzzTest classes) under Jazzer, then prints how
# many inputs each one ran and what it found.
#
#   scripts/fuzz.sh [--seconds N] [--runs N] [--jobs N] [--list] [TARGET...]
#     TARGET   a fuzz test class, with or without the FuzzTest suffix: VxlanDecoder,
#              HubFramesFuzzTest, ... (default: all of them, see --list)
#     --seconds N   how long each target is fuzzed at most (default 300)
#     --runs N      stop a target after N executions (default: no limit but the time)
#     --jobs N      fuzz N targets at a time, each in its own JVM (default 1; libFuzzer's output
#                   then interleaves, so the table gives the total executions, not each target's)
#     --list        print the targets and their modules, and exit
#
# How: Jazzer fuzzes one @FuzzTest per JVM, and each *FuzzTest class holds one. The Maven
# profile "fuzz" (pom.xml) runs the chosen classes with JAZZER_FUZZ=1, each in a JVM of its
# own (surefire reuseForks=false), for jazzer.max_duration. One Maven run does all of them.
#
# What it leaves:
#   - a crash: the input that failed, in <module>/src/test/resources/<package>/<Class>Inputs/<method>/
#     (crash-<sha1>); it runs as a regression test from then on. Rename it for what it shows,
#     fix the bug, commit both. Maven fails, and so does this script.
#   - the corpus Jazzer grew, in <module>/.cifuzz-corpus/<class>/<method>/ (not in git); a
#     later run starts from it.
#   - the log, fuzz-out/fuzz.log, and the summary, fuzz-out/summary.txt.
#
# Without JAZZER_FUZZ (plain ./mvnw test, and so scripts/test.sh) the same classes run as
# ordinary tests: their seeds and the kept inputs only, in well under a second each.
set -euo pipefail

. "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/lib/common.sh"

usage() { sed -n '2,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'; exit "${1:-0}"; }

# The whole script is one function, read before it runs: editing the file during a long run
# cannot change what the run does.
main() {
    seconds=300
    runs=0
    jobs=1
    list=''
    wanted=()
    while [[ $# -gt 0 ]]; do
        case "$1" in
            --seconds) [[ $# -ge 2 && "$2" =~ ^[1-9][0-9]*$ ]] || die "--seconds needs a whole number of seconds (1 or more)"
                       seconds="$2"; shift 2 ;;
            --runs) [[ $# -ge 2 && "$2" =~ ^[1-9][0-9]*$ ]] || die "--runs needs a whole number (1 or more)"
                    runs="$2"; shift 2 ;;
            --jobs) [[ $# -ge 2 && "$2" =~ ^[1-9][0-9]*$ ]] || die "--jobs needs a whole number (1 or more)"
                    jobs="$2"; shift 2 ;;
            --list) list=1; shift ;;
            -h|--help) usage 0 ;;
            -*) warn "unknown option: $1"; usage 2 ;;
            *) wanted+=("${1%FuzzTest}FuzzTest"); shift ;;
        esac
    done

    cd "$MUSLIN_ROOT"

    # Every target: "module class" (class = simple name), from the sources.
    mapfile -t all < <(find . -path '*/src/test/java/*' -name '*FuzzTest.java' -not -path './.git/*' \
        | sed -E 's|^\./([^/]+)/.*/([A-Za-z0-9_]+)\.java$|\1 \2|' | sort -k2)
    [[ ${#all[@]} -gt 0 ]] || die "no *FuzzTest classes found"

    if [[ -n "$list" ]]; then
        printf '%s\n' "${all[@]}" | awk '{printf "%-34s %s\n", $2, $1}'
        exit 0
    fi

    targets=()
    modules=()
    if [[ ${#wanted[@]} -eq 0 ]]; then
        for t in "${all[@]}"; do targets+=("${t#* }"); modules+=("${t%% *}"); done
    else
        for w in "${wanted[@]}"; do
            hit=''
            for t in "${all[@]}"; do
                if [[ "${t#* }" == "$w" ]]; then hit="$t"; break; fi
            done
            [[ -n "$hit" ]] || die "no fuzz target $w (scripts/fuzz.sh --list shows them)"
            targets+=("${hit#* }"); modules+=("${hit%% *}")
        done
    fi
    mapfile -t modules < <(printf '%s\n' "${modules[@]}" | sort -u)

    # Jazzer writes a finding into src/test/resources/.../<Class>Inputs/ when src/test/resources exists.
    for m in "${modules[@]}"; do mkdir -p "$m/src/test/resources"; done

    find_jdk25
    out="$MUSLIN_ROOT/fuzz-out"
    mkdir -p "$out"
    log="$out/fuzz.log"
    step "fuzzing ${#targets[@]} target(s) for ${seconds}s$([[ $runs -gt 0 ]] && echo " or $runs runs") each, $jobs at a time (JDK: $JAVA_HOME); log: $log"

    # A short run (CI's) is mostly JVM start-up: the JIT's second tier and a parallel GC cost
    # more CPU in a few seconds than they give back (about 40% of the CPU per target, measured).
    jvm_args=''
    if [[ $seconds -le 10 ]]; then
        jvm_args='-XX:TieredStopAtLevel=1 -XX:+UseSerialGC -XX:CICompilerCount=1'
    fi

    # A finding must not keep the other modules' targets from running: Maven goes on
    # (maven.test.failure.ignore) and the results are read from the log below.
    rc=0
    ./mvnw -B -Pfuzz test -pl "$(IFS=,; echo "${modules[*]}")" -am -Dmaven.test.failure.ignore=true \
        -Dtest="$(IFS=,; echo "${targets[*]}")" -Dsurefire.failIfNoSpecifiedTests=false \
        -Dmuslin.fuzz.duration="${seconds}s" -Dmuslin.fuzz.runs="$runs" -Dmuslin.fuzz.forks="$jobs" -Dmuslin.fuzz.jvmArgs="$jvm_args" >"$log" 2>&1 || rc=$?

    # Per target, between surefire's "Running <class>" and its "Tests run: ... in <class>": libFuzzer's
    # last "Done N runs in S second(s)", its final coverage line, and any crash it wrote.
    awk -v jobs="$jobs" '
        jobs > 1 && /^Done [0-9]+ runs in [0-9]+ second/ { total += $2 }
        jobs > 1 && /Test unit written to/ { crashes[ncrash++] = $NF }
        jobs > 1 && /^\[INFO\] Running io\.muslin\./ { c = $3; sub(/.*\./, "", c); order[n++] = c; next }
        jobs > 1 && /Tests run: .* -- in io\.muslin\./ { c = $NF; sub(/.*\./, "", c); if (/FAILURE/) failed[c] = 1; next }
        jobs > 1 { next }
        /^\[INFO\] Running io\.muslin\./ { cls = $3; sub(/.*\./, "", cls); runs[cls] = "-"; secs[cls] = "-"; found[cls] = 0; cov[cls] = "-"; order[n++] = cls; next }
        cls != "" && /^Done [0-9]+ runs in [0-9]+ second/ { runs[cls] = $2; secs[cls] = $5 }
        cls != "" && /(DONE|pulse|NEW|REDUCE) +cov: / { for (i = 1; i <= NF; i++) if ($i == "cov:") cov[cls] = $(i + 1) }
        cls != "" && /Test unit written to/ { found[cls]++; file[cls] = $NF }
        cls != "" && /Tests run: .* -- in io\.muslin\./ { if (/FAILURE/) failed[cls] = 1; cls = "" }
        END {
            if (jobs > 1) {
                for (i = 0; i < n; i++) {
                    printf "%-30s %s\n", order[i], failed[order[i]] ? "FAILED" : "ok"
                    bad += failed[order[i]] ? 1 : 0
                }
                printf "%d executions in all (%d targets at a time)\n", total, jobs
                for (i = 0; i < ncrash; i++) printf "crash: %s\n", crashes[i]
                printf "fuzz: %d passed, %d failed\n", n - bad, bad
                exit
            }
            printf "%-30s %12s %8s %10s %6s  %s\n", "target", "executions", "seconds", "exec/s", "cov", "findings"
            for (i = 0; i < n; i++) {
                c = order[i]
                rate = (secs[c] ~ /^[0-9]+$/ && secs[c] > 0) ? int(runs[c] / secs[c]) : "-"
                what = found[c] ? found[c] " crash: " file[c] : (failed[c] ? "FAILED (see the log)" : "none")
                printf "%-30s %12s %8s %10s %6s  %s\n", c, runs[c], secs[c], rate, cov[c], what
                bad += (found[c] || failed[c]) ? 1 : 0
            }
            printf "fuzz: %d passed, %d failed\n", n - bad, bad
        }' "$log" | tee "$out/summary.txt"

    ran="$(grep -c '^\[INFO\] Running io\.muslin\.' "$log" || true)"
    failed="$(sed -n 's/^fuzz: [0-9]* passed, \([0-9]*\) failed$/\1/p' "$out/summary.txt")"
    if [[ $rc -ne 0 || "$ran" -ne ${#targets[@]} || "${failed:-1}" -ne 0 ]] || ! grep -q '^\[INFO\] BUILD SUCCESS' "$log"; then
        grep -E 'FuzzTestFinding|Caused by|\[ERROR\]' "$log" | head -20 >&2 || true
        die "fuzzing failed: see $log; a crash input is kept where the table says"
    fi
}

main "$@"
