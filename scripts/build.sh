#!/usr/bin/env bash
# Configures and builds tint in ./build (Release).
#   scripts/build.sh [-DOPTION=VALUE ...] [cmake --build arguments, e.g. --target tint-cli]
# CMake runs when the build directory is new or when -D options are given (they are kept in its cache).
# TINT_CONFIGURE_ONLY=1 stops after configuring (.ci/run uses it to check a fresh install cheaply).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${TINT_BUILD_DIR:-$root/build}"
options=()
while [[ $# -gt 0 && "$1" == -D* ]]; do options+=("$1"); shift; done
if [[ ! -f "$build/CMakeCache.txt" || ${#options[@]} -gt 0 ]]; then
  cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release "${options[@]}" >/dev/null
fi
[[ "${TINT_CONFIGURE_ONLY:-0}" == 1 ]] && exit 0
cmake --build "$build" -j "$(nproc)" "$@"
