// VideoReader against FFmpeg's CLI: the frames it decodes are the CLI's own rgb24 decode (its autorotation
// included: a clip whose display matrix turns it comes out upright), and bad inputs are one-line errors naming the
// file: missing, not a video, truncated (naming the time where it stops).
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "support/test_support.h"
#include "tint/core/atomic_file.h"
#include "tint/core/error.h"
#include "tint/video/video_reader.h"
#include "video_clips.h"

namespace tint {
namespace {
namespace fs = std::filesystem;
namespace clips = test::video;

// Every frame of `path` as VideoReader decodes it, (N, 3, H, W).
torch::Tensor read_all(const fs::path& path) {
  video::VideoReader reader(path);
  std::vector<torch::Tensor> frames;
  while (auto frame = reader.next()) frames.push_back(frame->image);
  return torch::stack(frames);
}

void expect_as_ffmpeg_decodes(const fs::path& path) {
  const torch::Tensor ours = read_all(path);
  const torch::Tensor theirs = clips::ffmpeg_frames(path, ours.size(3), ours.size(2));
  ASSERT_EQ(ours.sizes(), theirs.sizes());
  // The same YUV -> RGB conversion (swscale, bicubic, the frame's matrix) as the CLI's scale filter: at most a
  // rounding step apart.
  const auto difference = (ours.to(torch::kInt32) - theirs.to(torch::kInt32)).abs();
  EXPECT_LE(difference.max().item<int>(), 1) << path;
  EXPECT_LT(difference.to(torch::kFloat).mean().item<float>(), 0.05f) << path;
}

TEST(VideoReader, FramesAreFfmpegsOwnDecode) {
  TINT_SKIP_IF_MISSING(clips::missing_ffmpeg());
  test::TempDir dir("tint-video");
  clips::make_clip(dir / "clip.mp4");
  video::VideoReader reader(dir / "clip.mp4");
  EXPECT_EQ(reader.info().width, 64);
  EXPECT_EQ(reader.info().height, 48);
  EXPECT_EQ(reader.info().rotation, 0);
  EXPECT_EQ(reader.info().codec, "h264");
  expect_as_ffmpeg_decodes(dir / "clip.mp4");
}

// Rows whose bytes are no multiple of swscale's vectors (540 pixels: 1,620 bytes) and a height with no slack after
// the last row: swscale's SIMD once wrote past the reader's buffer and corrupted the heap ("malloc(): corrupted top
// size") on such a clip, in `tint detect` and `tint colourize` alike. Each size read as FFmpeg's CLI decodes it,
// stored and quarter-turned.
TEST(VideoReader, FramesOfAnyWidthStayInTheirBuffers) {
  TINT_SKIP_IF_MISSING(clips::missing_ffmpeg());
  test::TempDir dir("tint-video");
  for (const std::string size : {"540x600", "38x30", "66x18"}) {
    const fs::path clip = dir / ("clip-" + size + ".mp4");
    clips::checked("ffmpeg -v error -f lavfi -i testsrc=size=" + size +
                   ":rate=10:duration=0.5 -c:v libx264 -preset ultrafast -pix_fmt yuv420p " +
                   test::shell_quote(clip.string()));
    expect_as_ffmpeg_decodes(clip);
    const fs::path turned = dir / ("turned-" + size + ".mp4");
    clips::checked("ffmpeg -v error -i " + test::shell_quote(clip.string()) +
                   " -map 0 -c copy -metadata:s:v rotate=90 " + test::shell_quote(turned.string()));
    expect_as_ffmpeg_decodes(turned);
  }
}

TEST(VideoReader, ARotatedClipComesOutUpright) {
  TINT_SKIP_IF_MISSING(clips::missing_ffmpeg());
  test::TempDir dir("tint-video");
  clips::make_clip(dir / "clip.mp4");
  // The same stream with a display matrix saying "turn it a quarter": the stored frames are 64x48.
  clips::checked("ffmpeg -v error -y -i " + test::shell_quote((dir / "clip.mp4").string()) +
                 " -map 0 -c copy -metadata:s:v rotate=90 " + test::shell_quote((dir / "rotated.mp4").string()));
  video::VideoReader reader(dir / "rotated.mp4");
  EXPECT_NE(reader.info().rotation, 0);
  EXPECT_EQ(reader.info().width, 48);
  EXPECT_EQ(reader.info().height, 64);
  const auto frame = reader.next();
  ASSERT_TRUE(frame.has_value());
  EXPECT_EQ(frame->image.sizes(), (std::vector<int64_t>{3, 64, 48}));
  expect_as_ffmpeg_decodes(dir / "rotated.mp4");
  // Upright is a turn of the stored picture, not a transpose or a flip of it.
  const torch::Tensor stored = read_all(dir / "clip.mp4")[0];
  const torch::Tensor shown = frame->image;
  const bool clockwise = torch::equal(shown, stored.transpose(1, 2).flip({2}));
  const bool counterclockwise = torch::equal(shown, stored.transpose(1, 2).flip({1}));
  EXPECT_TRUE(clockwise != counterclockwise);
}

// A video in memory reads as its file does: the same information, frames and timestamps; its errors name the name it
// was given, as a file's name the path.
TEST(VideoReader, AVideoInMemoryReadsAsItsFile) {
  TINT_SKIP_IF_MISSING(clips::missing_ffmpeg());
  test::TempDir dir("tint-video");
  for (const std::string name : {"clip.mp4", "clip.mkv"}) {
    // Far larger than the reader's 64 KiB block, so that FFmpeg seeks through the reader's callback: MP4's index
    // (moov) is written at the end, and the demuxer reads it first.
    const fs::path path = dir / name;
    clips::checked(
        "ffmpeg -v error -f lavfi -i testsrc=size=320x240:rate=25:duration=2 -f lavfi -i sine=duration=2 "
        "-c:v libx264 -preset ultrafast -crf 5 -c:a aac " +
        test::shell_quote(path.string()));
    const std::string bytes = read_file(path);
    ASSERT_GT(bytes.size(), 2u << 16) << name;
    video::VideoReader file(path), memory(video::VideoBytes{bytes, "in-memory " + name});
    EXPECT_EQ(memory.path(), fs::path("in-memory " + name));
    EXPECT_EQ(memory.info().width, file.info().width);
    EXPECT_EQ(memory.info().height, file.info().height);
    EXPECT_EQ(memory.info().frame_count, file.info().frame_count);
    EXPECT_EQ(memory.info().duration, file.info().duration);
    EXPECT_EQ(memory.info().container, file.info().container);
    int frames = 0;
    while (auto a = file.next()) {
      const auto b = memory.next();
      ASSERT_TRUE(b.has_value()) << name << " frame " << frames;
      EXPECT_EQ(b->pts, a->pts);
      EXPECT_TRUE(torch::equal(b->image, a->image)) << name << " frame " << frames;
      ++frames;
    }
    EXPECT_EQ(frames, 50);
    EXPECT_FALSE(memory.next().has_value());

    // Cut short in memory: the error the file would give, under the given name.
    const std::string half = bytes.substr(0, bytes.size() / 2);
    write_file_atomic(dir / ("half-" + name), half);
    std::string file_error, memory_error;
    try {
      video::VideoReader reader(dir / ("half-" + name));
      while (reader.next()) {}
    } catch (const Error& e) {
      file_error = e.what();
    }
    try {
      video::VideoReader reader(video::VideoBytes{half, "half"});
      while (reader.next()) {}
    } catch (const Error& e) {
      memory_error = e.what();
    }
    ASSERT_FALSE(file_error.empty()) << name;
    EXPECT_EQ(memory_error, "half" + file_error.substr((dir / ("half-" + name)).string().size())) << file_error;
  }
  try {
    video::VideoReader reader(video::VideoBytes{"not a video at all", "bytes"});
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()).rfind("bytes: not a video FFmpeg can read: ", 0), 0u) << e.what();
  }
}

