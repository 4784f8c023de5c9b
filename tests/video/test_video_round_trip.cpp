// Reading and writing video (src/video/): a clip with two audio streams and a subtitle stream, made by FFmpeg's CLI,
// read by VideoReader and written by VideoWriter, comes out with the same frames' timestamps (a variable frame rate),
// every audio and subtitle packet byte for byte (ffprobe's SHA-256 of each packet, with its timestamps), H.264 video,
// its metadata, and nothing else left in the folder.
#include <algorithm>

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "support/test_support.h"
#include "tint/core/error.h"
#include "tint/video/video_reader.h"
#include "tint/video/video_writer.h"
#include "video_clips.h"

namespace tint {
namespace {
namespace fs = std::filesystem;
namespace clips = test::video;

struct Timestamps {
  std::vector<int64_t> pts;
  int64_t num = 0, den = 1;
};

Timestamps timestamps_of(const fs::path& path) {
  video::VideoReader reader(path);
  Timestamps t{{}, reader.info().time_base_num, reader.info().time_base_den};
  while (auto frame = reader.next()) t.pts.push_back(frame->pts);
  return t;
}

// a's i-th time equals b's, exactly: pts_a * num_a / den_a == pts_b * num_b / den_b, cross-multiplied.
void expect_same_times(const Timestamps& a, const Timestamps& b) {
  ASSERT_EQ(a.pts.size(), b.pts.size());
  for (size_t i = 0; i < a.pts.size(); ++i) {
    EXPECT_EQ(a.pts[i] * a.num * b.den, b.pts[i] * b.num * a.den) << "frame " << i;
  }
}

void round_trip(const std::string& extension) {
  TINT_SKIP_IF_MISSING(clips::missing_ffmpeg());
  test::TempDir dir("tint-video");
  const fs::path in = dir / ("clip" + extension), out = dir / ("out" + extension);
  clips::make_clip(in);

  int64_t written = 0;
  {
    video::VideoReader reader(in);
    video::VideoWriter writer(out, reader, video::VideoWriteOptions{18, "ultrafast"});
    while (auto frame = reader.next()) writer.write(frame->image, frame->pts);
    written = writer.finish();
  }
  const Timestamps before = timestamps_of(in), after = timestamps_of(out);
  EXPECT_EQ(written, 17);
  ASSERT_EQ(before.pts.size(), 17u);  // 20 frames, 3 dropped by make_clip
  // The clip's frame rate varies (frames 3, 7 and 8 dropped): the test sees a gap of two and of three frames.
  EXPECT_NE(before.pts[3] - before.pts[2], before.pts[1] - before.pts[0]);
  expect_same_times(before, after);

  EXPECT_EQ(clips::video_codec(out), "h264");
  for (const std::string stream : {"a:0", "a:1", "s:0"}) {
    const auto expected = clips::packet_hashes(in, stream), got = clips::packet_hashes(out, stream);
    EXPECT_GE(expected.size(), stream == "s:0" ? 2u : 40u) << stream;
    EXPECT_EQ(got, expected) << stream << " of " << out;
  }
  const std::string tags = clips::checked(
      "ffprobe -v error -show_entries format_tags=title:stream_tags=language "
      "-of csv=p=0 " +
      test::shell_quote(out.string()));
  EXPECT_NE(tags.find("tint test clip"), std::string::npos) << tags;
  EXPECT_NE(tags.find("fra"), std::string::npos) << tags;

  // Published under its name: no temporary file left beside it.
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(dir.path())) names.push_back(entry.path().filename().string());
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"clip" + extension, "clip.srt", "out" + extension}));
}

TEST(VideoRoundTrip, Mp4KeepsFramesTimestampsAndEveryAudioAndSubtitlePacket) { round_trip(".mp4"); }

TEST(VideoRoundTrip, MatroskaKeepsFramesTimestampsAndEveryAudioAndSubtitlePacket) { round_trip(".mkv"); }

