#!/usr/bin/env bash
# Measures a newcomer's first run, as the README promises it: in a fresh Debian 12 chroot, the README's two commands
# verbatim (`scripts/tint train`, then `scripts/test`), every line of their output stamped with the seconds since the
# first command started. Prints when the packages were in and configured (the build starts), when the first epoch
# started (tint's "training ..." line), when training ended, and how long `scripts/test` took.
#   scripts/measure-first-run.sh [--train-only]      # about 30 minutes on 2 cores; 6 with --train-only
# The full log is kept in /tmp/tint-first-run.log. Needs root and ../shared/tools/fresh-debian.sh; measures the
# committed HEAD: commit first.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
fresh="${TINT_FRESH_DEBIAN:-$root/../shared/tools/fresh-debian.sh}"
log=/tmp/tint-first-run.log
[[ -f "$fresh" ]] || { echo "measure-first-run: no $fresh" >&2; exit 1; }
[[ $(id -u) -eq 0 ]] || { echo "measure-first-run: needs root (debootstrap, chroot)" >&2; exit 1; }
test_cmd='scripts/test'
[[ "${1:-}" == --train-only ]] && test_cmd='true'

# Inside the chroot: each line gets "[seconds] "; a line "=== NAME" marks when each command ended.
bash "$fresh" "cd /root/tint && start=\$(date +%s) &&
  stamp() { while IFS= read -r line; do printf '[%5d] %s\n' \$((\$(date +%s) - start)) \"\$line\"; done; } &&
  { scripts/tint train 2>&1 | stamp; echo \"=== train rc=\${PIPESTATUS[0]}\" | stamp; } &&
  { $test_cmd 2>&1 | stamp; echo \"=== test rc=\${PIPESTATUS[0]}\" | stamp; }" "$root" | tee "$log"

at() {  # seconds of the first line matching $1, or "-"
  local s
  s=$(grep -m1 -E "^\[ *[0-9]+\] $1" "$log" | sed -E 's/^\[ *([0-9]+)\].*/\1/') || true
  echo "${s:--}"
}
packages=$(at '\[ *[0-9]+%\]')  # the first line of the build (scripts/build.sh keeps CMake's configure quiet)
epoch=$(at 'training ')
trained=$(at '=== train')
tested=$(at '=== test')
echo
echo "measure-first-run ($(nproc) cores, $(git -C "$root" rev-parse --short HEAD)):"
echo "  packages in, build starts:         ${packages} s"
echo "  first epoch starts:                ${epoch} s"
echo "  scripts/tint train done:           ${trained} s    ($(grep -m1 '=== train' "$log" | sed 's/.*=== //'))"
if [[ "$test_cmd" != true ]]; then
  echo "  scripts/test done:                 ${tested} s    ($(grep -m1 '=== test' "$log" | sed 's/.*=== //'))"
  [[ "$tested" != - && "$trained" != - ]] && echo "  scripts/test alone:                $((tested - trained)) s"
fi
grep -q '=== train rc=0' "$log" && { [[ "$test_cmd" == true ]] || grep -q '=== test rc=0' "$log"; }
