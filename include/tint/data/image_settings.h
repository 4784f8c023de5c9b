// The image-file settings of the commands that read people's photos and write pictures (`tint colourize`, `tint
// detect`) as one settings table (core/settings.h): --format, --quality and --max-pixels are declared once, with
// their ranges and help, and each command binds the table to its own defaults.
#pragma once

#include <string>

#include "tint/core/settings.h"
#include "tint/data/image_io.h"

namespace tint::data {

struct ImageFileOptions {
  ReadOptions read;
  WriteOptions write;
  std::string format = "png";  // of the files written to an output folder: "png" or "jpg"
};

// --format (png|jpg), --quality (JPEG quality 1..100), --max-pixels (1..2^40), in that order.
const SettingsTable<ImageFileOptions>& image_file_settings();

}  // namespace tint::data
