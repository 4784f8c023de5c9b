#include "tint/media/detect_video.h"

#include <fstream>

#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include "tint/core/error.h"
#include "tint/core/pending_file.h"
#include "tint/detect/detection_json.h"
#include "tint/detect/draw_detections.h"
#include "tint/track/mot_format.h"
#include "tint/video/video_reader.h"

namespace tint::media {
namespace fs = std::filesystem;

namespace {

// A text file written line by line under its temporary name, published (renamed) only when the video is done.
class PendingText {
 public:
  explicit PendingText(const fs::path& destination) : file_(destination), out_(file_.temporary()) {
    if (!out_) throw Error(fmt::format("{}: cannot be written", destination.string()));
  }
  std::ofstream& out() { return out_; }
  void publish() {
    out_.close();
    if (out_.fail()) throw Error(fmt::format("{}: writing failed (disk full?)", file_.destination().string()));
    file_.publish();
  }

 private:
  PendingFile file_;
  std::ofstream out_;
};

}  // namespace

// A settings table reads as one row per setting: clang-format would break every row whose accessor is a
// lambda onto several lines.
// clang-format off
const SettingsTable<VideoDetectOptions>& video_detect_settings() {
  using C = VideoDetectOptions;
  static const SettingsTable<C> table{
      switch_flag<C>("track", "track", [](C& c) -> bool& { return c.track; },
                     "Videos: follow each object from frame to frame (ByteTrack) and show its identity (#3 person)"),
      real_between<C, float>("track-thresh", "track_thresh", [](C& c) -> float& { return c.tracking.track_thresh; },
                             0.0f, 1.0f,
                             "Videos, --track: a detection scoring this or more is matched first and may start a "
                             "track (add --conf 0.1 so that lower ones reach the second, low-score stage)"),
      integer<C, int>("track-buffer", "track_buffer", [](C& c) -> int& { return c.tracking.track_buffer; }, 1, 100000,
                      "Videos, --track: frames (at 30 frames/s; scaled by the video's rate) a lost object is kept "
                      "to be found again with its identity"),
  };
  return table;
}
// clang-format on

VideoDetectSummary detect_video(const detect::Detector& detector, const fs::path& input, const VideoDetectFiles& files,
                                const VideoDetectOptions& options, const video::FrameProgress& progress) {
  auto tracking = options.tracking;
  {
    const video::VideoReader probe(input);  // the frame rate, for the tracker's buffer of lost frames
    if (probe.info().frame_rate > 0) tracking.frame_rate = probe.info().frame_rate;
  }
  track::validate(tracking);
  track::ByteTracker tracker(tracking);
  PendingText json_lines(files.json_lines), mot(files.mot);
  VideoDetectSummary summary;
  int frame_number = 0;
  summary.stages = video::transcode(
      input, files.video, options.write,
      [&](const video::VideoFrame& frame) {
        ++frame_number;
        auto found = detector.detect(frame.image, options.detect);
        std::vector<int> ids;
        std::vector<track::MotRow> rows;
        if (options.track) {
          const auto objects = tracker.update(found);
          found.clear();
          for (const auto& o : objects) {
            found.push_back({o.box, o.class_id, o.score});
            ids.push_back(o.id);
          }
          rows = track::to_mot_rows(frame_number, objects);
        } else {
          for (const auto& d : found) rows.push_back({frame_number, -1, d.box, d.score});
        }
        nlohmann::json list = nlohmann::json::array();
        for (size_t i = 0; i < found.size(); ++i) {
          auto j = detect::detection_json(found[i], detector.names());
          if (options.track) j["id"] = ids[i];
          list.push_back(std::move(j));
        }
        json_lines.out() << nlohmann::json{{"frame", frame_number},
                                           {"pts", frame.pts},
                                           {"time", frame.seconds},
                                           {"detections", std::move(list)}}
                                .dump()
                         << '\n';
        track::write_mot(mot.out(), rows);
        summary.boxes += static_cast<int64_t>(found.size());
        detect::DrawOptions draw;
        draw.ids = &ids;
        return detect::draw_detections(frame.image, found, detector.names(), draw);
      },
      progress);
  json_lines.publish();
  mot.publish();
  summary.frames = summary.stages.frames;
  summary.tracks = options.track ? tracker.identities() : 0;
  return summary;
}

}  // namespace tint::media
