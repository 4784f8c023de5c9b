// `tint detect VIDEO`: objects found in every frame, drawn into an H.264 copy of the video (the source's sound and
// subtitles copied untouched), and written as JSON lines (one line per frame) and as MOTChallenge text; with tracking,
// each object keeps an identity across frames (ByteTrack, track/byte_tracker.h), drawn with its label.
//
// Files (every one written under a temporary name and renamed once the whole video is done: an error or Ctrl-C leaves
// none of them, and earlier files of those names untouched):
//   video:      the frames with the boxes drawn ("#3 person 0.93" with tracking);
//   JSON lines: {"frame": n (from 1), "pts": in the stream's time base, "time": seconds, "detections": [{"class",
//               "class_id", "score", "x1", "y1", "x2", "y2", and "id" with tracking}, ...]} per line;
//   MOT:        MOTChallenge's results text, "frame,id,x,y,w,h,score,-1,-1,-1" per box (id -1 without tracking, as
//               MOTChallenge's detection files have it), frames from 1.
// Memory does not grow with the video's length: each frame's results are written as they come.
#pragma once

#include <cstdint>
#include <filesystem>

#include "tint/core/settings.h"
#include "tint/detect/detector.h"
#include "tint/track/byte_tracker.h"
#include "tint/video/transcode.h"
#include "tint/video/video_settings.h"

namespace tint::media {

struct VideoDetectOptions {
  detect::DetectOptions detect;
  bool track = false;
  track::ByteTrackSettings tracking;  // frame_rate is taken from the video
  video::VideoWriteOptions write;
};

// --track, --track-thresh, --track-buffer.
const SettingsTable<VideoDetectOptions>& video_detect_settings();

struct VideoDetectFiles {
  std::filesystem::path video, json_lines, mot;
};

struct VideoDetectSummary {
  int64_t frames = 0;
  int64_t boxes = 0;             // detections drawn over all frames (tracked objects with tracking)
  int tracks = 0;                // identities given (0 without tracking)
  video::TranscodeStats stages;  // the rate, and the time each stage took (the change: detecting and drawing)
};

// Throws tint::Error naming the file at fault; tint::Interrupted on Ctrl-C (nothing written).
VideoDetectSummary detect_video(const detect::Detector& detector, const std::filesystem::path& input,
                                const VideoDetectFiles& files, const VideoDetectOptions& options,
                                const video::FrameProgress& progress = {});

}  // namespace tint::media
