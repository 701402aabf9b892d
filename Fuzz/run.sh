#!/usr/bin/env bash
# Runs fuzz targets built by `make fuzz-build` for SECONDS each and prints one summary line per target.
# usage: Fuzz/run.sh SECONDS TARGET...   (environment: FUZZ_DIR, FUZZ_TIMEOUT, FUZZ_JOBS, FUZZ_ARGS: more libFuzzer flags)
# Exit status 1 when any target found a crash, hang (> FUZZ_TIMEOUT s on one input) or sanitizer report;
# the input is in $FUZZ_DIR/findings/, the log in $FUZZ_DIR/logs/.
set -u
seconds=$1; shift
dir=${FUZZ_DIR:-.build-fuzz}
timeout=${FUZZ_TIMEOUT:-2}
jobs=${FUZZ_JOBS:-1}
bin=$dir/debug
mkdir -p "$dir/findings" "$dir/logs"
# Crashes go to libFuzzer (which saves the input), not to the Swift runtime's interactive backtracer.
export SWIFT_BACKTRACE=enable=no

max_len() {
    case $1 in
        FuzzGGUF) echo 65536 ;;
        FuzzTextDecoder|FuzzTextCleaner|FuzzRequestBody) echo 16384 ;;
        *) echo 4096 ;;
    esac
}

run() {
    local target=$1 log=$dir/logs/$1.log dict=()
    mkdir -p "$dir/corpus/$target"
    [ -f "Fuzz/$target.dict" ] && dict=(-dict="Fuzz/$target.dict")
    # The corpus directory comes first: libFuzzer adds what it finds there, so coverage carries over between runs.
    "$bin/$target" "$dir/corpus/$target" "$dir/seeds/$target" "${dict[@]}" \
        -max_total_time="$seconds" -timeout="$timeout" -rss_limit_mb=4096 -max_len="$(max_len "$target")" \
        -artifact_prefix="$dir/findings/$target-" -print_final_stats=1 -print_pcs=0 ${FUZZ_ARGS:-} >"$log" 2>&1
    echo $? >"$dir/logs/$target.status"
}

running=0
for target in "$@"; do
    [ -x "$bin/$target" ] || { echo "$bin/$target is missing: run make fuzz-build" >&2; exit 2; }
    echo "fuzzing $target for $seconds s (log: $dir/logs/$target.log)"
    run "$target" &
    running=$((running + 1))
    if [ "$running" -ge "$jobs" ]; then wait -n; running=$((running - 1)); fi
done
wait

failed=0
printf '%-16s %6s %12s %8s %8s %9s %s\n' target seconds executions exec/s cov features result
for target in "$@"; do
    log=$dir/logs/$target.log
    status=$(cat "$dir/logs/$target.status" 2>/dev/null || echo 1)
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
    slowest=$(sed -n 's/^stat::slowest_unit_time_sec: *//p' "$log" | tail -1)
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
    ft=$(grep -o 'ft: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
    if [ "$status" = 0 ]; then result="ok (slowest input ${slowest:-?} s)"; else result="FINDING (exit $status): see $log"; failed=1; fi
    printf '%-16s %6s %12s %8s %8s %9s %s\n' "$target" "$seconds" "${execs:-?}" "${rate:-?}" "${cov:-?}" "${ft:-?}" "$result"
done
exit $failed
