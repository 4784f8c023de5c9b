// `tint colourize VIDEO`: every frame colourized as a photo is (its own lightness, the network's chroma), the chroma
// carried from frame to frame where the picture is still (colourize/temporal.h), written as H.264 beside the
// source's sound and subtitles copied untouched (video/transcode.h). Frame at a time: memory does not grow with the
// video's length.
#pragma once

#include <cstdint>
#include <filesystem>

#include "tint/colourize/colourizer.h"
#include "tint/colourize/temporal.h"
#include "tint/video/transcode.h"
#include "tint/video/video_settings.h"

namespace tint::media {

struct VideoColourizeOptions {
  colourize::ColourizeOptions colourize;  // side_by_side is refused (a video keeps its size)
  colourize::TemporalOptions temporal;
  video::VideoWriteOptions write;
};

struct VideoColourizeSummary {
  int64_t frames = 0;
  int64_t cuts = 0;              // scene cuts met (the smoothing started afresh)
  video::TranscodeStats stages;  // the rate, and the time each stage took (the change: colourizing)
};

// Throws tint::Error naming the file at fault; tint::Interrupted on Ctrl-C (nothing written).
VideoColourizeSummary colourize_video(const colourize::Colourizer& colourizer, const std::filesystem::path& input,
                                      const std::filesystem::path& output, const VideoColourizeOptions& options,
                                      const video::FrameProgress& progress = {});

}  // namespace tint::media
