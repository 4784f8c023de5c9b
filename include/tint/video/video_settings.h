// How tint encodes the video it writes (H.264 through libx264), as one settings table (core/settings.h): --crf and
// --preset are declared once, with their ranges and help, for every command that writes video.
#pragma once

#include <string>

#include "tint/core/settings.h"

namespace tint::video {

struct VideoWriteOptions {
  // x264's constant rate factor: 0 lossless, 51 worst. 17-18 is the usual "visually lossless" (x264's and FFmpeg's
  // H.264 guides): the default, since the frames come out of a network once and a person then watches them.
  int crf = 17;
  std::string preset = "medium";  // x264's speed/size trade: the same quality at every preset, smaller when slower
};

// --crf (0..51), --preset (ultrafast..placebo), in that order.
const SettingsTable<VideoWriteOptions>& video_write_settings();

}  // namespace tint::video
