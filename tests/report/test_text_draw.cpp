// Drawing on images: rectangles against a brute-force reference, text against the font file's own metrics (read
// here from its tables, not through FreeType) and against what a drawing may touch.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cstdlib>
#include <fstream>
#include <random>
#include <string>
#include <thread>

#include "support/test_support.h"
#include "tint/core/atomic_file.h"
#include "tint/core/error.h"
#include "tint/report/draw.h"
#include "tint/report/text.h"

namespace tint::report {
namespace {
namespace text_draw_tests {

namespace fs = std::filesystem;

// The horizontal metrics of a TrueType font, read from its tables: 'head' (units per em), 'hhea' (how many hmtx
// entries), 'hmtx' (advance widths) and a format-4 'cmap' (characters to glyphs). OpenType spec, chapter 5.
class TrueTypeMetrics {
 public:
  explicit TrueTypeMetrics(const fs::path& file) : bytes_(read_file(file)) {
    const int tables = u16(4);
    for (int i = 0; i < tables; ++i) {
      const size_t record = 12 + size_t(i) * 16;
      tables_[bytes_.substr(record, 4)] = u32(record + 8);
    }
    units_per_em_ = u16(table("head") + 18);
    h_metrics_ = u16(table("hhea") + 34);
    const size_t cmap = table("cmap");
    for (int i = 0; i < u16(cmap + 2); ++i) {
      const size_t record = cmap + 4 + size_t(i) * 8;
      const size_t sub = cmap + u32(record + 4);
      if (u16(record) == 3 && u16(record + 2) == 1 && u16(sub) == 4) cmap4_ = sub;
    }
    if (cmap4_ == 0) throw std::runtime_error("no Windows Unicode BMP (format 4) cmap");
  }

  int units_per_em() const { return units_per_em_; }

  int glyph(char32_t c) const {
    const int segments = u16(cmap4_ + 6) / 2;
    const size_t ends = cmap4_ + 14, starts = ends + 2 * size_t(segments) + 2;
    const size_t deltas = starts + 2 * size_t(segments), range_offsets = deltas + 2 * size_t(segments);
    for (int s = 0; s < segments; ++s) {
      if (int(c) > u16(ends + 2 * size_t(s))) continue;
      const int start = u16(starts + 2 * size_t(s));
      if (int(c) < start) return 0;
      const int delta = u16(deltas + 2 * size_t(s));
      const size_t offset_at = range_offsets + 2 * size_t(s);
      const int offset = u16(offset_at);
      if (offset == 0) return (int(c) + delta) & 0xFFFF;
      const int g = u16(offset_at + size_t(offset) + 2 * size_t(int(c) - start));
      return g == 0 ? 0 : (g + delta) & 0xFFFF;
    }
    return 0;
  }

  // Advance width in font units (glyphs past the last hmtx entry share its advance).
  int advance_units(char32_t c) const {
    const int g = std::min(glyph(c), h_metrics_ - 1);
    return u16(table("hmtx") + 4 * size_t(g));
  }

  // The advance FreeType's hinted rendering gives at `pixel_size`: the font units scaled to 26.6 fixed point and
  // rounded (FT_MulFix by FT_DivFix(size * 64, units per em)), then rounded to whole pixels by the hinter.
  int advance_pixels(char32_t c, int pixel_size) const {
    const int64_t scale = (int64_t(pixel_size) * 64 * 65536 + units_per_em_ / 2) / units_per_em_;
    const int64_t fixed = (int64_t(advance_units(c)) * scale + 0x8000) >> 16;
    return int((fixed + 32) >> 6);
  }

 private:
  int u16(size_t at) const { return (int(uint8_t(bytes_.at(at))) << 8) | int(uint8_t(bytes_.at(at + 1))); }
  size_t u32(size_t at) const { return (size_t(u16(at)) << 16) | size_t(u16(at + 2)); }
  size_t table(const std::string& tag) const { return tables_.at(tag); }

