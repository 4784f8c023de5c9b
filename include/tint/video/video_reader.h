// Reading a video: demux and decode whatever FFmpeg's libraries read (mp4, mkv, webm, mov, avi; H.264, HEVC, VP9,
// AV1, MPEG-4...), one frame at a time, each as tint's image: (3, H, W) uint8 RGB, upright (the rotation in the
// stream's display matrix applied, as EXIF's orientation is for photos), with its timestamp as the file stores it
// (variable frame rate kept). Memory does not grow with the video's length: one decoded frame is held at a time.
//
// The video stream read is FFmpeg's "best" one; other video streams (a cover picture) are skipped. The packets of
// the other streams (audio, subtitles) can be handed, untouched, to a VideoWriter (video_writer.h) as they are read.
//
// Errors are tint::Error, one line naming the file: a missing file, a file that is not a video, and a corrupt or
// truncated stream, which names the timestamp where reading stopped (docs/video.md: an error, not a warning).
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include <torch/types.h>

namespace tint::video {

struct VideoInfo {
  int64_t width = 0, height = 0;  // of the frames as returned: upright, after the rotation
  int rotation = 0;  // degrees clockwise applied to the stored frames to show them upright: 0, 90, 180, 270
  int64_t time_base_num = 0, time_base_den = 1;  // the unit of a frame's pts, in seconds
  double frame_rate = 0.0;                       // FFmpeg's guess (a nominal rate; frames keep their own pts)
  int64_t frame_count = 0;                       // as the container declares it; 0 when it does not (count by reading)
  double duration = 0.0;                         // seconds, as the container declares it; 0 when unknown
  std::string codec;                             // the decoder's name: "h264"
  std::string container;                         // the demuxer's name: "mov,mp4,m4a,3gp,3g2,mj2", "matroska,webm"
};

struct VideoFrame {
  torch::Tensor image;  // (3, H, W) uint8 RGB, upright
  int64_t pts = 0;      // in the video stream's time base (VideoInfo::time_base_*)
  double seconds = 0.0;
};

class VideoWriter;

// A video held in memory (a download not yet on disk, a fuzzer's input), and the name its errors give it.
struct VideoBytes {
  std::string bytes;
  std::string name;
};

class VideoReader {
 public:
  // Opens `path` and its video stream's decoder. Throws tint::Error naming the file when it is missing, not a video,
  // or its codec cannot be decoded.
  explicit VideoReader(const std::filesystem::path& path);
  // The same, from bytes in memory (kept by the reader; FFmpeg reads and seeks in them as in a file): the same checks,
  // frames and errors, named `source.name`.
  explicit VideoReader(VideoBytes source);
  ~VideoReader();
  VideoReader(const VideoReader&) = delete;
  VideoReader& operator=(const VideoReader&) = delete;

  const VideoInfo& info() const;
  const std::filesystem::path& path() const;

  // The next frame in presentation order, or nullopt at the end. Throws tint::Error naming the file and the
  // timestamp when the stream is corrupt or truncated.
  std::optional<VideoFrame> next();

  struct Impl;

 private:
  friend class VideoWriter;
  std::unique_ptr<Impl> impl_;
};

}  // namespace tint::video
