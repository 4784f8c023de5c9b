// FreeType and fontconfig behind report::Font. Each Font owns its own FT_Library, so two fonts never share FreeType
// state; one mutex per face serialises its users (a face and its glyph slot are not thread-safe).
#include "tint/report/text.h"

#include <algorithm>
#include <map>
#include <mutex>
#include <optional>
#include <utility>
#include <vector>

#include <fmt/core.h>
#include <fontconfig/fontconfig.h>
#include <ft2build.h>
#include FT_FREETYPE_H
#include <torch/torch.h>

#include "tint/core/error.h"

namespace tint::report {
namespace fs = std::filesystem;

namespace {

constexpr char32_t kReplacementCharacter = 0xFFFD;

// UTF-8 to code points; a byte that does not start a well-formed sequence (overlong, surrogate, beyond U+10FFFF,
// cut short) becomes U+FFFD and decoding resumes at the next byte.
std::vector<char32_t> decode_utf8(std::string_view s) {
  std::vector<char32_t> out;
  out.reserve(s.size());
  size_t i = 0;
  while (i < s.size()) {
    const auto b0 = static_cast<unsigned char>(s[i]);
    int length = 0;
    char32_t cp = 0, min = 0;
    if (b0 < 0x80) {
      out.push_back(b0);
      ++i;
      continue;
    } else if ((b0 & 0xE0) == 0xC0) {
      length = 2, cp = b0 & 0x1F, min = 0x80;
    } else if ((b0 & 0xF0) == 0xE0) {
      length = 3, cp = b0 & 0x0F, min = 0x800;
    } else if ((b0 & 0xF8) == 0xF0) {
      length = 4, cp = b0 & 0x07, min = 0x10000;
    }
    bool ok = length > 0 && i + size_t(length) <= s.size();
    for (int k = 1; ok && k < length; ++k) {
      const auto b = static_cast<unsigned char>(s[i + size_t(k)]);
      ok = (b & 0xC0) == 0x80;
      cp = (cp << 6) | (b & 0x3F);
    }
    ok = ok && cp >= min && cp <= 0x10FFFF && !(cp >= 0xD800 && cp <= 0xDFFF);
    out.push_back(ok ? cp : kReplacementCharacter);
    i += ok ? size_t(length) : 1;
  }
  return out;
}

// Rendered glyphs are kept for reuse, but not without bound: a caller cycling through many sizes would otherwise
// grow the cache forever.
constexpr size_t kMaxCachedBytes = size_t{32} << 20;

std::string freetype_message(FT_Error error) {
  const char* s = FT_Error_String(error);  // null unless FreeType was built with error strings
  return s != nullptr ? s : fmt::format("FreeType error {}", error);
}

}  // namespace

struct Font::Face {
  struct Glyph {
    int left = 0, top = 0;  // the bitmap's top-left corner from the pen position on the baseline (y up)
    int width = 0, rows = 0;
    int advance = 0;                // pixels
    std::vector<uint8_t> coverage;  // rows x width, 0 .. 255
  };

  fs::path file;
  FT_Library library = nullptr;
  FT_Face face = nullptr;
  std::mutex mutex;
  int current_size = 0;
  std::map<std::pair<int, char32_t>, Glyph> glyphs;
  size_t cached_bytes = 0;

  ~Face() {
    if (face != nullptr) FT_Done_Face(face);
    if (library != nullptr) FT_Done_FreeType(library);
  }

  void set_size(int pixel_size) {
    if (pixel_size < kMinTextPixelSize || pixel_size > kMaxTextPixelSize) {
      throw Error(
          fmt::format("text pixel size {} is outside [{}, {}]", pixel_size, kMinTextPixelSize, kMaxTextPixelSize));
    }
    if (pixel_size == current_size) return;
    if (FT_Error e = FT_Set_Pixel_Sizes(face, 0, FT_UInt(pixel_size))) {
      throw Error(fmt::format("{}: cannot set pixel size {}: {}", file.string(), pixel_size, freetype_message(e)));
    }
    current_size = pixel_size;
  }

