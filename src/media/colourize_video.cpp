#include "tint/media/colourize_video.h"

#include "tint/core/error.h"

namespace tint::media {

VideoColourizeSummary colourize_video(const colourize::Colourizer& colourizer, const std::filesystem::path& input,
                                      const std::filesystem::path& output, const VideoColourizeOptions& options,
                                      const video::FrameProgress& progress) {
  if (options.colourize.side_by_side) throw Error("--side-by-side applies to photos, not to video frames");
  colourize::TemporalSmoother smoother(options.temporal);
  VideoColourizeSummary summary;
  summary.stages = video::transcode(
      input, output, options.write,
      [&](const video::VideoFrame& frame) {
        const auto prediction = smoother.smooth(colourizer.predict(frame.image, options.colourize));
        return colourizer.colourize_bytes(frame.image, prediction, options.colourize);
      },
      progress);
  summary.frames = summary.stages.frames;
  summary.cuts = smoother.cuts();
  return summary;
}

}  // namespace tint::media
