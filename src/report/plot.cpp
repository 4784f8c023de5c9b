#include "tint/report/plot.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

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

}  // namespace tint::report