  std::string bytes_;
  std::map<std::string, size_t> tables_;
  int units_per_em_ = 0, h_metrics_ = 0;
  size_t cmap4_ = 0;
};

const fs::path kDejaVuBold = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf";

torch::Tensor canvas(int64_t h, int64_t w, int value) { return torch::full({3, h, w}, value, torch::kUInt8); }

torch::Tensor noise(int64_t h, int64_t w, uint64_t seed) {
  torch::manual_seed(seed);
  return torch::randint(0, 256, {3, h, w}, torch::kUInt8);
}

// The pixels (any channel) where two images differ, as a (H, W) bool mask.
torch::Tensor changed(const torch::Tensor& a, const torch::Tensor& b) { return (a != b).any(0); }

TEST(Text, LabelFontIsDejaVuSansBoldFoundByFontconfig) {
  const Font& font = label_font();
  EXPECT_TRUE(fs::exists(font.file())) << font.file();
  EXPECT_EQ(&font, &label_font());  // looked up once
  TINT_SKIP_IF_MISSING(test::missing_files({kDejaVuBold},
                                           "fonts-dejavu-core is not installed (scripts/deps.sh "
                                           "does): the fallback font was used"));
  EXPECT_EQ(font.family(), "DejaVu Sans");
  EXPECT_EQ(font.style(), "Bold");
}

TEST(Text, AdvanceIsTheSumOfTheFontsOwnAdvanceWidths) {
  const Font& font = label_font();
  const TrueTypeMetrics metrics(font.file());
  for (int size : {7, 12, 21, 33, 49, 100}) {
    for (std::string text : {"", "a", "person 0.93", "bus 0.87", "traffic light 0.41", "WAVE", "0123456789",
                             "jiggly ~!@#$%^&*()_+{}|:<>?"}) {
      int expected = 0;
      for (char c : text) expected += metrics.advance_pixels(char32_t(c), size);
      const TextExtent e = font.measure(text, size);
      EXPECT_EQ(e.advance, expected) << '"' << text << "\" at " << size << " px";
      EXPECT_GE(e.width, e.advance);
      EXPECT_LE(e.width, e.advance + size / 4 + 1) << text;  // overhang: a fraction of a glyph, not more
      // The font's ascender and descender (DejaVu: 1901 and 483 units of 2048) or more.
      if (metrics.units_per_em() == 2048 && font.file() == kDejaVuBold) {
        EXPECT_GE(e.ascent, int(std::floor(size * 1901.0 / 2048))) << size;
        EXPECT_GE(e.descent, int(std::floor(size * 483.0 / 2048))) << size;
        EXPECT_LE(e.height(), int(std::ceil(size * (1901.0 + 483) / 2048)) + 2) << size;
      }
    }
  }
  // Longer strings are wider; a bigger size is wider.
  std::string text;
  int last = -1;
  for (char c : std::string("person 0.93")) {
    text += c;
    const int width = font.measure(text, 21).width;
    EXPECT_GT(width, last) << text;
    last = width;
  }
  EXPECT_LT(font.measure("person 0.93", 21).width, font.measure("person 0.93", 22).width);
}

// Every drawn pixel lies inside the measured box, and the box is not much bigger than the ink.
TEST(Text, DrawnPixelsLieInsideTheMeasuredBox) {
  const Font& font = label_font();
  for (const std::string text : {"person 0.93", "jAgy|", "\xC3\x85ngstr\xC3\xB6m", "W", "j"}) {
    for (int size : {9, 21, 50}) {
      SCOPED_TRACE(text + " at " + std::to_string(size) + " px");
      const TextExtent e = font.measure(text, size);
      const int64_t x = 7, y = 5;
      auto before = canvas(e.height() + 20, e.width + 20, 100);
      auto after = before.clone();
      font.draw(after, text, x, y, size, {255, 255, 255});
      const auto mask = changed(before, after);
      ASSERT_GT(mask.sum().item<int64_t>(), 0) << "nothing drawn";
      auto outside = mask.clone();
      outside.slice(0, y, y + e.height()).slice(1, x, x + e.width).fill_(false);
      EXPECT_EQ(outside.sum().item<int64_t>(), 0) << "pixels drawn outside the measured box";
      const auto cols = mask.any(0).nonzero(), rows = mask.any(1).nonzero();
      // Up to a side bearing (an eighth of the size, for DejaVu) between the ink and the box.
      EXPECT_LE(cols.min().item<int64_t>(), x + size / 8 + 1);
      EXPECT_GE(cols.max().item<int64_t>(), x + e.width - size / 8 - 2);
      EXPECT_GE(rows.max().item<int64_t>(), y + e.ascent - 1);  // the ink reaches the baseline
    }
  }
}

// Coverage is blended as out = (bg (255 - a) + fg a) / 255, rounded: white on black leaves a, black on white
// leaves 255 - a, so the two add up to 255 everywhere; FreeType's antialiasing gives values between the extremes.
TEST(Text, BlendsAntialiasedCoverageTowardsTheColour) {
  const Font& font = label_font();
  auto on_black = canvas(40, 140, 0), on_white = canvas(40, 140, 255);
  font.draw(on_black, "person 0.93", 3, 3, 21, {255, 255, 255});
  font.draw(on_white, "person 0.93", 3, 3, 21, {0, 0, 0});
  EXPECT_TRUE((on_black.to(torch::kInt) + on_white.to(torch::kInt)).eq(255).all().item<bool>());
  const auto a = on_black[0];
  EXPECT_GT(((a > 0) & (a < 255)).sum().item<int64_t>(), 50) << "no antialiased edge pixels";
  EXPECT_GT((a == 255).sum().item<int64_t>(), 50) << "no fully covered pixels";
  // Between two greys, the rounded blend of the coverage white-on-black revealed.
  auto grey = canvas(40, 140, 100);
  font.draw(grey, "person 0.93", 3, 3, 21, {200, 200, 200});
  const auto coverage = a.to(torch::kInt);
  const auto blended = (100 * (255 - coverage) + 200 * coverage + 127).floor_divide(255);
  EXPECT_TRUE(grey[0].to(torch::kInt).equal(blended));
  // A colour goes only where its channels say: red text on black leaves green and blue untouched.
  auto red = canvas(40, 140, 0);
  font.draw(red, "person 0.93", 3, 3, 21, {255, 0, 0});
  EXPECT_TRUE(red[0].equal(on_black[0]));
  EXPECT_EQ(red.slice(0, 1, 3).max().item<int>(), 0);
}

// Text across or beyond any edge draws exactly the part of the whole drawing that falls on the image.
TEST(Text, ClippedTextIsACropOfTheWholeDrawing) {
  const Font& font = label_font();
  const std::string text = "person 0.93 jAgy";
  const int size = 23;
  const TextExtent e = font.measure(text, size);
  const int64_t big_h = 200, big_w = 600, X = 260, Y = 90;
  auto reference = noise(big_h, big_w, 1);
  const auto original = reference.clone();
  font.draw(reference, text, X, Y, size, {250, 20, 200});
  const int64_t h = 30, w = 50;
  const std::vector<int64_t> dxs = {-e.width - 5, -e.width, -e.width + 3, -10, 0, 10, w - 3, w, w + 5};
  const std::vector<int64_t> dys = {-e.height() - 2, -e.height() + 2, -5, 0, 10, h - 2, h + 3};
  for (int64_t dx : dxs) {
    for (int64_t dy : dys) {
      // The small image is the region of the big one that puts the text at (dx, dy).
      const int64_t ox = X - dx, oy = Y - dy;
      ASSERT_TRUE(ox >= 0 && oy >= 0 && ox + w <= big_w && oy + h <= big_h);
      auto small = original.slice(1, oy, oy + h).slice(2, ox, ox + w).contiguous();
      font.draw(small, text, dx, dy, size, {250, 20, 200});
      EXPECT_TRUE(small.equal(reference.slice(1, oy, oy + h).slice(2, ox, ox + w))) << dx << ", " << dy;
    }
  }
  // Far away: nothing happens, nothing breaks.
  auto image = noise(10, 10, 2);
  const auto copy = image.clone();
  for (int64_t far : {-(int64_t{1} << 40), int64_t{1} << 40}) {
    font.draw(image, text, far, 0, size, {0, 0, 0});
    font.draw(image, text, 0, far, size, {0, 0, 0});
  }
  EXPECT_TRUE(image.equal(copy));
}

TEST(Text, UnicodeAndBrokenUtf8) {
  const Font& font = label_font();
  // Two bytes of UTF-8, one character, one glyph: "Å" (U+00C5) then "x".
  const TrueTypeMetrics metrics(font.file());
  EXPECT_EQ(font.measure("\xC3\x85x", 20).advance, metrics.advance_pixels(0xC5, 20) + metrics.advance_pixels('x', 20));
  // A stray byte, a cut-short sequence, an overlong encoding and a surrogate each read as one U+FFFD.
  const int replacement = font.measure("\xEF\xBF\xBD", 20).advance;
  EXPECT_EQ(font.measure("\xFF", 20).advance, replacement);
  EXPECT_EQ(font.measure("\xE2\x84", 20).advance, 2 * replacement);
  EXPECT_EQ(font.measure("\xC0\xAF", 20).advance, 2 * replacement);
  EXPECT_EQ(font.measure("\xED\xA0\x80", 20).advance, 3 * replacement);
  auto image = canvas(30, 60, 0);
  font.draw(image, "\xFF\xE2\x84", 0, 0, 20, {255, 255, 255});
  EXPECT_GT(image.sum().item<int64_t>(), 0);
}

TEST(Text, BadFontsSizesAndImagesAreErrors) {
  test::TempDir tmp;
  EXPECT_NE(test::error_of([&] { Font(tmp / "missing.ttf"); }).find("missing.ttf"), std::string::npos);
  test::write_bytes(tmp / "notes.ttf", "not a font at all");
  const auto message = test::error_of([&] { Font(tmp / "notes.ttf"); });
  EXPECT_NE(message.find("notes.ttf"), std::string::npos) << message;
  EXPECT_NE(message.find("not a font"), std::string::npos) << message;
  const Font& font = label_font();
  EXPECT_NE(test::error_of([&] { font.measure("x", 0); }).find("pixel size 0"), std::string::npos);
  EXPECT_THROW(font.measure("x", kMaxTextPixelSize + 1), Error);
  EXPECT_THROW(font.draw(torch::zeros({3, 8, 8}), "x", 0, 0, 8, {}), Error);                 // float
  EXPECT_THROW(font.draw(torch::zeros({8, 8, 3}, torch::kUInt8), "x", 0, 0, 8, {}), Error);  // HWC
  EXPECT_THROW(font.draw(torch::zeros({3, 8, 8}, torch::kUInt8).transpose(1, 2), "x", 0, 0, 8, {}), Error);
  // An explicit font file works as the found one does.
  const Font same(font.file());
  EXPECT_EQ(same.measure("person 0.93", 21).width, font.measure("person 0.93", 21).width);
}

// With no font at all, the error names the pattern that failed and the package that provides one.
TEST(Text, NoFontNamesThePatternAndThePackage) {
  test::TempDir tmp;
  test::write_bytes(tmp / "fonts.conf",
                    "<?xml version=\"1.0\"?>\n<!DOCTYPE fontconfig SYSTEM \"fonts.dtd\">\n<fontconfig>\n"
                    "  <cachedir>" +
                        (tmp / "cache").string() + "</cachedir>\n</fontconfig>\n");
  const char* old = std::getenv("FONTCONFIG_FILE");
  const std::string saved = old != nullptr ? old : "";
  setenv("FONTCONFIG_FILE", (tmp / "fonts.conf").c_str(), 1);
  const auto message = test::error_of([] { Font::find("DejaVu Sans:bold"); });
  if (old != nullptr)
    setenv("FONTCONFIG_FILE", saved.c_str(), 1);
  else
    unsetenv("FONTCONFIG_FILE");
  EXPECT_NE(message.find("'DejaVu Sans:bold'"), std::string::npos) << message;
  EXPECT_NE(message.find("fonts-dejavu-core"), std::string::npos) << message;
  EXPECT_EQ(test::count_lines(message + "\n"), 1u);
  // And with fonts back, the same pattern is found.
  EXPECT_FALSE(Font::find("DejaVu Sans:bold").family().empty());
}

// Threads drawing with one font get what one thread gets (each measure and draw holds the face).
TEST(Text, OneFontSharedByThreads) {
  const Font& font = label_font();
  const std::vector<std::string> texts = {"person 0.93", "bus 0.87", "dog 0.51", "cat 0.77"};
  std::vector<torch::Tensor> expected;
  for (size_t i = 0; i < texts.size(); ++i) {
    auto image = canvas(60, 200, 30);
    font.draw(image, texts[i], 2, 2, 15 + int(i) * 7, {255, 255, 0});
    expected.push_back(image);
  }
  std::vector<int> mismatches(texts.size(), 0);
  std::vector<std::thread> threads;
  for (size_t i = 0; i < texts.size(); ++i) {
    threads.emplace_back([&, i] {
      for (int round = 0; round < 40; ++round) {
        auto image = canvas(60, 200, 30);
        font.draw(image, texts[i], 2, 2, 15 + int(i) * 7, {255, 255, 0});
        if (!image.equal(expected[i])) ++mismatches[i];
      }
    });
  }
  for (auto& t : threads) t.join();
  for (size_t i = 0; i < texts.size(); ++i) EXPECT_EQ(mismatches[i], 0) << texts[i];
}

// Rectangles against the definition, pixel by pixel: filled covers x1 <= x < x2, y1 <= y < y2; the outline is the
// part of that within `thickness` of its border.
TEST(Draw, RectanglesMatchBruteForce) {
  const int64_t h = 13, w = 17;
  std::mt19937 rng(7);
  std::uniform_int_distribution<int64_t> coordinate(-25, 45);
  std::vector<PixelRect> rects = {{2, 3, 10, 9},
                                  {-5, -5, 4, 4},
                                  {10, 8, 40, 40},
                                  {-30, 2, -20, 8},
                                  {3, 20, 8, 30},
                                  {0, 0, w, h},
                                  {-1, -1, w + 1, h + 1},
                                  {5, 5, 5, 9},
                                  {6, 6, 4, 9},
                                  {INT64_MIN / 2, 3, INT64_MAX / 2, 6},
                                  {-(int64_t{1} << 40), -(int64_t{1} << 40), 5, int64_t{1} << 40}};
  for (int i = 0; i < 300; ++i) rects.push_back({coordinate(rng), coordinate(rng), coordinate(rng), coordinate(rng)});
  const Rgb colour{200, 10, 77};
  for (const auto& r : rects) {
    for (int t : {1, 2, 3, 5, 100}) {
      const auto base = noise(h, w, 3);
      auto filled = base.clone(), outlined = base.clone();
      fill_rectangle(filled, r, colour);
      draw_rectangle(outlined, r, colour, t);
      auto fill_expected = base.clone(), outline_expected = base.clone();
      for (int64_t y = 0; y < h; ++y) {
        for (int64_t x = 0; x < w; ++x) {
          const bool inside = x >= r.x1 && x < r.x2 && y >= r.y1 && y < r.y2;
          const bool border = x < r.x1 + t || x >= r.x2 - t || y < r.y1 + t || y >= r.y2 - t;
          for (int c = 0; c < 3; ++c) {
            const uint8_t v = c == 0 ? colour.r : c == 1 ? colour.g : colour.b;
            if (inside) fill_expected[c][y][x] = v;
            if (inside && border) outline_expected[c][y][x] = v;
          }
        }
      }
      EXPECT_TRUE(filled.equal(fill_expected)) << r.x1 << " " << r.y1 << " " << r.x2 << " " << r.y2;
      EXPECT_TRUE(outlined.equal(outline_expected))
          << r.x1 << " " << r.y1 << " " << r.x2 << " " << r.y2 << " thickness " << t;
    }
  }
  auto image = canvas(4, 4, 0);
  EXPECT_THROW(draw_rectangle(image, {0, 0, 2, 2}, colour, 0), Error);
  EXPECT_THROW(fill_rectangle(torch::zeros({1, 4, 4}, torch::kUInt8), {0, 0, 2, 2}, colour), Error);
}

// WCAG 2's numbers: white on black is 21:1; the primaries' luminances are the sRGB weights; text chosen for a
// background is the one of black and white with the higher ratio, and never below 4.5:1 (WCAG AA for text).
TEST(Draw, TextColourIsTheOneThatContrastsMore) {
  const Rgb black{0, 0, 0}, white{255, 255, 255};
  EXPECT_NEAR(contrast_ratio(black, white), 21.0, 1e-12);
  EXPECT_NEAR(relative_luminance({255, 0, 0}), 0.2126, 1e-12);
  EXPECT_NEAR(relative_luminance({0, 255, 0}), 0.7152, 1e-12);
  EXPECT_NEAR(relative_luminance({0, 0, 255}), 0.0722, 1e-12);
  EXPECT_EQ(text_colour_on({255, 255, 0}), black);
  EXPECT_EQ(text_colour_on({0, 0, 128}), white);
  for (int r = 0; r < 256; r += 15) {
    for (int g = 0; g < 256; g += 15) {
      for (int b = 0; b < 256; b += 15) {
        const Rgb bg{uint8_t(r), uint8_t(g), uint8_t(b)};
        const Rgb text = text_colour_on(bg);
        ASSERT_TRUE(text == black || text == white);
        const Rgb other = text == black ? white : black;
        EXPECT_GE(contrast_ratio(bg, text), contrast_ratio(bg, other));
        EXPECT_GE(contrast_ratio(bg, text), 4.5);
      }
    }
  }
}

}  // namespace text_draw_tests
}  // namespace
}  // namespace tint::report
