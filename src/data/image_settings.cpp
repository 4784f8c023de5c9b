#include "tint/data/image_settings.h"

#include <cstdint>

namespace tint::data {

// A settings table reads as one row per setting: clang-format would break every row whose accessor is a
// lambda onto several lines.
// clang-format off
const SettingsTable<ImageFileOptions>& image_file_settings() {
  using C = ImageFileOptions;
  static const SettingsTable<C> table{
      choice<C>("format", "format", [](C& c) -> std::string& { return c.format; }, {"png", "jpg"},
                "Format of the images written to --out-dir"),
      integer<C, int>("quality", "jpeg_quality", [](C& c) -> int& { return c.write.jpeg_quality; }, 1, 100,
                      "JPEG quality of .jpg outputs"),
      integer<C, int64_t>("max-pixels", "max_pixels", [](C& c) -> int64_t& { return c.read.max_pixels; }, 1,
                          int64_t{1} << 40,
                          "Refuse images with more pixels than this before decoding them (a decompression bomb's "
                          "header can declare 10^10)"),
  };
  return table;
}
// clang-format on

}  // namespace tint::data
