#include "tint/video/transcode.h"

#include <fmt/core.h>

#include "tint/core/error.h"
#include "tint/core/interrupt.h"
#include "tint/video/video_reader.h"
#include "tint/video/video_writer.h"

namespace tint::video {

int64_t transcode(const std::filesystem::path& input, const std::filesystem::path& output,
                  const VideoWriteOptions& options, const FrameChange& change, const FrameProgress& progress) {
  VideoReader reader(input);
  VideoWriter writer(output, reader, options);
  int64_t done = 0;
  while (auto frame = reader.next()) {
    if (interrupt_requested()) {
      throw Interrupted(fmt::format("interrupted at frame {} of {}: {} was not written (nothing half-written is left)",
                                    done, input.string(), output.string()));
    }
    writer.write(change(*frame), frame->pts);
    ++done;
    if (progress) progress(done, reader.info().frame_count);
  }
  return writer.finish();
}

}  // namespace tint::video
