#include "page_parts.h"

#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstring>

#include <fmt/core.h>

#include "tint/core/error.h"
#include "tint/core/markup_escape.h"
#include "tint/report/html.h"

namespace tint::pages {
namespace fs = std::filesystem;

std::string folder_name(const fs::path& dir) {
  fs::path p = dir.lexically_normal();
  if (p.filename().empty()) p = p.parent_path();
  std::string name = p.filename().string();
  return name.empty() || name == "." ? fs::absolute(dir).lexically_normal().filename().string() : name;
}

std::string loss_text(double v) { return fmt::format("{:.4f}", v); }
std::string acc_text(double v) { return fmt::format("{:.2f}", v); }
std::string seconds_text(double v) { return fmt::format("{:.1f}", v); }

std::string figure(const fs::path& file, const std::string& caption, const std::string& css_class,
                   std::vector<std::string>& warnings, double display_scale) {
  std::error_code ec;
  if (!fs::exists(file, ec)) {
    warnings.push_back(fmt::format("{}: missing, left out of the report", file.string()));
    return fmt::format("<p class=\"missing\">{} is missing.</p>\n", escape_markup(file.filename().string()));
  }
  report::InlineImage image;
  try {
    image = report::read_inline_image(file);
  } catch (const Error& e) {
    warnings.push_back(fmt::format("{}, left out of the report", e.what()));
    return fmt::format("<p class=\"missing\">{} could not be read.</p>\n", escape_markup(file.filename().string()));
  }
  std::string size;
  if (image.width > 0) {
    size = fmt::format(" width=\"{}\" height=\"{}\"", std::lround(image.width * display_scale),
                       std::lround(image.height * display_scale));
  }
  return fmt::format("<figure class=\"{}\"><img src=\"{}\"{} alt=\"{}\"><figcaption>{}</figcaption></figure>\n",
                     css_class, report::data_uri(image), size, escape_markup(caption), escape_markup(caption));
}

std::string final_box(const std::string& label, const std::string& value, bool key) {
  return fmt::format("<div class=\"final{}\"><span class=\"label\">{}</span><span class=\"value\">{}</span></div>",
                     key ? " key" : "", escape_markup(label), escape_markup(value));
}

ScratchDir::ScratchDir() {
  std::string pattern = (fs::temp_directory_path() / "tint-report-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) {
    throw Error(fmt::format("cannot create a temporary folder in {}: {}", fs::temp_directory_path().string(),
                            std::strerror(errno)));
  }
  path_ = pattern;
}

ScratchDir::~ScratchDir() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}

}  // namespace tint::pages
