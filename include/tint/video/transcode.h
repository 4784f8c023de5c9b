// One pass over a video: every frame read (VideoReader), changed by the caller (a colourizer, a detector's drawing),
// and written (VideoWriter) with the source's audio and subtitle streams copied untouched. The three stages overlap,
// each on a thread of its own, with at most two frames queued between two stages: memory does not grow with the
// video's length. An interrupt (SIGINT / SIGTERM, core/interrupt.h) is honoured between
// frames: the output's temporary file is removed, nothing is published, and tint::Interrupted says so.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>

#include <torch/types.h>

#include "tint/video/video_reader.h"
#include "tint/video/video_settings.h"

namespace tint::video {

// The frame read ((3, H, W) uint8 with its time) in, (3, H, W) uint8 out, the same size.
using FrameChange = std::function<torch::Tensor(const VideoFrame& frame)>;
// Frames done and the container's declared frame count (0 when it declares none), after each frame.
using FrameProgress = std::function<void(int64_t done, int64_t declared_total)>;

// Where a pass's time went. The stages overlap, so the slowest one sets the rate: its busy time per frame is about
// the wall clock's.
struct TranscodeStats {
  int64_t frames = 0;    // written
  double seconds = 0.0;  // wall clock, from opening the input to publishing the output
  // Seconds each stage spent working, waits for the other stages left out: demuxing, decoding and the conversion to
  // RGB; the caller's change; the conversion to YUV, encoding (the encoder's flush at the end included) and muxing.
  double reading = 0.0, changing = 0.0, writing = 0.0;

  double frames_per_second() const { return seconds > 0.0 ? static_cast<double>(frames) / seconds : 0.0; }
  // "15.1 frames/s; per frame: reading 9.8 ms, colourizing 28.0 ms, writing 55.1 ms", the change named `changing`.
  std::string describe(const std::string& changing_name) const;
};

// Throws tint::Error naming the file at fault (input or output); the first failure of any stage, the others stopped.
TranscodeStats transcode(const std::filesystem::path& input, const std::filesystem::path& output,
                         const VideoWriteOptions& options, const FrameChange& change,
                         const FrameProgress& progress = {});

}  // namespace tint::video
