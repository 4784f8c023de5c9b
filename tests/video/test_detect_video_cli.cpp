// `tint detect VIDEO` end to end (the built binary, the embedded Yolo-Fastest 1.1): the frames' times kept, both audio
// streams and the subtitle stream copied packet for packet, a JSON line per frame, MOTChallenge text; with --track,
// the identities stay with the people of a pan over bus.jpg; a damaged input leaves none of the outputs.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <fstream>
#include <map>
#include <set>

#include <nlohmann/json.hpp>

#include "support/test_support.h"
#include "tint/track/mot_format.h"
#include "tint/video/video_reader.h"
#include "video_clips.h"

namespace tint {
namespace {
namespace fs = std::filesystem;
namespace clips = test::video;

std::vector<nlohmann::json> json_lines(const fs::path& path) {
  std::ifstream in(path);
  std::vector<nlohmann::json> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(nlohmann::json::parse(line));
  return lines;
}

TEST(DetectVideo, FramesTimesSoundJsonLinesAndMotText) {
  TINT_SKIP_IF_MISSING(clips::missing_ffmpeg());
  test::TempDir dir("tint-detect-video");
  const fs::path in = dir / "clip.mp4";
  clips::make_clip(in);
  const auto r = test::run_tint("detect " + test::shell_quote(in.string()) + " --out-dir " +
                                test::shell_quote((dir / "out").string()) + " --preset ultrafast --conf 0.01");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("17 frames"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(" ms, detecting "), std::string::npos) << r.out;
  const fs::path out = dir / "out" / "clip_detections.mp4";
  EXPECT_EQ(clips::video_codec(out), "h264");
  for (const std::string stream : {"a:0", "a:1", "s:0"}) {
    EXPECT_EQ(clips::packet_hashes(out, stream), clips::packet_hashes(in, stream)) << stream;
  }
  video::VideoReader source(in), written(out);
  const auto lines = json_lines(dir / "out" / "clip_detections.jsonl");
  ASSERT_EQ(lines.size(), 17u);
  int64_t boxes = 0;
  for (size_t i = 0; i < lines.size(); ++i) {
    const auto a = source.next();
    const auto b = written.next();
    ASSERT_TRUE(a && b);
    EXPECT_EQ(a->pts, b->pts);
    EXPECT_EQ(lines[i]["frame"].get<int64_t>(), int64_t(i) + 1);
    EXPECT_EQ(lines[i]["pts"].get<int64_t>(), a->pts);
    EXPECT_DOUBLE_EQ(lines[i]["time"].get<double>(), a->seconds);
    boxes += int64_t(lines[i]["detections"].size());
  }
  EXPECT_FALSE(written.next().has_value());
  // MOTChallenge's detection text: the same boxes, id -1 (no tracking), frames from 1.
  const auto rows = track::read_mot(dir / "out" / "clip_detections.mot.txt");
  EXPECT_EQ(int64_t(rows.size()), boxes);
  for (const auto& row : rows) EXPECT_EQ(row.id, -1);
}

TEST(DetectVideo, TrackedIdentitiesStayWithThePeopleOfAPan) {
  TINT_SKIP_IF_MISSING(clips::missing_ffmpeg());
  TINT_SKIP_WITHOUT_DETECTION_DATA(data, "samples/bus.jpg");
  test::TempDir dir("tint-detect-video");
  // 3 s at 10 frames/s: a 480x360 window panning 90 pixels right over bus.jpg shrunk to 640 wide (its people and the
  // bus move left by 3 pixels a frame).
  const fs::path pan = dir / "pan.mp4";
  clips::checked("ffmpeg -v error -loop 1 -i " + test::shell_quote((data / "samples" / "bus.jpg").string()) +
                 " -vf \"scale=640:-2,crop=480:360:x='30*t':y=40,format=yuv420p\" -t 3 -r 10 -c:v libx264 "
                 "-preset ultrafast -crf 18 " +
                 test::shell_quote(pan.string()));
  const auto r = test::run_tint("detect " + test::shell_quote(pan.string()) + " --track --out-dir " +
                                test::shell_quote(dir.path().string()) + " --preset ultrafast");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto lines = json_lines(dir / "pan_detections.jsonl");
  ASSERT_EQ(lines.size(), 30u);
  // Each identity: its class, the frames it is seen in, its box's centre in the first and last of them.
  struct Seen {
    std::string name;
    int frames = 0;
    double first_x = 0, last_x = 0;
  };
  std::map<int, Seen> ids;
  for (const auto& line : lines) {
    for (const auto& d : line["detections"]) {
      auto& seen = ids[d["id"].get<int>()];
      const double x = (d["x1"].get<double>() + d["x2"].get<double>()) / 2;
      if (seen.frames++ == 0) seen.first_x = x;
      seen.last_x = x;
      seen.name = d["class"].get<std::string>();
    }
  }
  // The people in the window from the first frame to the last keep one identity each: an identity seen in at least
  // 27 of the 30 frames, moving left by about the pan's 87 pixels.
  int people = 0;
  for (const auto& [id, seen] : ids) {
    if (seen.name != "person" || seen.frames < 27) continue;
    ++people;
    EXPECT_NEAR(seen.first_x - seen.last_x, 87.0, 15.0) << "id " << id;
  }
  EXPECT_GE(people, 2) << r.out;
  // And no identity churn: few identities in all (the people, the bus, a stray one at most each).
  EXPECT_LE(ids.size(), 6u) << r.out;
  const auto rows = track::read_mot(dir / "pan_detections.mot.txt");
  std::set<int> mot_ids;
  for (const auto& row : rows) mot_ids.insert(row.id);
  EXPECT_EQ(mot_ids.size(), ids.size());
}

TEST(DetectVideo, ADamagedVideoLeavesNoneOfTheOutputs) {
  TINT_SKIP_IF_MISSING(clips::missing_ffmpeg());
  test::TempDir dir("tint-detect-video");
  const fs::path whole = dir / "whole.mkv", cut = dir / "cut.mkv";
  clips::make_clip(whole);
  std::ifstream in(whole, std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  test::write_bytes(cut, bytes.substr(0, bytes.size() * 2 / 3));
  const auto r = test::run_tint("detect " + test::shell_quote(cut.string()) + " --track --out-dir " +
                                test::shell_quote((dir / "out").string()) + " --preset ultrafast");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find(cut.string() + ": truncated"), std::string::npos) << r.err;
  EXPECT_TRUE(fs::is_empty(dir / "out")) << "outputs or temporary files left";
}

}  // namespace
}  // namespace tint
