#!/usr/bin/env bash
# `make fuzz`: builds the libFuzzer targets of Fuzz/ with AddressSanitizer into .build-fuzz and runs each for
# FUZZ_SECONDS (60) on a copy of its seeds (Fuzz/corpus/<target>) in a temporary folder that is removed
# afterwards. Prints executions and exec/s per target. Any crash, hang (FUZZ_TIMEOUT seconds for one input) or
# memory blow-up (2 GB) keeps its input under .build-fuzz/crashes/ and makes the run exit 1, naming the file;
# the other targets still run. Reproduce with `.build-fuzz/release/<target> <file>`.
#
#   FUZZ_SECONDS=600 Fuzz/run.sh                 longer
#   FUZZ_TARGETS="fuzz-range" Fuzz/run.sh        some targets only
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
seconds=${FUZZ_SECONDS:-60}
timeout=${FUZZ_TIMEOUT:-10}
targets=${FUZZ_TARGETS:-"fuzz-manifest fuzz-plan fuzz-range fuzz-values fuzz-certificate"}
scratch=$root/.build-fuzz
crashes=$scratch/crashes
swift=${SWIFT:-swift}

# libFuzzer comes with the Swift toolchain (its own compiler-rt); Debian's clang runtime would not be used.
swiftc=$(readlink -f "$(command -v swiftc)")
if ! find "$(dirname "$swiftc")/../lib" -name "libclang_rt.fuzzer-$(uname -m).a" 2>/dev/null | grep -q .; then
    echo "fuzz: this Swift toolchain ($swiftc) has no libclang_rt.fuzzer-$(uname -m).a: -sanitize=fuzzer cannot link" >&2
    exit 1
fi

echo "== building the fuzz targets (release, -sanitize=fuzzer,address) into $scratch"
# --sanitize=fuzzer --sanitize=address instruments the C targets (libyaml in Yams, BoringSSL in swift-crypto)
# and links libFuzzer, but SwiftPM hands them to swiftc as two flags, and for swiftc the last -sanitize= wins:
# the Swift code would get AddressSanitizer without any coverage, and libFuzzer would fuzz it blind.
# -Xswiftc -sanitize=fuzzer,address comes after them and gives the Swift code both.
# TMPDIR: SwiftPM's lock files (and swiftc's temporary files) go into the scratch folder, not /tmp.
rm -rf "$scratch/tmp" && mkdir -p "$scratch/tmp"
TMPDIR="$scratch/tmp" "$swift" build -c release --package-path Fuzz --scratch-path "$scratch" \
    --sanitize=fuzzer --sanitize=address -Xswiftc -sanitize=fuzzer,address
# Make sure: the fuzz targets' own code must carry coverage counters.
if ! objdump -h "$scratch"/release/fuzz_range.build/*.o | grep -q __sancov_cntrs; then
    echo "fuzz: the Swift code was built without coverage instrumentation (-sanitize=fuzzer did not reach swiftc)" >&2
    exit 1
fi

# Swift's own crash reporter reads the crashed process's memory, which AddressSanitizer reports as a second,
# bogus error; libFuzzer's and ASan's reports already give the symbolized stack and the trap's source line.
export SWIFT_BACKTRACE=enable=no
work=$(mktemp -d "${TMPDIR:-/tmp}/kcdctl-fuzz.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p "$crashes"
failed=()
summary=()
started=$(date +%s)
for target in $targets; do
    binary=$scratch/release/$target
    [ -x "$binary" ] || { echo "fuzz: no fuzz target $target ($binary)" >&2; exit 1; }
    corpus=$work/$target
    mkdir -p "$corpus"
    cp Fuzz/corpus/"$target"/* "$corpus"/ 2>/dev/null || true
    dict=()
    [ -f Fuzz/dict/"$target".dict ] && dict=(-dict=Fuzz/dict/"$target".dict)
    log=$work/$target.log
    echo "== $target: ${seconds}s, $(ls "$corpus" | wc -l) seeds"
    status=0
    # A new input goes into the first folder (the working copy); -artifact_prefix keeps what crashed.
    "$binary" "$corpus" "${dict[@]}" -max_total_time="$seconds" -timeout="$timeout" -rss_limit_mb=2048 \
        -max_len=16384 -print_final_stats=1 -artifact_prefix="$crashes/$target-" >"$log" 2>&1 || status=$?
    executions=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
    units=$(sed -n 's/^stat::new_units_added: *//p' "$log" | tail -1)
    coverage=$(grep -o 'cov: [0-9]* ft: [0-9]*' "$log" | tail -1 || true)
    line=$(printf '%-14s %10s executions  %7s exec/s  %5s new inputs  %s' "$target" "${executions:-?}" "${rate:-?}" "${units:-?}" "$coverage")
    summary+=("$line")
    echo "$line"
    if [ "$status" -ne 0 ]; then
        artifact=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -1)
        cp "$log" "$crashes/$target.log"
        echo "!! $target FAILED (exit $status): ${artifact:-no input written}; log: $crashes/$target.log" >&2
        grep -E '^(==[0-9]+==ERROR|SUMMARY|Fatal error|.*Fatal error:|ALARM|==[0-9]+== ERROR: libFuzzer)' "$log" | head -5 >&2 || true
        failed+=("$target: ${artifact:-see $crashes/$target.log}")
    fi
done

echo
echo "== fuzz summary ($(( $(date +%s) - started ))s)"
printf '%s\n' "${summary[@]}"
if [ "${#failed[@]}" -gt 0 ]; then
    echo "fuzz: ${#failed[@]} target(s) failed; reproduce with .build-fuzz/release/<target> <file>:" >&2
    printf '  %s\n' "${failed[@]}" >&2
    exit 1
fi
echo "fuzz: no crash, hang or leak."