// Into another container: the packets' bytes stay, their timestamps change unit (MP4's 1/44100 and 1/22050 to
// Matroska's 1/1000) and so keep their times within the coarser unit's rounding, all shifted alike: Matroska holds
// no negative time, and the AAC streams start before 0 (their encoder's priming), so its muxer moves the whole file
// later by the earliest stream's lead (as FFmpeg's CLI does), which keeps every stream in sync. MP4's mov_text
// subtitles have no place in Matroska: refused, naming the stream.
TEST(VideoRoundTrip, Mp4ToMatroskaRescalesTheCopiedPacketsTimestamps) {
  TINT_SKIP_IF_MISSING(clips::missing_ffmpeg());
  test::TempDir dir("tint-video");
  clips::make_clip(dir / "clip.mp4");
  {
    video::VideoReader reader(dir / "clip.mp4");
    const std::string refused = test::error_of([&] { video::VideoWriter w(dir / "out.mkv", reader); });
    EXPECT_NE(refused.find(": a .mkv file cannot hold stream #3 of "), std::string::npos) << refused;
    EXPECT_NE(refused.find("(subtitle mov_text)"), std::string::npos) << refused;
  }
  const fs::path in = dir / "sound.mp4", out = dir / "out.mkv";
  clips::checked("ffmpeg -v error -i " + test::shell_quote((dir / "clip.mp4").string()) +
                 " -map 0:v -map 0:a -c copy " + test::shell_quote(in.string()));
  video::VideoReader reader(in);
  video::VideoWriter writer(out, reader, video::VideoWriteOptions{18, "ultrafast"});
  while (auto frame = reader.next()) writer.write(frame->image, frame->pts);
  EXPECT_EQ(writer.finish(), 17);
  const Timestamps before = timestamps_of(in), after = timestamps_of(out);
  ASSERT_EQ(after.pts.size(), before.pts.size());
  auto seconds = [](const Timestamps& t, size_t i) { return static_cast<double>(t.pts[i]) * t.num / t.den; };
  // The shift: the earliest audio packet's lead before 0, 1024 samples at 22.05 kHz, in whole milliseconds.
  const double shift = seconds(after, 0) - seconds(before, 0);
  EXPECT_NEAR(shift, 0.046, 0.0006);
  for (size_t i = 0; i < before.pts.size(); ++i) {
    EXPECT_NEAR(seconds(after, i), seconds(before, i) + shift, 0.0006) << "frame " << i;
  }
  for (const std::string stream : {"a:0", "a:1"}) {
    const auto expected = clips::timed_packets(in, stream), got = clips::timed_packets(out, stream);
    ASSERT_EQ(got.size(), expected.size()) << stream;
    ASSERT_GE(expected.size(), 40u) << stream;
    for (size_t i = 0; i < got.size(); ++i) {
      EXPECT_EQ(got[i].hash, expected[i].hash) << stream << " packet " << i;
      EXPECT_NEAR(got[i].seconds, expected[i].seconds + shift, 0.0006) << stream << " packet " << i;
    }
  }
}

TEST(VideoWriter, UnfinishedLeavesNothingAndAnEarlierFileUntouched) {
  TINT_SKIP_IF_MISSING(clips::missing_ffmpeg());
  test::TempDir dir("tint-video");
  const fs::path in = dir / "clip.mp4", out = dir / "out.mp4";
  clips::make_clip(in);
  test::write_bytes(out, "an earlier output");
  const auto before = test::read_tree(dir.path());
  {
    video::VideoReader reader(in);
    video::VideoWriter writer(out, reader);
    for (int i = 0; i < 5; ++i) {
      const auto frame = reader.next();
      writer.write(frame->image, frame->pts);
    }
    // Destroyed here without finish(): as an error or Ctrl-C would leave it.
  }
  test::expect_same_files(before, test::read_tree(dir.path()));
}

TEST(VideoWriter, RefusesAContainerWithoutH264AndAWrongFrame) {
  TINT_SKIP_IF_MISSING(clips::missing_ffmpeg());
  test::TempDir dir("tint-video");
  const fs::path in = dir / "clip.mp4";
  clips::make_clip(in);
  video::VideoReader reader(in);
  const std::string webm = test::error_of([&] { video::VideoWriter refused(dir / "out.webm", reader); });
  EXPECT_EQ(webm, (dir / "out.webm").string() + ": a .webm file cannot hold H.264 video (write .mp4, .mkv or .mov)");
  video::VideoWriter writer(dir / "out.mp4", reader);
  const std::string wrong = test::error_of([&] { writer.write(torch::zeros({3, 10, 10}, torch::kUInt8), 0); });
  EXPECT_NE(wrong.find("a frame must be (3, 48, 64) uint8"), std::string::npos) << wrong;
  EXPECT_EQ(test::count_lines(wrong + "\n"), 1u);
}

TEST(VideoFiles, NamesAndDefaultContainers) {
  EXPECT_TRUE(video::is_video_name("a/b.MP4"));
  EXPECT_TRUE(video::is_video_name("b.webm"));
  EXPECT_FALSE(video::is_video_name("b.jpg"));
  EXPECT_EQ(video::default_video_extension("x.mkv"), ".mkv");
  EXPECT_EQ(video::default_video_extension("x.MP4"), ".mp4");
  EXPECT_EQ(video::default_video_extension("x.webm"), ".mkv");
  EXPECT_EQ(video::default_video_extension("x.avi"), ".mkv");
}

}  // namespace
}  // namespace tint
