// One pass over a video: every frame read (VideoReader), changed by the caller (a colourizer, a detector's drawing),
// and written (VideoWriter) with the source's audio and subtitle streams copied untouched. Frame at a time: memory
// does not grow with the video's length. An interrupt (SIGINT / SIGTERM, core/interrupt.h) is honoured between
// frames: the output's temporary file is removed, nothing is published, and tint::Interrupted says so.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>

#include <torch/types.h>

#include "tint/video/video_reader.h"
#include "tint/video/video_settings.h"

namespace tint::video {

// The frame read ((3, H, W) uint8 with its time) in, (3, H, W) uint8 out, the same size.
using FrameChange = std::function<torch::Tensor(const VideoFrame& frame)>;
// Frames done and the container's declared frame count (0 when it declares none), after each frame.
using FrameProgress = std::function<void(int64_t done, int64_t declared_total)>;

// Returns the number of frames written. Throws tint::Error naming the file at fault (input or output).
int64_t transcode(const std::filesystem::path& input, const std::filesystem::path& output,
                  const VideoWriteOptions& options, const FrameChange& change, const FrameProgress& progress = {});

}  // namespace tint::video
