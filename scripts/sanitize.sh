#!/usr/bin/env bash
# Builds tint with AddressSanitizer + UndefinedBehaviorSanitizer (-DTINT_SANITIZE=ON) in a separate build directory
# and runs the whole test suite there. Any sanitizer report fails the test that triggered it (halt_on_error), and the
# CLI tests run the instrumented binary. Extra arguments go to ctest (e.g. -R Cifar, -L cli).
# Environment: TINT_SANITIZE_BUILD_DIR (default ./build-asan), TINT_CONFIGURE_ONLY=1 (install and configure, then stop). docs/reliability.md records the last full run.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${TINT_SANITIZE_BUILD_DIR:-$root/build-asan}"
"$root/scripts/deps.sh" test
if [[ ! -f "$build/CMakeCache.txt" ]]; then
  cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTINT_SANITIZE=ON -DTINT_BUILD_BENCH=OFF >/dev/null
fi
[[ "${TINT_CONFIGURE_ONLY:-0}" == 1 ]] && exit 0
cmake --build "$build" -j "$(nproc)"
# Leak detection stays on (LeakSanitizer runs at every exit) and needs no suppressions: LibTorch's long-lived
# allocations are still reachable at exit.
export ASAN_OPTIONS="${ASAN_OPTIONS:-halt_on_error=1:strict_init_order=1}"
# scripts/ubsan.supp names the findings inside LibTorch's headers (each with why), nothing of tint's.
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1:suppressions=$root/scripts/ubsan.supp}"
cd "$build"
# The one documentation command that runs a benchmark binary (bench/detect_compare.py) is left out: benchmarks are
# not built here, since timings under the sanitizers say nothing.
if [[ $# -eq 0 ]]; then set -- -E 'OpenCvAndDetectionData'; fi
ctest --output-on-failure -j "$(nproc)" "$@"