  const Glyph& glyph(char32_t cp) {
    const auto key = std::make_pair(current_size, cp);
    if (auto it = glyphs.find(key); it != glyphs.end()) return it->second;
    // Outlines only (no embedded bitmaps), so the result is always 8-bit grey coverage.
    const FT_UInt index = FT_Get_Char_Index(face, FT_ULong(cp));  // 0: the font's missing-glyph box
    FT_Error e = FT_Load_Glyph(face, index, FT_LOAD_DEFAULT | FT_LOAD_NO_BITMAP);
    if (e == 0) e = FT_Render_Glyph(face->glyph, FT_RENDER_MODE_NORMAL);
    if (e != 0) {
      throw Error(fmt::format("{}: cannot render U+{:04X} at {} px: {}", file.string(), uint32_t(cp), current_size,
                              freetype_message(e)));
    }
    const FT_GlyphSlot slot = face->glyph;
    const FT_Bitmap& bitmap = slot->bitmap;
    if (bitmap.pixel_mode != FT_PIXEL_MODE_GRAY && bitmap.rows > 0 && bitmap.width > 0) {
      throw Error(fmt::format("{}: U+{:04X} rendered as pixel mode {}, expected 8-bit grey", file.string(),
                              uint32_t(cp), int(bitmap.pixel_mode)));
    }
    Glyph g;
    g.left = slot->bitmap_left;
    g.top = slot->bitmap_top;
    g.width = int(bitmap.width);
    g.rows = int(bitmap.rows);
    g.advance = int((slot->advance.x + 32) >> 6);  // already whole pixels when hinted
    g.coverage.resize(size_t(g.width) * size_t(g.rows));
    const int grays = std::max(2, int(bitmap.num_grays));
    for (int r = 0; r < g.rows; ++r) {
      // A negative pitch stores the rows bottom-up.
      const unsigned char* src = bitmap.pitch >= 0 ? bitmap.buffer + ptrdiff_t(r) * bitmap.pitch
                                                   : bitmap.buffer + ptrdiff_t(g.rows - 1 - r) * -bitmap.pitch;
      for (int c = 0; c < g.width; ++c) {
        g.coverage[size_t(r) * size_t(g.width) + size_t(c)] = uint8_t(int(src[c]) * 255 / (grays - 1));
      }
    }
    if (cached_bytes + g.coverage.size() > kMaxCachedBytes) {
      glyphs.clear();
      cached_bytes = 0;
    }
    cached_bytes += g.coverage.size();
    return glyphs.emplace(key, std::move(g)).first->second;
  }

