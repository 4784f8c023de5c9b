#include "tint/video/video_settings.h"

namespace tint::video {

// A settings table reads as one row per setting: clang-format would break every row whose accessor is a
// lambda onto several lines.
// clang-format off
const SettingsTable<VideoWriteOptions>& video_write_settings() {
  using C = VideoWriteOptions;
  static const SettingsTable<C> table{
      integer<C, int>("crf", "crf", [](C& c) -> int& { return c.crf; }, 0, 51,
                      "H.264 quality of the video written (x264's constant rate factor: 0 lossless, 17 visually "
                      "lossless, 51 worst)"),
      choice<C>("preset", "preset", [](C& c) -> std::string& { return c.preset; },
                {"ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow", "slower", "veryslow",
                 "placebo"},
                "x264's speed preset: slower makes a smaller file of the same quality"),
  };
  return table;
}
// clang-format on

}  // namespace tint::video
