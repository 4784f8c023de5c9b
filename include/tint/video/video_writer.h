// Writing a video: frames (tint's images) encoded as H.264 by libx264, into the container the output's name says
// (.mp4, .mkv, .mov), beside every audio and subtitle stream of the source video copied packet for packet (nothing
// re-encoded: the bytes of each packet as the source stores them, timestamps rescaled to the output's time base),
// with the frames' own timestamps (variable frame rate kept) and the metadata the container can hold. The file is
// written under a temporary name in the output's folder and renamed at finish(): a writer destroyed before (an
// error, an interrupt) leaves nothing behind, and an earlier file of that name untouched.
//
// Memory stays bounded: the source's other packets are written as the reader meets them (FFmpeg's interleaving
// holds them only until the encoder's packets of the same time arrive, the encoder's look-ahead of frames).
//
// Threads: write() may run on another thread than the source's next() (video::transcode overlaps them); the packets
// both put into the container are serialized here. finish() wants the source idle.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>

#include <torch/types.h>

#include "tint/video/video_reader.h"
#include "tint/video/video_settings.h"

namespace tint::video {

class VideoWriter {
 public:
  // Prepares `path` for the frames of `source` (the same size: VideoInfo's, upright) and copies its audio and
  // subtitle streams; from now on the packets of those streams that `source` reads go to this writer. Throws
  // tint::Error naming `path` when its container is unknown, lacks H.264, or cannot hold a copied stream.
  VideoWriter(const std::filesystem::path& path, VideoReader& source, const VideoWriteOptions& options = {});
  ~VideoWriter();
  VideoWriter(const VideoWriter&) = delete;
  VideoWriter& operator=(const VideoWriter&) = delete;

  // Encodes `image` ((3, H, W) uint8 RGB at the source's size) shown at `pts` (the source's video time base;
  // increasing).
  void write(const torch::Tensor& image, int64_t pts);

  // Flushes the encoder, copies the source's packets not read yet (to its end), writes the trailer and publishes
  // the file under its name. Returns the number of frames written.
  int64_t finish();

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

// The container an output gets by default: the input's (.mp4, .mkv, .mov) where it holds H.264 and the copied
// streams, else Matroska (.webm holds only VP8/VP9/AV1; .avi keeps no timestamps of its own): the extension, dot
// included.
std::string default_video_extension(const std::filesystem::path& input);

// True for the names tint reads as videos: .mp4, .mkv, .webm, .mov, .avi (any case).
bool is_video_name(const std::filesystem::path& path);

}  // namespace tint::video
