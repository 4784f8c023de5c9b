// Ctrl-C during `tint colourize VIDEO`: the command stops between frames with status 130, says it wrote nothing, and
// the folder holds what it held before (no output, no temporary file).
#include <chrono>
#include <csignal>
#include <thread>

#include <gtest/gtest.h>

#include "support/test_support.h"
#include "tint/core/atomic_file.h"
#include "video_clips.h"

namespace tint {
namespace {
namespace fs = std::filesystem;
namespace clips = test::video;

// Whether `dir` holds the writer's hidden temporary (".colour.mp4.tmp-..."): the video is being written.
bool writing(const fs::path& dir) {
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    if (entry.path().filename().string().rfind(".colour.mp4.tmp-", 0) == 0) return true;
  }
  return false;
}

TEST(ColourizeVideo, InterruptedLeavesNothingAndExits130) {
  TINT_SKIP_IF_MISSING(clips::missing_ffmpeg());
  test::TempDir tmp("tint-video-int");
  const fs::path dir = tmp / "work";
  fs::create_directories(dir);
  // 60 s at 10 frames/s: long enough to be caught mid-way.
  clips::checked(
      "ffmpeg -v error -f lavfi -i testsrc=size=160x120:rate=10:duration=60 -f lavfi -i sine=duration=60 "
      "-c:v libx264 -preset ultrafast -c:a aac " +
      test::shell_quote((dir / "long.mp4").string()));
  const auto before = test::read_tree(dir);
  test::TintProcess child({"colourize", (dir / "long.mp4").string(), "-o", (dir / "colour.mp4").string(), "--preset",
                           "ultrafast", "--threads", "1"},
                          tmp / "out", tmp / "err");
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (!writing(dir) && child.running() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ASSERT_TRUE(child.running()) << "it ended before it could be interrupted: " << read_file(tmp / "err");
  std::this_thread::sleep_for(std::chrono::milliseconds(200));  // some frames in
  child.signal(SIGINT);
  const auto end = child.wait();
  const std::string err = read_file(tmp / "err");
  EXPECT_TRUE(end.exited) << "killed by signal " << end.signal;
  EXPECT_EQ(end.exit_code, 130) << err;
  EXPECT_NE(err.find("interrupted at frame"), std::string::npos) << err;
  EXPECT_NE(err.find("was not written (nothing half-written is left)"), std::string::npos) << err;
  test::expect_same_files(before, test::read_tree(dir));
}

}  // namespace
}  // namespace tint
