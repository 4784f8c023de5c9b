// `tint report RUN_DIR... [-o report.html]`: one self-contained HTML page about training runs, sweeps and detection
// fine-tuning runs.
#include <fmt/core.h>

#include "commands.h"
#include "tint/pages/html_report.h"

namespace tint::cli {

void add_report(CLI::App& app, SharedFlags& /*shared*/) {
  struct Flags {
    std::vector<std::string> inputs;
    std::string out = "report.html";
    pages::ReportOptions options;
  };
  auto f = std::make_shared<Flags>();
  auto* cmd = app.add_subcommand(
      "report",
      "Write one self-contained HTML page (images inlined) about runs, sweeps, comparisons and detection runs");
  cmd->add_option("runs", f->inputs, "Run directories (tint train, tint detect train) and sweep/compare output folders")
      ->required();
  cmd->add_option("-o,--out", f->out, "Output HTML file")->capture_default_str();
  cmd->add_option("--title", f->options.title, "Page title")->capture_default_str();
  cmd->add_option("--max-sample-epochs", f->options.max_sample_epochs,
                  "Sample grids per run: 0 = every epoch, N >= 2 = N epochs spread from the first to the last")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  cmd->callback([f] {
    f->options.inputs.assign(f->inputs.begin(), f->inputs.end());
    auto result = pages::write_report(f->options, f->out);
    for (const auto& w : result.warnings) fmt::print(stderr, "tint: warning: {}\n", w);
    fmt::print("report: {} run{} -> {} ({:.1f} KiB)\n", result.runs, result.runs == 1 ? "" : "s", f->out,
               static_cast<double>(result.html.size()) / 1024.0);
  });
}

}  // namespace tint::cli
