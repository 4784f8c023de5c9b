// The reader's state, shared with the writer of the same layer (video_writer.cpp), which copies the packets of the
// streams other than the video one as the reader meets them.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "ffmpeg.h"
#include "tint/video/video_reader.h"

namespace tint::video {

struct VideoReader::Impl {
  std::filesystem::path path;  // or the name a video in memory goes by in errors
  VideoInfo info;
  // A video in memory (VideoBytes): its bytes and FFmpeg's reading position, then the I/O context reading them, both
  // declared before `input` so that they outlive it.
  struct Memory {
    std::string bytes;
    int64_t position = 0;
  };
  std::unique_ptr<Memory> memory;
  ffmpeg::Io io;
  ffmpeg::Input input;
  AVStream* stream = nullptr;  // the video stream, owned by `input`
  ffmpeg::Codec decoder;
  ffmpeg::Packet packet = ffmpeg::new_packet();
  ffmpeg::Frame frame = ffmpeg::new_frame();
  ffmpeg::Scaler scaler;
  int scaler_width = 0, scaler_height = 0, scaler_format = -1;
  int64_t stored_width = 0, stored_height = 0;  // before the rotation: what every frame is scaled to
  std::vector<uint8_t> packed;                  // a frame as sws_scale writes RGB: (stored_height, stored_width, 3)
  bool end_of_input = false;                    // the demuxer is exhausted and the decoder told so
  int64_t last_pts = AV_NOPTS_VALUE;            // of the last video packet read, for messages
  int64_t video_end = AV_NOPTS_VALUE;           // the latest pts + duration of the video packets read

  // Set by a VideoWriter: receives every packet of another stream, in file order; the packet is unreferenced after.
  std::function<void(AVPacket*)> other_packet;

  // Opens the container (`prepared`: a context with custom I/O, or nullptr to open `path`), finds the video stream
  // and opens its decoder; fills `info`.
  void open(AVFormatContext* prepared);
  // Reads one packet: decoder input for the video stream, `other_packet` for the rest. False at the end of input.
  bool read_packet();
  // Reads to the end, handing the other streams' packets on (what a writer needs after its last frame).
  void drain();
  // At the end of input: throws when the video stream ended well before the length its container declares for it
  // (a truncated download or copy, which FFmpeg's demuxers end quietly).
  void check_complete() const;
  [[noreturn]] void fail_at(const std::string& what, int code) const;
};

}  // namespace tint::video
