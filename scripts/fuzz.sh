#!/usr/bin/env bash
# Builds tint's libFuzzer harnesses (fuzz/) with clang-14 in a separate build directory and runs each one for a
# bounded time from its committed seed corpus (fuzz/corpus/<name>/) and the inputs that once failed
# (fuzz/regressions/, replayed under the sanitizers every run). Exits non-zero if any harness finds a crash,
# a sanitizer report or an exception other than tint::Error; the input is saved as <build>/artifacts/<name>/crash-*.
#
# Usage: scripts/fuzz.sh [SECONDS_PER_HARNESS (default 30)] [HARNESS ...]   harnesses: cifar10 palette_json ab_bins_json
#        config_json image detection_labels coco_json darknet checkpoint metrics_csv video (default: all). Environment:
#        TINT_FUZZ_BUILD_DIR (default ./build-fuzz), TINT_FUZZ_JOBS (build and run parallelism, default nproc),
#        TINT_FUZZ_SEED (libFuzzer's -seed, default 1 so that CI runs repeat; 0 = a random seed each run),
#        TINT_CONFIGURE_ONLY=1 (install and configure, then stop). Installs the `fuzz` package group of scripts/deps.sh
#        when missing.
# Replay one input: <build>/fuzz/fuzz_<name> <file>
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${TINT_FUZZ_BUILD_DIR:-$root/build-fuzz}"
seconds="${1:-30}"
shift || true
harnesses=("$@")
[[ ${#harnesses[@]} -gt 0 ]] || harnesses=(cifar10 palette_json ab_bins_json config_json image detection_labels coco_json darknet checkpoint metrics_csv video)

"$root/scripts/deps.sh" fuzz
if [[ ! -f "$build/CMakeCache.txt" ]]; then
  CC=clang-14 CXX=clang++-14 cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTINT_FUZZ=ON \
    -DTINT_BUILD_TESTS=OFF -DTINT_BUILD_BENCH=OFF >/dev/null
fi
[[ "${TINT_CONFIGURE_ONLY:-0}" == 1 ]] && exit 0
targets=()
for h in "${harnesses[@]}"; do targets+=("fuzz_$h"); done
cmake --build "$build" -j "${TINT_FUZZ_JOBS:-$(nproc)}" --target "${targets[@]}"

# LibTorch is not instrumented and keeps allocations alive until exit; leak checks would report those, not tint's.
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=0}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
jobs="${TINT_FUZZ_JOBS:-$(nproc)}"

# One harness: runs it, then prints its summary line. Exit status: the fuzzer's.
run_one() {
  local h="$1" work="$build/corpus/$1" artifacts="$build/artifacts/$1" log="$build/fuzz_$1.log" rc=0
  mkdir -p "$work" "$artifacts"  # the work corpus grows with what the fuzzer finds; the committed seeds stay as they are
  OMP_NUM_THREADS=1 "$build/fuzz/fuzz_$h" -max_total_time="$seconds" -timeout=20 -rss_limit_mb=4096 \
    -seed="${TINT_FUZZ_SEED:-1}" -print_final_stats=1 -artifact_prefix="$artifacts/" "$work" "$root/fuzz/corpus/$h" "$root/fuzz/regressions" >"$log" 2>&1 || rc=$?
  local runs cov
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || true)
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*' || true)
  printf '%-14s %10s executions in %ss, coverage %s edges, corpus %s files, exit %s\n' "$h" "${runs:-?}" \
    "$seconds" "${cov:-?}" "$(ls "$work" | wc -l)" "$rc" >"$build/fuzz_$h.summary"
  if [[ $rc -ne 0 ]]; then
    echo "fuzz_$h FAILED (exit $rc); log: $log; inputs: $artifacts" >&2
    grep -E 'ERROR|SUMMARY|runtime error|terminate|what\(\)' "$log" | head -5 >&2 || true
  fi
  return $rc
}

echo "== fuzzing ${harnesses[*]}: ${seconds} s each, $jobs at a time"
status=0
pids=()
for h in "${harnesses[@]}"; do
  run_one "$h" &
  pids+=($!)
  if [[ ${#pids[@]} -ge $jobs ]]; then
    wait "${pids[0]}" || status=1
    pids=("${pids[@]:1}")
  fi
done
for pid in "${pids[@]}"; do wait "$pid" || status=1; done
echo "== summary"
for h in "${harnesses[@]}"; do cat "$build/fuzz_$h.summary"; done
exit $status