  // The extent of `text` at the current size, and how far right of the box's left edge the pen starts (a first
  // glyph whose ink reaches left of the pen moves the text right, so nothing is drawn outside the box).
  std::pair<TextExtent, int> layout(const std::vector<char32_t>& text) {
    const FT_Size_Metrics& m = face->size->metrics;
    int ascent = int((m.ascender + 63) >> 6), descent = int((-m.descender + 63) >> 6);
    int pen = 0, ink_left = 0, ink_right = 0;
    for (char32_t cp : text) {
      const Glyph& g = glyph(cp);
      if (g.width > 0 && g.rows > 0) {
        ink_left = std::min(ink_left, pen + g.left);
        ink_right = std::max(ink_right, pen + g.left + g.width);
        ascent = std::max(ascent, g.top);
        descent = std::max(descent, g.rows - g.top);
      }
      pen += g.advance;
    }
    const int lead = -ink_left;
    TextExtent extent;
    extent.advance = pen;
    extent.width = lead + std::max(pen, ink_right);
    extent.ascent = ascent;
    extent.descent = descent;
    return {extent, lead};
  }
};

Font::Font(const fs::path& file) : face_(std::make_shared<Face>()) {
  Face& f = *face_;
  f.file = file;
  if (FT_Error e = FT_Init_FreeType(&f.library)) {
    throw Error(fmt::format("{}: cannot start FreeType: {}", file.string(), freetype_message(e)));
  }
  if (FT_Error e = FT_New_Face(f.library, file.c_str(), 0, &f.face)) {
    f.face = nullptr;
    throw Error(fmt::format("{}: not a font FreeType can open: {}", file.string(), freetype_message(e)));
  }
  if (!FT_IS_SCALABLE(f.face)) {
    throw Error(fmt::format("{}: a bitmap-only font; text needs a scalable (outline) font", file.string()));
  }
}

Font Font::find(const std::string& pattern) {
  // A configuration of our own (not fontconfig's process-wide one), freed at the end: it honours FONTCONFIG_FILE
  // as read now.
  FcConfig* config = FcInitLoadConfigAndFonts();
  if (config == nullptr) {
    throw Error(
        fmt::format("no font for text: fontconfig could not load its configuration (looking for '{}'); "
                    "Debian's fonts-dejavu-core provides DejaVu Sans",
                    pattern));
  }
  std::string tried;
  auto try_pattern = [&](const std::string& p) -> std::optional<Font> {
    FcPattern* query = FcNameParse(reinterpret_cast<const FcChar8*>(p.c_str()));
    if (query == nullptr) {
      FcConfigDestroy(config);
      throw Error(fmt::format("'{}' is not a fontconfig pattern (e.g. \"DejaVu Sans:bold\")", p));
    }
    FcPatternAddBool(query, FC_SCALABLE, FcTrue);
    FcConfigSubstitute(config, query, FcMatchPattern);
    FcDefaultSubstitute(query);
    FcResult result = FcResultNoMatch;
    FcPattern* match = FcFontMatch(config, query, &result);
    FcPatternDestroy(query);
    std::optional<Font> font;
    FcChar8* file = nullptr;
    FcBool scalable = FcFalse;
    if (match != nullptr && FcPatternGetString(match, FC_FILE, 0, &file) == FcResultMatch &&
        FcPatternGetBool(match, FC_SCALABLE, 0, &scalable) == FcResultMatch && scalable) {
      try {
        font = Font(fs::path(reinterpret_cast<const char*>(file)));
      } catch (const Error& e) {
        tried += fmt::format(" ({})", e.what());
      }
    }
    if (match != nullptr) FcPatternDestroy(match);
    return font;
  };
  auto font = try_pattern(pattern);
  if (!font && pattern != kFallbackFontPattern) font = try_pattern(kFallbackFontPattern);
  FcConfigDestroy(config);
  if (!font) {
    throw Error(
        fmt::format("no font for text: fontconfig matched no scalable font for the pattern '{}' nor '{}'{}; "
                    "install one (Debian's fonts-dejavu-core provides DejaVu Sans) or name a font file",
                    pattern, kFallbackFontPattern, tried));
  }
  return *std::move(font);
}

const fs::path& Font::file() const { return face_->file; }
std::string Font::family() const { return face_->face->family_name != nullptr ? face_->face->family_name : ""; }
std::string Font::style() const { return face_->face->style_name != nullptr ? face_->face->style_name : ""; }

TextExtent Font::measure(std::string_view utf8, int pixel_size) const {
  const auto text = decode_utf8(utf8);
  std::lock_guard<std::mutex> lock(face_->mutex);
  face_->set_size(pixel_size);
  return face_->layout(text).first;
}

void Font::draw(const torch::Tensor& image, std::string_view utf8, int64_t x, int64_t y, int pixel_size,
                Rgb colour) const {
  check_drawable(image, "draw text");
  const auto text = decode_utf8(utf8);
  const int64_t h = image.size(1), w = image.size(2);
  uint8_t* planes[3] = {image.data_ptr<uint8_t>(), image.data_ptr<uint8_t>() + h * w,
                        image.data_ptr<uint8_t>() + 2 * h * w};
  const int ink[3] = {colour.r, colour.g, colour.b};
  std::lock_guard<std::mutex> lock(face_->mutex);
  face_->set_size(pixel_size);
  const auto [extent, lead] = face_->layout(text);
  const int64_t baseline = y + extent.ascent;
  int64_t pen = x + lead;
  for (char32_t cp : text) {
    const Face::Glyph& g = face_->glyph(cp);
    const int64_t gx = pen + g.left, gy = baseline - g.top;
    pen += g.advance;
    // The glyph's rows and columns that fall on the image.
    const int64_t r0 = std::max<int64_t>(0, -gy), r1 = std::min<int64_t>(g.rows, h - gy);
    const int64_t c0 = std::max<int64_t>(0, -gx), c1 = std::min<int64_t>(g.width, w - gx);
    for (int64_t r = r0; r < r1; ++r) {
      const uint8_t* cov = g.coverage.data() + r * g.width;
      const int64_t row = (gy + r) * w + gx;
      for (int64_t c = c0; c < c1; ++c) {
        const int a = cov[c];
        if (a == 0) continue;
        for (int k = 0; k < 3; ++k) {
          uint8_t& v = planes[k][row + c];
          v = uint8_t((v * (255 - a) + ink[k] * a + 127) / 255);
        }
      }
    }
  }
}

const Font& label_font() {
  // A throwing initialiser leaves the static uninitialised, so the next call looks again.
  static const Font font = Font::find(kLabelFontPattern);
  return font;
}

}  // namespace tint::report
