#!/usr/bin/env bash
# Builds tint with AddressSanitizer + UndefinedBehaviorSanitizer (-DTINT_SANITIZE=ON) in a separate build directory
# and runs the whole test suite there. Any sanitizer report fails the test that triggered it (halt_on_error), and the
# CLI tests run the instrumented binary. Extra arguments go to ctest (e.g. -R Cifar, -L cli).
# Environment: TINT_SANITIZE_BUILD_DIR (default ./build-asan). docs/reliability.md records the last full run.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${TINT_SANITIZE_BUILD_DIR:-$root/build-asan}"
"$root/scripts/deps.sh"
if [[ ! -f "$build/CMakeCache.txt" ]]; then
  cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTINT_SANITIZE=ON -DTINT_BUILD_BENCH=OFF >/dev/null
fi
cmake --build "$build" -j "$(nproc)"
# LibTorch and libgomp are not instrumented and keep allocations alive for the life of the process (thread pools,
# kernel caches); the suppressions name those libraries only, so a leak in tint's own code is still reported.
export ASAN_OPTIONS="${ASAN_OPTIONS:-halt_on_error=1:abort_on_error=0:detect_stack_use_after_return=0:strict_init_order=1}"
export LSAN_OPTIONS="${LSAN_OPTIONS:-suppressions=$root/scripts/lsan.supp:print_suppressions=0}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}"
cd "$build"
ctest --output-on-failure -j "$(nproc)" "$@"
