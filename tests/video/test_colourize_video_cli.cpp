// `tint colourize VIDEO` end to end (the built binary): every frame colourized as a photo is, the frames' times kept,
// both audio streams and the subtitle stream copied packet for packet, H.264 out; -o and --out-dir name the output.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "support/test_support.h"
#include "tint/video/video_reader.h"
#include "video_clips.h"

namespace tint {
namespace {
namespace fs = std::filesystem;
namespace clips = test::video;

std::vector<int64_t> pts_of(const fs::path& path) {
  video::VideoReader reader(path);
  std::vector<int64_t> pts;
  while (auto frame = reader.next()) pts.push_back(frame->pts);
  return pts;
}

TEST(ColourizeVideo, EveryFrameColourizedWithTheSoundCopied) {
  TINT_SKIP_IF_MISSING(clips::missing_ffmpeg());
  test::TempDir dir("tint-video-cli");
  const fs::path in = dir / "clip.mp4", out = dir / "colour.mp4";
  clips::make_clip(in);
  // A grey clip, as old footage is: what comes out must have colour in it.
  const fs::path grey = dir / "grey.mp4";
  clips::checked("ffmpeg -v error -i " + test::shell_quote(in.string()) +
                 " -map 0 -c copy -c:v libx264 -preset ultrafast -vf hue=s=0 -fps_mode passthrough " +
                 test::shell_quote(grey.string()));

  const auto r = test::run_tint("colourize " + test::shell_quote(grey.string()) + " -o " +
                                test::shell_quote(out.string()) + " --preset ultrafast --crf 20");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("(17 frames, "), std::string::npos) << r.out;
  // Where the time went, per stage (video::TranscodeStats, tested in test_transcode.cpp).
  EXPECT_NE(r.out.find(" frames/s; per frame: reading "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(" ms, colourizing "), std::string::npos) << r.out;
  EXPECT_EQ(pts_of(out), pts_of(grey));
  EXPECT_EQ(clips::video_codec(out), "h264");
  for (const std::string stream : {"a:0", "a:1", "s:0"}) {
    EXPECT_EQ(clips::packet_hashes(out, stream), clips::packet_hashes(grey, stream)) << stream;
  }
  video::VideoReader reader(out);
  const auto frame = reader.next()->image.to(torch::kFloat);  // (3, H, W)
  // Chroma: how far R, G and B stand apart; a grey frame's do not (beyond the codec's rounding).
  const float spread = (frame.amax(0) - frame.amin(0)).mean().item<float>();
  EXPECT_GT(spread, 4.0f);

  // --out-dir: NAME_colourized with the input's container; a .webm input becomes .mkv.
  const auto second = test::run_tint("colourize " + test::shell_quote(grey.string()) + " --out-dir " +
                                     test::shell_quote((dir / "out").string()) + " --preset ultrafast");
  ASSERT_EQ(second.exit_code, 0) << second.err;
  EXPECT_TRUE(fs::exists(dir / "out" / "grey_colourized.mp4"));
}

TEST(ColourizeVideo, BadInputsAndFlagsAreOneLineErrors) {
  test::TempDir dir("tint-video-cli");
  test::write_bytes(dir / "notes.mp4", "not a video\n");
  const auto r = test::run_tint("colourize " + test::shell_quote((dir / "notes.mp4").string()) + " -o " +
                                test::shell_quote((dir / "out.mp4").string()));
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find((dir / "notes.mp4").string() + ": not a video FFmpeg can read"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(dir / "out.mp4"));
  const auto crf = test::run_tint("colourize " + test::shell_quote((dir / "notes.mp4").string()) + " --crf 52");
  EXPECT_EQ(crf.exit_code, 2);
  EXPECT_NE(crf.err.find("--crf must be in 0..51, got 52"), std::string::npos) << crf.err;
  EXPECT_EQ(test::count_lines(crf.err), 1u) << crf.err;
}

}  // namespace
}  // namespace tint
