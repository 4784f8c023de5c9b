#!/usr/bin/env bash
# Checks, in a fresh Debian 12 chroot, that the scripts install every package their builds need: each script
# (tint, test with its fuzz step, sanitize.sh) runs with TINT_CONFIGURE_ONLY=1, so it installs its package group and
# configures its build directory (Release, fuzz with clang-14, ASan/UBSan), then stops before compiling.
# A package missing from scripts/deps.sh fails here even on a machine that has it installed by hand.
# Costs a few minutes (debootstrap is cached in /tmp/fresh; the packages download every run). Needs root and
# ../shared/tools/fresh-debian.sh (CI has both); without them it says so and exits 0, unless TINT_REQUIRE_FRESH=1
# (.ci/run sets it): then it fails.
# It checks the committed HEAD: commit first.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
fresh="${TINT_FRESH_DEBIAN:-$root/../shared/tools/fresh-debian.sh}"
skip() {
  if [[ "${TINT_REQUIRE_FRESH:-0}" == 1 ]]; then
    echo "check-fresh-install: FAILED: cannot check: $1 (TINT_REQUIRE_FRESH=1, as .ci/run sets: CI must run it)" >&2
    exit 1
  fi
  echo "check-fresh-install: skipped: $1" >&2
  exit 0
}
[[ -x "$fresh" || -f "$fresh" ]] || skip "no $fresh"
[[ $(id -u) -eq 0 ]] || skip "needs root (debootstrap, chroot)"
start=$SECONDS
bash "$fresh" 'cd /root/tint && export TINT_CONFIGURE_ONLY=1 &&
  scripts/tint && scripts/test && scripts/sanitize.sh &&
  for b in build build-fuzz build-asan; do test -f $b/CMakeCache.txt || { echo "no $b/CMakeCache.txt" >&2; exit 1; }; done' \
  "$root"
echo "check-fresh-install: every build configures in a fresh Debian 12 ($((SECONDS - start)) s)"
