// Text on images, as detection labels need it: FreeType renders each glyph (hinted, 8-bit antialiased coverage) and
// the coverage is alpha-blended onto the image; fontconfig finds the font (Debian: fonts-dejavu-core). One line of
// UTF-8, no kerning, no shaping (labels are class names and scores).
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include <torch/types.h>

#include "tint/report/draw.h"

namespace tint::report {

// The label font: DejaVu Sans Bold, which Debian's fonts-dejavu-core installs; any sans-serif when it is absent.
inline constexpr const char* kLabelFontPattern = "DejaVu Sans:bold";
inline constexpr const char* kFallbackFontPattern = "sans-serif";

// Pixel sizes a Font accepts (FreeType's pixel size: the em square, in pixels).
inline constexpr int kMinTextPixelSize = 1;
inline constexpr int kMaxTextPixelSize = 1024;

// What a string covers when drawn at a pixel size, in whole pixels. The text's box is `width` x (ascent + descent)
// with the baseline `ascent` rows below its top; every pixel the text touches lies inside it.
struct TextExtent {
  int advance = 0;  // where the pen stops: the sum of the glyphs' advances (FreeType's, hinted: whole pixels)
  int width = 0;    // columns covered: the advance, widened where a glyph's ink reaches past either end
  int ascent = 0;   // rows above the baseline: the font's ascender, or more where a glyph rises higher
  int descent = 0;  // rows below the baseline: the font's descender, or more where a glyph reaches lower
  int height() const { return ascent + descent; }
};

// A scalable font face opened with FreeType. Copies share the face. Thread-safe: a FreeType face may be used by one
// thread at a time, so every measure and draw holds the face's mutex (labels are small; they serialise briefly).
class Font {
 public:
  // The font in `file` (TrueType, OpenType, ...: what FreeType opens), face 0. Throws tint::Error naming the file
  // when FreeType cannot open it or the face has no outlines (a bitmap-only font).
  explicit Font(const std::filesystem::path& file);

  // The font fontconfig chooses for `pattern` (fontconfig syntax: "DejaVu Sans:bold"), else for
  // kFallbackFontPattern. Throws tint::Error naming both patterns when neither matches a scalable font file.
  static Font find(const std::string& pattern = kLabelFontPattern);

  const std::filesystem::path& file() const;
  std::string family() const;  // as the font names itself, e.g. "DejaVu Sans"
  std::string style() const;   // e.g. "Bold"

  // Throw tint::Error for a pixel size outside [kMinTextPixelSize, kMaxTextPixelSize]. Bytes that are not UTF-8
  // are drawn as U+FFFD; characters the font lacks as its missing-glyph box.
  TextExtent measure(std::string_view utf8, int pixel_size) const;

  // Draws `utf8` in `colour` on `image` (check_drawable: (3, H, W) uint8, in place), the top-left corner of its
  // measured box at (x, y), blending by FreeType's antialiased coverage; clipped to the image.
  void draw(const torch::Tensor& image, std::string_view utf8, int64_t x, int64_t y, int pixel_size, Rgb colour) const;

 private:
  struct Face;
  std::shared_ptr<Face> face_;
};

// The label font (Font::find(kLabelFontPattern)), looked up once per process on first use and then shared.
// Throws what Font::find throws; a later call tries again.
const Font& label_font();

}  // namespace tint::report
