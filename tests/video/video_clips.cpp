#include "video_clips.h"

#include <cstdlib>
#include <sstream>

#include <fmt/core.h>
#include <gtest/gtest.h>
#include <torch/torch.h>
#include <nlohmann/json.hpp>

#include "tint/core/atomic_file.h"

namespace tint::test::video {
namespace fs = std::filesystem;

Missing missing_ffmpeg() {
  const bool found = std::system("ffmpeg -version >/dev/null 2>&1 && ffprobe -version >/dev/null 2>&1") == 0;
  return missing_tool(found, "ffmpeg and ffprobe (apt-get install ffmpeg; scripts/deps.sh test installs it)");
}

std::string checked(const std::string& command) {
  const CommandResult r = run_command(command);
  EXPECT_EQ(r.exit_code, 0) << command << "\n" << r.err;
  return r.out;
}

void make_clip(const fs::path& path) {
  const fs::path subtitles = path.parent_path() / (path.stem().string() + ".srt");
  write_file_atomic(subtitles,
                    "1\n00:00:00,200 --> 00:00:00,900\nfirst line\n\n2\n00:00:01,000 --> 00:00:01,800\nsecond line\n");
  const bool mp4 = path.extension() == ".mp4";
  checked(
      fmt::format("ffmpeg -v error -y -f lavfi -i testsrc=size=64x48:rate=10:duration=2 "
                  "-f lavfi -i sine=frequency=440:sample_rate=44100:duration=2 "
                  "-f lavfi -i sine=frequency=880:sample_rate=22050:duration=2 -i {} "
                  "-map 0:v -map 1:a -map 2:a -map 3:s -vf \"select='not(eq(n\\,3)+eq(n\\,7)+eq(n\\,8))'\" -vsync vfr "
                  "-c:v libx264 -preset ultrafast -pix_fmt yuv420p -c:a aac -c:s {} -metadata title='tint test clip' "
                  "-metadata:s:a:1 language=fra {}",
                  shell_quote(subtitles.string()), mp4 ? "mov_text" : "srt", shell_quote(path.string())));
}

std::vector<std::string> packet_hashes(const fs::path& path, const std::string& selector) {
  const std::string out =
      checked(fmt::format("ffprobe -v error -select_streams {} -show_packets -show_data_hash sha256 "
                          "-show_entries packet=pts,dts,duration,data_hash -of csv=p=0 {}",
                          selector, shell_quote(path.string())));
  std::vector<std::string> lines;
  std::istringstream in(out);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) lines.push_back(line);
  }
  return lines;
}

std::vector<TimedPacket> timed_packets(const fs::path& path, const std::string& selector) {
  // JSON: a packet's side data (AAC's skip samples) would break a CSV line.
  const auto listed =
      nlohmann::json::parse(checked(fmt::format("ffprobe -v error -select_streams {} -show_packets -show_data_hash "
                                                "sha256 -show_entries packet=pts_time,data_hash "
                                                "-of json {}",
                                                selector, shell_quote(path.string()))));
  std::vector<TimedPacket> packets;
  for (const auto& packet : listed.at("packets")) {
    packets.push_back({packet.at("data_hash").get<std::string>(), std::stod(packet.at("pts_time").get<std::string>())});
  }
  return packets;
}

std::string video_codec(const fs::path& path) {
  std::string out =
      checked(fmt::format("ffprobe -v error -select_streams v:0 -show_entries stream=codec_name -of csv=p=0 {}",
                          shell_quote(path.string())));
  while (!out.empty() && (out.back() == '\n' || out.back() == ',')) out.pop_back();
  return out;
}

torch::Tensor ffmpeg_frames(const fs::path& path, int64_t width, int64_t height) {
  const std::string raw =
      checked(fmt::format("ffmpeg -v error -i {} -map 0:v:0 -fps_mode passthrough -f rawvideo -pix_fmt rgb24 -",
                          shell_quote(path.string())));
  const int64_t frame_bytes = width * height * 3;
  EXPECT_EQ(raw.size() % frame_bytes, 0u);
  const int64_t n = static_cast<int64_t>(raw.size()) / frame_bytes;
  auto frames = torch::empty({n, height, width, 3}, torch::kUInt8);
  std::memcpy(frames.data_ptr<uint8_t>(), raw.data(), static_cast<size_t>(n * frame_bytes));
  return frames.permute({0, 3, 1, 2}).contiguous();  // (N, 3, H, W)
}

}  // namespace tint::test::video
