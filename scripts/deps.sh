#!/usr/bin/env bash
# Installs the Debian 12 packages tint needs, only when one is missing (idempotent, non-interactive).
# Arguments name extra packages (scripts/fuzz.sh adds clang-14 and libclang-rt-14-dev).
set -euo pipefail
packages=(
  cmake g++ make pkg-config
  libtorch-dev libopenblas0-openmp   # without OpenBLAS, LibTorch falls back to the reference BLAS (~10x slower)
  libcli11-dev nlohmann-json3-dev libfmt-dev libstb-dev
  gnuplot-nox
  googletest libgtest-dev libbenchmark-dev
  chromium                           # headless browser for the `tint report` page test (ctest -L browser)
 "$@"
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
((${#missing[@]} == 0)) && exit 0
echo "tint: installing ${missing[*]}" >&2
sudo=""
if [[ $(id -u) -ne 0 ]]; then
  command -v sudo >/dev/null || { echo "tint: need root (or sudo) to install: ${missing[*]}" >&2; exit 1; }
  sudo="sudo"
fi
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
