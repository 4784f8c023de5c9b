// `tint report` in a real browser: Debian's chromium, headless, loads the page of a tiny real run without console
// errors, its DOM holds every image, and the screenshot shows the training curve's line colours.
// Skips, saying why, when chromium is not installed (scripts/deps.sh installs it; $TINT_CHROMIUM overrides).
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <sstream>

#include <fmt/core.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "support/test_support.h"
#include "tint/core/atomic_file.h"
#include "tint/data/image_io.h"

namespace tint {
namespace {
namespace fs = std::filesystem;

std::optional<fs::path> find_chromium() {
  if (const char* env = std::getenv("TINT_CHROMIUM"); env != nullptr && *env != '\0') return fs::path(env);
  const char* path = std::getenv("PATH");
  std::istringstream dirs(path ? path : "/usr/bin:/bin");
  for (std::string dir; std::getline(dirs, dir, ':');) {
    for (const char* name : {"chromium", "chromium-browser"}) {
      const fs::path candidate = fs::path(dir) / name;
      if (::access(candidate.c_str(), X_OK) == 0) return candidate;
    }
  }
  return std::nullopt;
}

struct Browser {
  fs::path binary;
  const test::TempDir& tmp;

  // Runs headless chromium on `page` with `mode` (--screenshot=..., --dump-dom), a fresh profile, no network
  // services, and logging to stderr; returns exit code, stdout and stderr. Killed after 25 s.
  test::CommandResult run(const fs::path& page, const std::string& mode, const std::string& tag) const {
    const fs::path profile = tmp / ("profile-" + tag);
    fs::create_directories(profile);
    const std::string command = fmt::format(
        "timeout 25 '{}' --headless --no-sandbox --disable-gpu --disable-quic --no-first-run "
        "--disable-background-networking --disable-component-update --disable-sync --user-data-dir='{}' "
        "--enable-logging=stderr --v=0 --window-size=1200,2000 {} 'file://{}' >'{}' 2>'{}' </dev/null",
        binary.string(), profile.string(), mode, fs::absolute(page).string(), (tmp / (tag + ".out")).string(),
        (tmp / (tag + ".err")).string());
    const int status = std::system(command.c_str());
    test::CommandResult r;
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    r.out = read_file(tmp / (tag + ".out"));
    r.err = read_file(tmp / (tag + ".err"));
    return r;
  }
};

// Lines of chromium's log that report a message of the page's console (errors, uncaught exceptions). Chromium
// logs them as "[...:INFO:CONSOLE:1] "message", source: file:///... (1)"; its own dbus and GPU noise is ignored.
std::vector<std::string> console_lines(const std::string& log) {
  std::vector<std::string> lines;
  std::istringstream in(log);
  for (std::string line; std::getline(in, line);) {
    if (line.find(":CONSOLE") != std::string::npos || line.find("Uncaught") != std::string::npos) lines.push_back(line);
  }
  return lines;
}

// Pixels within `tolerance` (sum of absolute channel differences) of `rgb` in a (3, H, W) uint8 image.
int64_t pixels_near(const torch::Tensor& image, int r, int g, int b, int tolerance) {
  auto v = image.to(torch::kInt32);
  auto distance = (v[0] - r).abs() + (v[1] - g).abs() + (v[2] - b).abs();
  return (distance < tolerance).sum().item<int64_t>();
}

TEST(BrowserReport, ChromiumShowsTheCurvesWithoutConsoleErrors) {
  auto chromium = find_chromium();
  TINT_SKIP_IF_MISSING(test::missing_tool(chromium.has_value(),
                                          "chromium (Debian: apt-get install chromium; scripts/deps.sh test does)"));
  test::TempDir tmp("tint-browser");
  auto p = test::run_tint("palette --max-iterations 20 --out '" + tmp.path().string() + "'");
  ASSERT_EQ(p.exit_code, 0) << p.err;
  const fs::path run = tmp / "run";
  auto t = test::run_tint(
      "train --num-filters 8 --train-limit 200 --val-limit 50 --batch-size 50 --epochs 2 "
      "--samples 4 --palette '" +
      (tmp / "palette.json").string() + "' --out '" + run.string() + "'");
  ASSERT_EQ(t.exit_code, 0) << t.err;
  const fs::path page = tmp / "report.html";
  auto r = test::run_tint("report '" + run.string() + "' -o '" + page.string() + "'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const Browser browser{*chromium, tmp};

  // The detector below finds console errors: a page with a script error produces one.
  write_file_atomic(tmp / "broken.html", "<!DOCTYPE html><title>x</title><script>notDefined();</script>");
  auto broken = browser.run(tmp / "broken.html", "--screenshot='" + (tmp / "broken.png").string() + "'", "broken");
  ASSERT_FALSE(console_lines(broken.err).empty()) << "chromium logged no console message for a script error:\n"
                                                  << broken.err;

  const fs::path shot = tmp / "screenshot.png";
  auto s = browser.run(page, "--screenshot='" + shot.string() + "'", "shot");
  ASSERT_EQ(s.exit_code, 0) << s.err;
  for (const auto& line : console_lines(s.err)) ADD_FAILURE() << "console message from the report: " << line;

  // The DOM chromium built holds the whole page: its title and every image.
  auto dom = browser.run(page, "--dump-dom", "dom");
  ASSERT_EQ(dom.exit_code, 0) << dom.err;
  EXPECT_NE(dom.out.find("<title>tint report</title>"), std::string::npos) << dom.out.substr(0, 400);
  EXPECT_NE(dom.out.find("</html>"), std::string::npos);
  const std::string html = read_file(page);
  auto count = [](const std::string& text, const std::string& what) {
    size_t n = 0;
    for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
    return n;
  };
  EXPECT_EQ(count(dom.out, "<img src=\"data:image/png;base64,"), count(html, "<img src=\"data:image/png;base64,"));
  EXPECT_EQ(count(html, "<img "), 3u);  // training curve, first and last samples

  // The screenshot: not blank, and the training curve's lines are drawn. gnuplot's default line colours are
  // 0x9400D3 (train loss, purple) and 0x009E73 (validation loss, green); the page's own CSS uses neither.
  auto image = data::read_image(shot);
  ASSERT_EQ(image.size(0), 3);
  EXPECT_EQ(image.size(2), 1200);
  const int64_t pixels = image.size(1) * image.size(2);
  const int64_t white = pixels_near(image, 255, 255, 255, 12);
  EXPECT_GT(pixels - white, pixels / 50) << "the screenshot is (nearly) blank";
  const int64_t purple = pixels_near(image, 0x94, 0x00, 0xD3, 60);
  const int64_t green = pixels_near(image, 0x00, 0x9E, 0x73, 60);
  EXPECT_GT(purple, 150) << "training-loss line (purple) not visible";
  EXPECT_GT(green, 150) << "validation-loss line (green) not visible";
  RecordProperty("purple_pixels", std::to_string(purple));
  RecordProperty("green_pixels", std::to_string(green));
}

}  // namespace
}  // namespace tint
