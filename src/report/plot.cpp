#include "tint/report/plot.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

#include <fmt/core.h>

#include "tint/core/atomic_file.h"
#include "tint/core/error.h"

namespace tint::report {
namespace fs = std::filesystem;

namespace {

std::string gp_string(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += (c == '\'') ? std::string("''") : std::string(1, c);
  return out + "'";
}

// Runs argv in `dir`, collecting stderr; returns the exit status (127 when the program is missing). Its stderr goes to
// an anonymous in-memory file (memfd): nothing is left in /tmp when tint is killed while gnuplot runs.
int run_process(const std::vector<std::string>& argv, const fs::path& dir, std::string& errors) {
  const int err_fd = ::memfd_create("tint-gnuplot-stderr", MFD_CLOEXEC);
  if (err_fd < 0) throw Error(fmt::format("cannot create a file for {}'s messages: {}", argv[0], std::strerror(errno)));
  pid_t pid = ::fork();
  if (pid < 0) {
    ::close(err_fd);
    throw Error(fmt::format("cannot start {}: {}", argv[0], std::strerror(errno)));
  }
  if (pid == 0) {
    ::dup2(err_fd, STDERR_FILENO);  // the copy does not close on exec
    int null_fd = ::open("/dev/null", O_RDWR);
    if (null_fd >= 0) {
      ::dup2(null_fd, STDIN_FILENO);
      ::dup2(null_fd, STDOUT_FILENO);
    }
    if (::chdir(dir.c_str()) != 0) ::_exit(126);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execvp(args[0], args.data());
    ::_exit(127);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
  errors.clear();
  char buffer[4096];
  ssize_t n;
  while ((n = ::pread(err_fd, buffer, sizeof buffer, off_t(errors.size()))) > 0 || (n < 0 && errno == EINTR)) {
    if (n > 0) errors.append(buffer, size_t(n));
  }
  ::close(err_fd);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

}  // namespace

bool gnuplot_available() {
  std::string errors;
  return run_process({"gnuplot", "-e", "exit"}, fs::temp_directory_path(), errors) == 0;
}

void run_gnuplot(const fs::path& script, const fs::path& png) {
  const fs::path dir = png.parent_path().empty() ? fs::path(".") : png.parent_path();
  const std::string tmp = fmt::format(".{}.tmp-{}", png.filename().string(), ::getpid());
  std::string errors;
  int code = run_process({"gnuplot", "-e", "out=" + gp_string(tmp), script.filename().string()}, dir, errors);
  if (code == 127)
    throw Error("gnuplot is not installed (Debian: apt-get install gnuplot-nox); cannot draw " + png.string());
  if (code != 0 || !fs::exists(dir / tmp)) {
    std::error_code ec;
    fs::remove(dir / tmp, ec);
    while (!errors.empty() && (errors.back() == '\n' || errors.back() == ' ')) errors.pop_back();
    throw Error(fmt::format("gnuplot failed on {}: {}", (dir / script.filename()).string(), errors));
  }
  fs::rename(dir / tmp, png);
}

void plot_lines(const fs::path& png, const LinePlot& plot) {
  fs::path script = png;
  script.replace_extension(".gp");
  std::string gp;
  gp += fmt::format("# Re-draw with: gnuplot {}\n", script.filename().string());
  gp += fmt::format("if (!exists('out')) out = {}\n", gp_string(png.filename().string()));
  gp += fmt::format("set terminal pngcairo size {},{} enhanced font 'Sans,10'\n", plot.width, plot.height);
  gp += "set output out\nset datafile separator ','\nset key outside bottom center horizontal\nset grid\n";
  if (!plot.title.empty()) gp += fmt::format("set title {} noenhanced\n", gp_string(plot.title));
  gp += fmt::format("set xlabel {}\nset ylabel {}\n", gp_string(plot.x_label), gp_string(plot.y_label));
  if (plot.log_x) gp += "set logscale x\n";
  if (plot.log_y) gp += "set logscale y\n";
  if (!plot.y2_label.empty())
    gp += fmt::format("set y2label {}\nset y2tics\nset ytics nomirror\n", gp_string(plot.y2_label));
  for (const auto& line : plot.extra) gp += line + "\n";
  gp += "plot ";
  for (size_t i = 0; i < plot.series.size(); ++i) {
    const auto& s = plot.series[i];
    const std::string title = s.title.empty() ? "notitle" : "title " + gp_string(s.title) + " noenhanced";
    gp +=
        fmt::format("{}{} using (column({})):(column({})) with {} lw 2 {}{}", i ? ", \\\n     " : "", gp_string(s.csv),
                    gp_string(s.x_column), gp_string(s.y_column), s.style, title, s.second_axis ? " axes x1y2" : "");
  }
  gp += "\n";
  write_file_atomic(script, gp);
  run_gnuplot(script, png);
}

void plot_heat_map(const fs::path& png, const HeatMap& map) {
  const size_t rows = map.row_labels.size(), columns = map.column_labels.size();
  if (rows == 0 || columns == 0) throw Error(fmt::format("{}: a heat map needs rows and columns", png.string()));
  if (map.colour.size() != rows || map.text.size() != rows)
    throw Error(fmt::format("{}: {} row labels but {} rows of colours and {} of text", png.string(), rows,
                            map.colour.size(), map.text.size()));
  fs::path csv = png, script = png;
  csv.replace_extension(".csv");
  script.replace_extension(".gp");
  std::string data = "column,row,colour,text,text_colour\n";
  for (size_t r = 0; r < rows; ++r) {
    if (map.colour[r].size() != columns || map.text[r].size() != columns)
      throw Error(fmt::format("{}: row {} has {} colours and {} texts for {} columns", png.string(), r,
                              map.colour[r].size(), map.text[r].size(), columns));
    for (size_t c = 0; c < columns; ++c) {
      const double v = map.colour[r][c];
      const auto& t = map.text[r][c];
      if (!(v >= 0 && v <= 1))
        throw Error(fmt::format("{}: colour {} at ({}, {}) is outside [0, 1]", png.string(), v, r, c));
      if (t.find_first_of(",\"'\n") != std::string::npos)
        throw Error(
            fmt::format("{}: the text '{}' at ({}, {}) holds a comma, quote or newline", png.string(), t, r, c));
      // Dark cells get white text. An empty text is written as a space, which gnuplot reads as a column.
      data += fmt::format("{},{},{:.6g},{},{}\n", c, r, v, t.empty() ? " " : t, v > 0.55 ? 0xffffff : 0);
    }
  }
  size_t longest = 0;
  for (const auto& l : map.row_labels) longest = std::max(longest, l.size());
  for (const auto& l : map.column_labels) longest = std::max(longest, l.size());
  // Room for the rotated column labels below and the row labels beside, the colour box on the right.
  const int label_px = 60 + 7 * static_cast<int>(longest);
  const int width = label_px + map.cell * static_cast<int>(columns) + 140;
  const int height = label_px + map.cell * static_cast<int>(rows) + 60;
  const auto tics = [](const std::vector<std::string>& labels) {
    std::string t = "(";
    for (size_t i = 0; i < labels.size(); ++i) t += fmt::format("{}{} {}", i ? ", " : "", gp_string(labels[i]), i);
    return t + ")";
  };
  std::string gp;
  gp += fmt::format("# Re-draw with: gnuplot {}\n", script.filename().string());
  gp += fmt::format("if (!exists('out')) out = {}\n", gp_string(png.filename().string()));
  gp += fmt::format("set terminal pngcairo size {},{} enhanced font 'Sans,9'\n", width, height);
  gp += "set output out\nset datafile separator ','\nunset key\nset tics scale 0 noenhanced\n";
  if (!map.title.empty()) gp += fmt::format("set title {} noenhanced\n", gp_string(map.title));
  gp += fmt::format("set xlabel {}\nset ylabel {}\n", gp_string(map.x_label), gp_string(map.y_label));
  gp += fmt::format("set xrange [-0.5:{}.5]\nset yrange [{}.5:-0.5]\n", columns - 1, rows - 1);  // row 0 on top
  gp += fmt::format("set xtics {} rotate by 90 right\nset ytics {}\n", tics(map.column_labels), tics(map.row_labels));
  gp += "set size ratio -1\nset cbrange [0:1]\nset palette defined (0 '#ffffff', 1 '#08306b')\n";
  gp += fmt::format("set cblabel {}\n", gp_string(map.colour_label));
  gp += fmt::format(
      "plot {0} using (column('column')):(column('row')):(column('colour')) with image, \\\n"
      "     {0} using (column('column')):(column('row')):(stringcolumn('text')):(column('text_colour')) "
      "with labels font 'Sans,8' textcolor rgb variable\n",
      gp_string(csv.filename().string()));
  write_file_atomic(csv, data);
  write_file_atomic(script, gp);
  run_gnuplot(script, png);
}

}  // namespace tint::report
