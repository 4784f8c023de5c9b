// libFuzzer harness: arbitrary bytes as a video file through tint::video::VideoReader, opened and read frame by frame
// as `tint colourize VIDEO` and `tint detect VIDEO` read them. Unreadable input must end in tint::Error; every frame
// read must be (3, H, W) uint8 with the size the reader announced (rotation applied), and the rotation a quarter turn.
// The demuxers and decoders are Debian's FFmpeg 5.1 (fuzzed upstream by OSS-Fuzz); what this harness instruments and
// explores is tint's side: the open and stream checks, the packet loop (other streams' packets, the end-of-input
// flush, the truncation check against the declared duration), the frame conversion to RGB and the rotation.
//
// Each input is read from memory (VideoBytes: FFmpeg reads and seeks through the reader's own I/O callbacks, which this
// explores too; the name has no extension, so no demuxer is picked by it). Bounds, so that a run measures tint rather
// than a codec's appetite:
// at most kMaxFrames frames per input, and frames of at most kMaxPixels (a header may declare any size, which
// FFmpeg allows up to about 2^28 pixels; reading such frames is the decoder's cost, not a tint path).
#include <cstddef>
#include <cstdint>
#include <string>

#include <torch/torch.h>

#include "tint/core/error.h"
#include "tint/video/video_reader.h"

namespace {
constexpr int kMaxFrames = 16;
constexpr int64_t kMaxPixels = int64_t{1} << 20;
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    tint::video::VideoReader reader(
        tint::video::VideoBytes{std::string(reinterpret_cast<const char*>(data), size), "fuzz-input"});
    const auto& info = reader.info();
    if (info.width <= 0 || info.height <= 0) __builtin_trap();  // the reader refuses a stream without a size
    if (info.rotation != 0 && info.rotation != 90 && info.rotation != 180 && info.rotation != 270) __builtin_trap();
    if (info.width * info.height > kMaxPixels) return 0;
    for (int i = 0; i < kMaxFrames; ++i) {
      const auto frame = reader.next();
      if (!frame) break;
      const auto& image = frame->image;
      if (image.dim() != 3 || image.size(0) != 3 || image.size(1) != info.height || image.size(2) != info.width ||
          image.scalar_type() != torch::kUInt8 || !image.is_contiguous()) {
        __builtin_trap();
      }
    }
  } catch (const tint::Error&) {}
  return 0;
}
