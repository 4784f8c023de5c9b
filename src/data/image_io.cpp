#include "tint/data/image_io.h"

#include <limits>
#include <optional>
#include <string>
#include <tuple>

#include <fmt/core.h>
#include <stb/stb_image.h>
#include <stb/stb_image_write.h>
#include <torch/torch.h>

#include "tint/core/atomic_file.h"
#include "tint/core/error.h"

namespace tint::data {
namespace fs = std::filesystem;

namespace {

// What stb_image 2.27 (Debian 12's libstb) would meet with undefined behaviour in a JPEG's Huffman tables, as a
// message, or nothing (found by fuzz/fuzz_image.cpp; upstream checks both since 2.28):
// - a table declaring more than 256 codes: stb builds it before checking and writes past the table's arrays;
// - a scan decoding with a table that no DHT segment defined before it: stb reads the uninitialized table and indexes
//   past its arrays. Baseline scans use each component's DC and AC tables; progressive ones the DC table in a first
//   DC scan, the AC table in an AC scan, and none in a DC refinement scan.
// This walks the markers as stb does: after a scan header (SOS) the entropy-coded data is skipped up to the next
// marker.
std::optional<std::string> jpeg_huffman_problem(const std::string& b) {
  auto byte = [&](size_t i) -> unsigned { return i < b.size() ? static_cast<unsigned char>(b[i]) : 0u; };
  if (byte(0) != 0xFF || byte(1) != 0xD8) return std::nullopt;  // not a JPEG
  bool defined[2][4] = {};  // [DC, AC][table id]
  bool progressive = false;
  size_t i = 2;
  while (i + 1 < b.size()) {
    if (byte(i) != 0xFF) {  // entropy-coded data
      ++i;
      continue;
    }
    const unsigned m = byte(i + 1);
    if (m == 0xFF) {  // fill byte
      ++i;
      continue;
    }
    if (m == 0x00 || m == 0x01 || m == 0xD8 || (m >= 0xD0 && m <= 0xD7)) {  // stuffed 0xFF, TEM, SOI, RSTn
      i += 2;
      continue;
    }
    if (m == 0xD9) break;  // EOI
    const size_t length = byte(i + 2) << 8 | byte(i + 3);
    if (m == 0xC2) progressive = true;
    if (m == 0xC4) {  // DHT: tables of (class/id, 16 code counts, values) while the segment lasts
      int64_t left = static_cast<int64_t>(length) - 2;
      size_t p = i + 4;
      while (left > 0 && p < b.size()) {
        unsigned codes = 0;
        for (size_t k = 0; k < 16; ++k) codes += byte(p + 1 + k);
        if (codes > 256) return fmt::format("the Huffman table at byte {} declares more than 256 codes", i);
        const unsigned table_class = byte(p) >> 4, id = byte(p) & 15;
        if (table_class < 2 && id < 4) defined[table_class][id] = true;  // stb refuses other headers itself
        p += 17 + codes;
        left -= 17 + static_cast<int64_t>(codes);
      }
    }
    if (m == 0xDA) {  // SOS: Ns, then (component, DC table << 4 | AC table) each, then Ss, Se, Ah << 4 | Al
      const unsigned components = byte(i + 4), ss = byte(i + 5 + 2 * components),
                     ah = byte(i + 7 + 2 * components) >> 4;
      const bool uses_dc = !progressive || (ss == 0 && ah == 0), uses_ac = !progressive || ss > 0;
      for (unsigned k = 0; k < components; ++k) {
        const unsigned dc = byte(i + 6 + 2 * k) >> 4, ac = byte(i + 6 + 2 * k) & 15;
        // Ids above 3 stb refuses itself.
        for (const auto& [used, table_class, id, kind] :
             {std::tuple{uses_dc, 0, dc, "DC"}, std::tuple{uses_ac, 1, ac, "AC"}}) {
          if (used && id < 4 && !defined[table_class][id]) {
            return fmt::format("the scan at byte {} decodes with {} Huffman table {}, which no DHT segment before it "
                               "defines",
                               i, kind, id);
          }
        }
      }
    }
    i += 2 + length;
  }
  return std::nullopt;
}

// The PNG without its empty IDAT chunks, which hold no data (the format allows them). stb_image 2.27 meets an empty
// IDAT before any image data with a null buffer and computes `null + 0` (undefined behaviour; found by
// fuzz/fuzz_image.cpp), so they never reach it. Chunks are walked as far as they are well-formed; the rest is stb's
// to judge. Returns nothing when there is nothing to drop (the usual case: no copy of the file).
std::optional<std::string> without_empty_png_idat(const std::string& b) {
  auto u32 = [&](size_t i) {
    return uint32_t{static_cast<unsigned char>(b[i])} << 24 | uint32_t{static_cast<unsigned char>(b[i + 1])} << 16 |
           uint32_t{static_cast<unsigned char>(b[i + 2])} << 8 | uint32_t{static_cast<unsigned char>(b[i + 3])};
  };
  std::string out;
  size_t copied = 0, i = 8;  // after the signature
  while (i + 12 <= b.size()) {
    const uint64_t length = u32(i);
    if (length > b.size() - i - 12) break;  // truncated: stb reports it
    if (length == 0 && b.compare(i + 4, 4, "IDAT") == 0) {
      out.append(b, copied, i - copied);
      copied = i + 12;
    }
    i += 12 + length;
  }
  if (copied == 0) return std::nullopt;
  out.append(b, copied, std::string::npos);
  return out;
}

// The formats tint reads, recognised by their signatures. stb_image also decodes GIF, PSD, HDR, PIC, PNM and TGA, but
// its 2.27 decoders (Debian 12) have undefined behaviour on crafted files (fuzz/fuzz_image.cpp found a signed
// overflow in the PNM header parser within seconds), so tint keeps to the three formats photos and its own outputs use.
const char* image_format(const std::string& b) {
  if (b.rfind("\x89PNG\r\n\x1a\n", 0) == 0) return "PNG";
  if (b.size() >= 3 && static_cast<unsigned char>(b[0]) == 0xFF && static_cast<unsigned char>(b[1]) == 0xD8 &&
      static_cast<unsigned char>(b[2]) == 0xFF) {
    return "JPEG";
  }
  if (b.rfind("BM", 0) == 0) return "BMP";
  return nullptr;
}

}  // namespace

torch::Tensor decode_image(const std::string& file_bytes, const std::string& name) {
  if (file_bytes.empty()) throw Error(fmt::format("{}: empty file, not an image", name));
  const char* format = image_format(file_bytes);
  if (format == nullptr) {
    throw Error(fmt::format("{}: not a PNG, JPEG or BMP file (the image formats tint reads)", name));
  }
  const auto cleaned = std::string(format) == "PNG" ? without_empty_png_idat(file_bytes) : std::nullopt;
  const std::string& bytes = cleaned ? *cleaned : file_bytes;
  if (const auto problem = jpeg_huffman_problem(bytes)) throw Error(fmt::format("{}: corrupt JPEG: {}", name, *problem));
  if (bytes.size() > static_cast<size_t>(std::numeric_limits<int>::max())) {
    throw Error(fmt::format("{}: file too large to decode", name));
  }
  int w = 0, h = 0, channels = 0;
  const auto* data = reinterpret_cast<const stbi_uc*>(bytes.data());
  if (!stbi_info_from_memory(data, static_cast<int>(bytes.size()), &w, &h, &channels)) {
    throw Error(fmt::format("{}: cannot decode image: {}", name, stbi_failure_reason()));
  }
  // Refuse absurd sizes before allocating: a crafted header must not exhaust memory.
  if (w <= 0 || h <= 0 || static_cast<int64_t>(w) * h > (int64_t{1} << 28)) {
    throw Error(fmt::format("{}: unsupported image size {}x{}", name, w, h));
  }
  const int want = (channels == 1 || channels == 2) ? 1 : 3;
  stbi_uc* pixels = stbi_load_from_memory(data, static_cast<int>(bytes.size()), &w, &h, &channels, want);
  if (pixels == nullptr) throw Error(fmt::format("{}: cannot decode image: {}", name, stbi_failure_reason()));
  auto hwc = torch::from_blob(pixels, {h, w, want}, torch::kUInt8);
  auto chw = hwc.permute({2, 0, 1}).clone(at::MemoryFormat::Contiguous);  // own copy: stb frees its buffer
  stbi_image_free(pixels);
  return chw;
}

torch::Tensor read_image(const fs::path& path) { return decode_image(read_file(path), path.string()); }

std::string encode_png(const torch::Tensor& image) {
  TORCH_CHECK(image.dim() == 3 && (image.size(0) == 1 || image.size(0) == 3),
              "encode_png expects (1|3, H, W), got ", image.sizes());
  torch::Tensor bytes = image;
  if (image.scalar_type() != torch::kUInt8) {
    bytes = image.to(torch::kFloat32).clamp(0.0, 1.0).mul(255.0).round().to(torch::kUInt8);
  }
  auto hwc = bytes.permute({1, 2, 0}).contiguous();
  const int h = static_cast<int>(hwc.size(0)), w = static_cast<int>(hwc.size(1)), c = static_cast<int>(hwc.size(2));
  std::string out;
  auto sink = [](void* context, void* data, int size) {
    static_cast<std::string*>(context)->append(static_cast<const char*>(data), static_cast<size_t>(size));
  };
  if (!stbi_write_png_to_func(sink, &out, w, h, c, hwc.data_ptr<uint8_t>(), w * c)) {
    throw Error("PNG encoding failed");
  }
  return out;
}

void write_png(const fs::path& path, const torch::Tensor& image) { write_file_atomic(path, encode_png(image)); }

}  // namespace tint::data
