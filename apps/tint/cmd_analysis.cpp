// `tint summary`, `tint conv` and `tint padding`: network analysis from the command line. Flags only; the work
// is in tint::analysis (docs/analysis.md documents the conventions and shows examples).
#include <fmt/core.h>

#include "commands.h"
#include "settings_flags.h"
#include "tint/analysis/architecture.h"
#include "tint/analysis/filters.h"
#include "tint/analysis/network_report.h"
#include "tint/analysis/padding_solver.h"
#include "tint/core/error.h"
#include "tint/models/colour_net.h"
#include "tint/models/model_table.h"

namespace tint::cli {

namespace {
namespace an = tint::analysis;

void add_summary(CLI::App& app) {
  struct Flags {
    an::NetworkRequest request;
    std::string csv;
  };
  auto f = std::make_shared<Flags>();
  auto& r = f->request;
  auto* cmd = app.add_subcommand(
      "summary", "Per-layer weights, outputs, connections and receptive fields of a model or an architecture string");
  auto* model =
      cmd->add_option("--model", r.model, "Network (the model table)")->check(CLI::IsMember(models::model_names()));
  auto* arch = cmd->add_option("--arch", r.arch,
                               "Architecture string, e.g. \"conv3-32,maxpool,conv3-64,maxpool,conv3-3\" or "
                               "\"fc,maxpool,fc\" (see docs/analysis.md)");
  model->excludes(arch);
  for (auto* option : add_settings(*cmd, models::model_settings(), r.config)) option->needs(model);
  cmd->add_option("--size", r.size, "Input height[xwidth] for --model, divisible by 4")
      ->capture_default_str()
      ->needs(model);
  cmd->add_option("--input", r.input, "Input CxHxW for --arch")->capture_default_str()->needs(arch);
  cmd->add_flag("--include-bias", r.counting.include_bias, "Count biases as weights");
  cmd->add_flag("--include-batchnorm", r.counting.include_batchnorm,
                "Count batchnorm's scale and shift as weights, its outputs and connections");
  cmd->add_flag("--include-input", r.counting.include_input, "Count the input layer's units as outputs (neurons)");
  cmd->add_flag("--symbolic", r.symbolic, "Also print the totals as polynomials in NIC, NF, NC and k (--model)");
  cmd->add_flag("--double-input", r.double_input, "Also print the totals for inputs of twice the height and width");
  cmd->add_flag("--verify", r.verify,
                "Check the numbers against the real LibTorch network: parameters, forward shapes, and the central "
                "output unit's receptive field by backpropagation");
  cmd->add_option("--csv", f->csv, "Also write the table as CSV to this file");
  cmd->callback([f] {
    const auto report = an::analyse_network(f->request);
    fmt::print("{}", an::format_network_report(report));
    if (!f->csv.empty()) {
      an::summary_table(report.summary).save(f->csv);
      fmt::print("wrote {}\n", f->csv);
    }
    if (!report.verified())
      throw Error("verification failed: the description disagrees with the real network (see above)");
  });
}

void add_conv(CLI::App& app) {
  struct Flags {
    std::string input, filter, mode = "convolution", padding = "same";
  };
  auto f = std::make_shared<Flags>();
  auto* cmd = app.add_subcommand("conv", "Convolve a small matrix with a filter and name the filter");
  cmd->add_option("--input", f->input, "Input matrix: rows separated by ';', e.g. \"0 0 0;0 1 1;0 1 0\"")->required();
  cmd->add_option("--filter", f->filter, "Filter matrix, same notation")->required();
  cmd->add_option("--mode", f->mode, "convolution (filter rotated 180 degrees) or correlation (as CNN layers compute)")
      ->check(CLI::IsMember({"convolution", "correlation"}))
      ->capture_default_str();
  cmd->add_option("--padding", f->padding, "same (zeros keep the size) or valid (no padding)")
      ->check(CLI::IsMember({"same", "valid"}))
      ->capture_default_str();
  cmd->callback([f] {
    const auto input = an::parse_matrix(f->input, "--input");
    const auto filter = an::parse_matrix(f->filter, "--filter");
    const auto mode = f->mode == "convolution" ? an::ConvMode::Convolution : an::ConvMode::Correlation;
    const auto padding = f->padding == "same" ? an::ConvPadding::Same : an::ConvPadding::Valid;
    const auto out = an::convolve(input, filter, mode, padding);
    std::string pad = "no padding";
    if (padding == an::ConvPadding::Same) {
      const int br = an::same_before(filter.rows), bc = an::same_before(filter.cols);
      pad = fmt::format("zero padding {} before / {} after the rows, {} before / {} after the columns", br,
                        filter.rows - 1 - br, bc, filter.cols - 1 - bc);
    }
    fmt::print("{} ({}), {}: {}x{} input, {}x{} filter -> {}x{}\n", f->mode,
               mode == an::ConvMode::Convolution ? "filter rotated 180 degrees" : "filter as given", pad, input.rows,
               input.cols, filter.rows, filter.cols, out.rows, out.cols);
    fmt::print("{}", an::format_matrix(out));
    const auto name = an::name_filter(filter);
    fmt::print("filter: {}: {}\n", name.name.empty() ? "unknown" : name.name, name.reason);
  });
}

void add_padding(CLI::App& app) {
  auto p = std::make_shared<an::PaddingProblem>();
  auto* cmd = app.add_subcommand("padding", "Find the padding (and output padding) that gives a wanted output size");
  cmd->add_option("--kernel", p->kernel, "Kernel size")->required()->check(CLI::Range(1, 64));
  cmd->add_option("--stride", p->stride, "Stride")->check(CLI::Range(1, 64))->capture_default_str();
  cmd->add_option("--dilation", p->dilation, "Dilation")->check(CLI::Range(1, 64))->capture_default_str();
  cmd->add_option("--in", p->in, "Input height (= width)")->required()->check(CLI::Range(1, 100000));
  cmd->add_option("--out", p->out, "Wanted output height (= width)")->required()->check(CLI::Range(1, 1000000));
  cmd->add_flag("--transposed", p->transposed, "A transposed convolution (ConvTranspose2d)");
  cmd->callback([p] {
    const auto answer = an::solve_padding(*p);
    const char* layer = p->transposed ? "ConvTranspose2d" : "Conv2d";
    fmt::print("{}(kernel {}, stride {}, dilation {}): {} -> {}\n", layer, p->kernel, p->stride, p->dilation, p->in,
               p->out);
    if (answer.solutions.empty()) throw Error(answer.reason);
    for (size_t i = 0; i < answer.solutions.size(); ++i) {
      const auto& s = answer.solutions[i];
      std::string what = s.symmetric() ? fmt::format("padding={}", s.before)
                                       : fmt::format(
                                             "padding {} before and {} after (no symmetric padding works: pad "
                                             "explicitly, e.g. ZeroPad2d({{{},{},{},{}}}), then padding=0)",
                                             s.before, s.after, s.before, s.after, s.before, s.after);
      if (p->transposed) what += fmt::format(", output_padding={}", s.output_padding);
      const int64_t ran = an::run_layer(*p, s);
      if (ran != p->out)
        throw Error(fmt::format("internal check failed: {} with {} gave {}, not {}", layer, what, ran, p->out));
      fmt::print("{} {}\n  {}; {} ran on 1x1x{}x{} and gave {}x{}\n", i == 0 ? "best:" : "also:", what,
                 an::formula(*p, s), layer, p->in, p->in, ran, ran);
    }
  });
}

}  // namespace

void add_analysis(CLI::App& app, SharedFlags& shared) {
  (void)shared;  // the analysis commands need neither data nor threads settings
  add_summary(app);
  add_conv(app);
  add_padding(app);
}

}  // namespace tint::cli
