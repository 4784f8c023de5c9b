// Test material for the video tests, made at test time by FFmpeg's CLI (a test dependency: scripts/deps.sh test):
// short clips from lavfi's testsrc with two sine-tone audio streams and a subtitle stream, and what FFmpeg's own
// tools say about a file (its decoded frames, its packets' hashes), as the reference tint's reader and writer are
// held to.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <torch/types.h>

#include "support/test_support.h"

namespace tint::test::video {

// "ffmpeg and ffprobe (apt-get install ffmpeg; scripts/deps.sh test installs it)" when either is missing.
Missing missing_ffmpeg();

// Runs `command` (a /bin/sh line) and fails the test with its stderr unless it exits 0; returns its stdout.
std::string checked(const std::string& command);

// A 2-second 64x48 clip at `path` (.mp4 or .mkv): H.264 (x264) from testsrc at 10 frames/s with frames 3, 7 and 8
// dropped (a variable frame rate: 17 frames, gaps in their timestamps), AAC 440 Hz at 44.1 kHz, AAC 880 Hz at
// 22.05 kHz, and a subtitle stream (mov_text in MP4, SubRip in Matroska).
void make_clip(const std::filesystem::path& path);

// The packets of stream `selector` ("a:0", "s:0") as ffprobe lists them: one "pts,dts,duration,sha256" per packet.
std::vector<std::string> packet_hashes(const std::filesystem::path& path, const std::string& selector);

// The same packets as pairs of "sha256" and the pts in seconds, for files whose time bases differ (MP4's 1/44100
// against Matroska's 1/1000).
struct TimedPacket {
  std::string hash;
  double seconds = 0.0;
};
std::vector<TimedPacket> timed_packets(const std::filesystem::path& path, const std::string& selector);

// ffprobe's name of the codec of the file's first video stream ("h264").
std::string video_codec(const std::filesystem::path& path);

// The file's frames as FFmpeg's CLI decodes them (autorotated, rgb24, each frame once: no frame-rate conversion):
// (N, 3, H, W) uint8.
torch::Tensor ffmpeg_frames(const std::filesystem::path& path, int64_t width, int64_t height);

}  // namespace tint::test::video
