#!/usr/bin/env bash
# Installs the Debian 12 packages tint needs, only when one is missing (idempotent, non-interactive).
#   scripts/deps.sh [GROUP ...]     GROUP: build (default), test, fuzz, all
# Each group is what one script needs, so that `scripts/tint` does not pull in a browser or a second compiler:
#   build   compile and run the `tint` binary (scripts/tint)
#   test    + GoogleTest, Google Benchmark, headless Chromium for the report page test, OpenCV's Python module for the
#           detection and export tests, onnx's for the export tests, clang-format-14 for the layout check, FFmpeg's
#           CLI for the video tests (scripts/test, sanitize.sh)
#   fuzz    + clang-14 with libFuzzer and its OpenMP runtime headers (scripts/fuzz.sh)
# .ci/run installs `all` in a fresh Debian 12 chroot and configures every build, so a package missing here fails CI.
set -euo pipefail
build=(
  cmake g++ make pkg-config
  libtorch-dev libopenblas0-openmp   # without OpenBLAS, LibTorch falls back to the reference BLAS (~10x slower)
  libgloo-dev                        # Gloo's headers, for LibTorch's c10d ProcessGroupGloo (src/distributed/)
  libcli11-dev nlohmann-json3-dev libfmt-dev
  libjpeg62-turbo-dev libpng-dev libwebp-dev libexif-dev   # image codecs (src/data/*_codec.cpp)
  libpugixml-dev                     # Pascal VOC annotations (src/data/voc_xml.cpp)
  libfreetype-dev libfontconfig-dev fonts-dejavu-core   # labels drawn on detections (src/report/text.cpp)
  gnuplot-nox                        # training curves and sweep plots are drawn by gnuplot, run as a process
  libonnx-dev libprotobuf-dev        # tint export writes ONNX through libonnx's protobuf classes (src/export/)
  libavformat-dev libavcodec-dev libavutil-dev libswscale-dev   # video in and out (src/video/; H.264 by libx264)
)
# libstb-dev: only bench/bench_image_codecs.cpp, which times stb_image (tint's old decoder) against the codecs above.
# python3-opencv: the independent reader the darknet tests compare with (tests/detect/test_darknet_opencv.cpp), and
# that the ONNX export tests run the exported files in (tests/export/).
# python3-onnx: onnx's checker, the other independent reader of the exported files (tests/export/onnx_reference.py).
# python3: scripts/reproduce, which the reproduce tests run (tests/CMakeLists.txt).
# clang-format-14: scripts/format --check, a test of the suite (ctest -L format).
# ffmpeg: the video tests make their clips at test time with FFmpeg's CLI (nothing downloaded) and hold tint's reader
# and writer to what ffmpeg and ffprobe decode and list (tests/video/); espeak-ng: the spoken audio track of the
# clips the video commands' tests will use (issue 31).
test=(googletest libgtest-dev libbenchmark-dev chromium libstb-dev python3 python3-opencv python3-onnx clang-format-14
      ffmpeg espeak-ng)
# g++ finds OpenMP in libgomp; clang-14 needs LLVM's libomp headers and library (libomp-14-dev) for -fopenmp.
fuzz=(clang-14 libclang-rt-14-dev libomp-14-dev)

groups=("$@")
((${#groups[@]} > 0)) || groups=(build)
packages=()
for g in "${groups[@]}"; do
  case "$g" in
    build) packages+=("${build[@]}") ;;
    test)  packages+=("${build[@]}" "${test[@]}") ;;
    fuzz)  packages+=("${build[@]}" "${fuzz[@]}") ;;
    all)   packages+=("${build[@]}" "${test[@]}" "${fuzz[@]}") ;;
    *) echo "scripts/deps.sh: unknown group '$g' (expected build, test, fuzz or all)" >&2; exit 2 ;;
  esac
done
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
((${#missing[@]} == 0)) && exit 0
readarray -t missing < <(printf '%s\n' "${missing[@]}" | awk '!seen[$0]++')
echo "tint: installing ${missing[*]}" >&2
sudo=""
if [[ $(id -u) -ne 0 ]]; then
  command -v sudo >/dev/null || { echo "tint: need root (or sudo) to install: ${missing[*]}" >&2; exit 1; }
  sudo="sudo"
fi
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
