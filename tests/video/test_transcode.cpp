// The video pipeline (src/video/transcode.cpp): reading, the caller's change and writing overlap on three threads,
// and still every frame is changed once, in order, with the sound copied packet for packet; a failing change or an
// interrupt stops every stage and leaves nothing behind. Its parts: the bounded queue between stages
// (src/video/frame_queue.h) and the packed <-> planar copies its threads use instead of LibTorch's operators
// (src/video/pixel_layout.h), held to LibTorch's permute, transpose and flip.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <thread>

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "support/test_support.h"
#include "tint/core/error.h"
#include "tint/video/transcode.h"
#include "tint/video/video_reader.h"
#include "video/frame_queue.h"
#include "video/pixel_layout.h"
#include "video_clips.h"

namespace tint {
namespace {
namespace fs = std::filesystem;
namespace clips = test::video;
using namespace std::chrono_literals;

TEST(FrameQueue, HandsItemsOnInOrderAndEndsWhenClosed) {
  video::FrameQueue<int> queue(2);
  std::vector<int> got;
  std::thread consumer([&] {
    while (auto item = queue.pop()) got.push_back(*item);
  });
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(queue.push(i));
  queue.close();
  consumer.join();
  std::vector<int> expected(100);
  for (int i = 0; i < 100; ++i) expected[i] = i;
  EXPECT_EQ(got, expected);
  EXPECT_FALSE(queue.push(100)) << "a closed queue takes nothing more";
}

TEST(FrameQueue, AProducerWaitsForRoomAndAbortWakesBothSides) {
  video::FrameQueue<int> queue(2);
  ASSERT_TRUE(queue.push(0));
  ASSERT_TRUE(queue.push(1));
  std::atomic<int> pushed{0};
  std::atomic<bool> refused{false};
  std::thread producer([&] {
    if (queue.push(2)) {
      pushed = 1;
    } else {
      refused = true;
    }
  });
  std::this_thread::sleep_for(50ms);
  EXPECT_EQ(pushed.load(), 0) << "two items queued: the third waits";
  ASSERT_EQ(queue.pop(), 0);
  producer.join();
  EXPECT_EQ(pushed.load(), 1) << "a pop makes room";

  std::thread blocked([&] { refused = !queue.push(3); });  // full again (1, 2): waits
  std::this_thread::sleep_for(50ms);
  queue.abort();
  blocked.join();
  EXPECT_TRUE(refused.load());
  EXPECT_FALSE(queue.pop().has_value()) << "aborted: queued items are dropped";
}

TEST(FrameQueue, AConsumerWaitingOnAnEmptyQueueIsWokenByAbort) {
  video::FrameQueue<int> queue(1);
  std::atomic<bool> ended{false};
  std::thread consumer([&] { ended = !queue.pop().has_value(); });
  std::this_thread::sleep_for(20ms);
  queue.abort();
  consumer.join();
  EXPECT_TRUE(ended.load());
}

// LibTorch's rotation of a (3, H, W) image, as the reader once turned frames (transpose and flip).
torch::Tensor turned(const torch::Tensor& image, int clockwise) {
  if (clockwise == 90) return image.transpose(1, 2).flip({2});
  if (clockwise == 180) return image.flip({1, 2});
  if (clockwise == 270) return image.transpose(1, 2).flip({1});
  return image;
}

TEST(PixelLayout, PackedToPlanarTurnsAsLibTorchDoes) {
  torch::manual_seed(3);
  const auto packed = torch::randint(0, 256, {5, 7, 3}, torch::kUInt8);  // (H, W, 3), not square
  for (int clockwise : {0, 90, 180, 270}) {
    const bool quarter = clockwise == 90 || clockwise == 270;
    auto planar = torch::empty({3, quarter ? 7 : 5, quarter ? 5 : 7}, torch::kUInt8);
    video::packed_to_planar(packed.data_ptr<uint8_t>(), 5, 7, 7 * 3, clockwise, planar.data_ptr<uint8_t>());
    EXPECT_TRUE(torch::equal(planar, turned(packed.permute({2, 0, 1}), clockwise))) << clockwise << " degrees";
  }
}

TEST(PixelLayout, PackedRowsMayBePadded) {
  torch::manual_seed(5);
  const auto padded = torch::randint(0, 256, {4, 64}, torch::kUInt8);  // 4 rows of 64 bytes: 5 pixels and slack
  const auto packed = padded.narrow(1, 0, 15).reshape({4, 5, 3});
  for (int clockwise : {0, 90, 180, 270}) {
    const bool quarter = clockwise == 90 || clockwise == 270;
    auto planar = torch::empty({3, quarter ? 5 : 4, quarter ? 4 : 5}, torch::kUInt8);
    video::packed_to_planar(padded.data_ptr<uint8_t>(), 4, 5, 64, clockwise, planar.data_ptr<uint8_t>());
    EXPECT_TRUE(torch::equal(planar, turned(packed.permute({2, 0, 1}), clockwise))) << clockwise << " degrees";
  }
}

TEST(PixelLayout, PlanarToPackedIsLibTorchsPermute) {
  torch::manual_seed(4);
  const auto planar = torch::randint(0, 256, {3, 6, 9}, torch::kUInt8);
  auto packed = torch::empty({6, 9, 3}, torch::kUInt8);
  video::planar_to_packed(planar.data_ptr<uint8_t>(), 6, 9, packed.data_ptr<uint8_t>());
  EXPECT_TRUE(torch::equal(packed, planar.permute({1, 2, 0})));
}

TEST(Transcode, EveryFrameChangedOnceInOrderWithTheSoundCopied) {
  TINT_SKIP_IF_MISSING(clips::missing_ffmpeg());
  test::TempDir dir("tint-transcode");
  const fs::path in = dir / "clip.mkv", out = dir / "out.mkv";
  clips::make_clip(in);
  std::vector<int64_t> seen, expected;
  {
    video::VideoReader reader(in);
    while (auto frame = reader.next()) expected.push_back(frame->pts);
  }
  const auto caller = std::this_thread::get_id();
  int64_t progressed = 0;
  const auto stats = video::transcode(
      in, out, video::VideoWriteOptions{18, "ultrafast"},
      [&](const video::VideoFrame& frame) {
        EXPECT_EQ(std::this_thread::get_id(), caller) << "the change runs on the caller's thread";
        seen.push_back(frame.pts);
        return 255 - frame.image;  // the negative
      },
      [&](int64_t done, int64_t) { progressed = done; });
  EXPECT_EQ(stats.frames, 17);
  EXPECT_EQ(progressed, 17);
  EXPECT_EQ(seen, expected);
  for (const std::string stream : {"a:0", "a:1", "s:0"}) {
    EXPECT_EQ(clips::packet_hashes(out, stream), clips::packet_hashes(in, stream)) << stream;
  }
  // The frames written are the changed ones: the negative of the input, within the codec's loss.
  video::VideoReader original(in), changed(out);
  while (auto a = original.next()) {
    auto b = changed.next();
    ASSERT_TRUE(b.has_value());
    const auto error = (255 - a->image.to(torch::kInt) - b->image.to(torch::kInt)).abs().to(torch::kFloat).mean();
    EXPECT_LT(error.item<float>(), 6.0f) << "frame at pts " << a->pts;
  }
  EXPECT_FALSE(changed.next().has_value());
}

TEST(Transcode, StatsSayWhereTheTimeWent) {
  TINT_SKIP_IF_MISSING(clips::missing_ffmpeg());
  test::TempDir dir("tint-transcode");
  const fs::path in = dir / "clip.mp4", out = dir / "out.mp4";
  clips::make_clip(in);
  const auto began = std::chrono::steady_clock::now();
  const auto stats =
      video::transcode(in, out, video::VideoWriteOptions{18, "ultrafast"}, [](const video::VideoFrame& frame) {
        std::this_thread::sleep_for(20ms);  // a change of known cost
        return frame.image;
      });
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count();
  EXPECT_EQ(stats.frames, 17);
  EXPECT_GT(stats.seconds, 0.0);
  EXPECT_LE(stats.seconds, wall);
  EXPECT_GE(stats.changing, 17 * 0.020);
  EXPECT_GT(stats.reading, 0.0);
  EXPECT_GT(stats.writing, 0.0);
  // Each stage's busy time is within the wall clock: they overlap, they do not add up.
  for (double stage : {stats.reading, stats.changing, stats.writing}) EXPECT_LE(stage, stats.seconds);
  EXPECT_DOUBLE_EQ(stats.frames_per_second(), 17 / stats.seconds);

  video::TranscodeStats made;
  made.frames = 4;
  made.seconds = 2.0;
  made.reading = 0.1;
  made.changing = 0.2;
  made.writing = 1.8;
  EXPECT_EQ(made.describe("colourizing"),
            "2.0 frames/s; per frame: reading 25.0 ms, colourizing 50.0 ms, writing 450.0 ms");
  EXPECT_EQ(video::TranscodeStats{}.describe("detecting"),
            "0.0 frames/s; per frame: reading 0.0 ms, detecting 0.0 ms, writing 0.0 ms");
}

TEST(Transcode, AFailingChangeStopsEveryStageAndLeavesNothing) {
  TINT_SKIP_IF_MISSING(clips::missing_ffmpeg());
  test::TempDir dir("tint-transcode");
  const fs::path in = dir / "clip.mp4", out = dir / "out.mp4";
  clips::make_clip(in);
  const auto before = test::read_tree(dir.path());
  int changes = 0;
  try {
    video::transcode(in, out, video::VideoWriteOptions{18, "ultrafast"}, [&](const video::VideoFrame& frame) {
      if (++changes == 5) throw Error("the change failed at frame 5");
      return frame.image;
    });
    FAIL() << "expected the change's error";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "the change failed at frame 5");
  }
  EXPECT_EQ(changes, 5) << "no frame is changed after the failure";
  test::expect_same_files(before, test::read_tree(dir.path()));
}

TEST(Transcode, AWrongSizedChangeIsTheWritersOneLineErrorNamingTheOutput) {
  TINT_SKIP_IF_MISSING(clips::missing_ffmpeg());
  test::TempDir dir("tint-transcode");
  const fs::path in = dir / "clip.mp4", out = dir / "out.mp4";
  clips::make_clip(in);
  try {
    video::transcode(in, out, video::VideoWriteOptions{18, "ultrafast"},
                     [](const video::VideoFrame& frame) { return frame.image.narrow(2, 0, 10); });
    FAIL() << "expected the writer's error";
  } catch (const Error& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find(out.string() + ": a frame must be (3, 48, 64) uint8"), std::string::npos) << message;
  }
  EXPECT_FALSE(fs::exists(out));
}

}  // namespace
}  // namespace tint