TEST(VideoReader, ATruncatedFileIsAOneLineErrorNamingTheTime) {
  TINT_SKIP_IF_MISSING(clips::missing_ffmpeg());
  test::TempDir dir("tint-video");
  for (const std::string name : {"clip.mkv", "clip.mp4"}) {
    const fs::path whole = dir / name, cut = dir / ("cut-" + name);
    if (name == "clip.mp4") {
      // An MP4 whose index comes first (+faststart), as streamed files are: the index promises what the cut lacks.
      clips::make_clip(dir / "slow.mp4");
      clips::checked("ffmpeg -v error -y -i " + test::shell_quote((dir / "slow.mp4").string()) +
                     " -map 0 -c copy -movflags +faststart " + test::shell_quote(whole.string()));
    } else {
      clips::make_clip(whole);
    }
    const std::string bytes = read_file(whole);
    test::write_bytes(cut, bytes.substr(0, bytes.size() * 2 / 3));
    const std::string message = test::error_of([&] {
      video::VideoReader reader(cut);
      while (reader.next()) {}
    });
    EXPECT_EQ(message.rfind(cut.string() + ": truncated", 0), 0u) << message;
    EXPECT_NE(message.find(" s"), std::string::npos) << message;
    EXPECT_EQ(test::count_lines(message + "\n"), 1u) << message;
  }
}

TEST(VideoReader, AMissingFileOrNotAVideoIsAOneLineError) {
  test::TempDir dir("tint-video");
  EXPECT_EQ(test::error_of([&] { video::VideoReader r(dir / "none.mp4"); }),
            (dir / "none.mp4").string() + ": no such file");
  test::write_bytes(dir / "notes.mp4", "these are notes, not a video\n");
  const std::string message = test::error_of([&] { video::VideoReader r(dir / "notes.mp4"); });
  EXPECT_EQ(message.rfind((dir / "notes.mp4").string() + ": not a video FFmpeg can read: ", 0), 0u) << message;
  EXPECT_EQ(test::count_lines(message + "\n"), 1u) << message;
}

}  // namespace
}  // namespace tint
