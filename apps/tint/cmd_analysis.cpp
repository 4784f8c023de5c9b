// `tint summary`, `tint conv` and `tint padding`: network analysis from the command line. Flags only; the work
// is in tint::analysis (docs/analysis.md documents the conventions and shows examples).
#include <regex>

#include <fmt/core.h>

#include "commands.h"
#include "tint/analysis/architecture.h"
#include "tint/analysis/filters.h"
#include "tint/analysis/model_graph.h"
#include "tint/analysis/padding_solver.h"
#include "tint/analysis/summary.h"
#include "tint/analysis/verify.h"
#include "tint/core/error.h"
#include "tint/models/colour_net.h"

namespace tint::cli {

namespace {
namespace an = tint::analysis;

struct SummaryFlags {
  std::string model, arch;
  models::ModelConfig config;
  std::string size = "32";
  std::string input = "3x32x32";
  an::Counting counting;
  bool symbolic = false, double_input = false, verify = false;
  std::string csv;
};

// "32" or "32x48" -> (H, W); the models need both divisible by 4.
std::pair<int64_t, int64_t> parse_size(const std::string& text) {
  static const std::regex pattern(R"((\d{1,5})(?:x(\d{1,5}))?)");
  std::smatch m;
  if (!std::regex_match(text, m, pattern))
    throw Error("--size must be H or HxW (e.g. 32 or 32x48), got '" + text + "'");
  const int64_t h = std::stoll(m[1]), w = m[2].matched ? std::stoll(m[2]) : h;
  if (h < 4 || w < 4 || h % 4 != 0 || w % 4 != 0)
    throw Error(
        fmt::format("--size must be at least 4 and divisible by 4 (the networks halve it twice), got {}", text));
  return {h, w};
}

std::string counting_note(const an::Counting& c) {
  return fmt::format(
      "counted: weights = kernel entries, biases {} (--include-bias), batchnorm {} "
      "(--include-batchnorm); outputs = units of each layer's output, input {} (--include-input); "
      "connections = outputs x fan-in, borders ignored",
      c.include_bias ? "included" : "excluded", c.include_batchnorm ? "included" : "excluded",
      c.include_input ? "included" : "excluded");
}

void print_verification(const std::vector<an::Check>& checks) {
  bool ok = true;
  for (const auto& c : checks) {
    fmt::print("verify {}: {} ({})\n", c.name, c.passed ? "ok" : "FAILED", c.detail);
    ok = ok && c.passed;
  }
  if (!ok) throw Error("verification failed: the description disagrees with the real network (see above)");
}

void print_symbolic(const an::SymbolicTotals& s, int kernel, const std::string& where) {
  const int k = 3;  // index of k in symbolic_variables()
  fmt::print("symbolic totals for {} (NIC, NF, NC, k free; interpolated from real networks):\n", where);
  fmt::print("  weights     = {}\n", s.weights.to_string(k));
  fmt::print("  outputs     = {}\n", s.outputs.to_string(k));
  fmt::print("  connections = {}\n", s.connections.to_string(k));
  fmt::print("  at k = {}:\n", kernel);
  fmt::print("  weights     = {}\n", s.weights.substitute(k, kernel).to_string());
  fmt::print("  outputs     = {}\n", s.outputs.substitute(k, kernel).to_string());
  fmt::print("  connections = {}\n", s.connections.substitute(k, kernel).to_string());
}

void run_summary(const SummaryFlags& f) {
  if (f.model.empty() == f.arch.empty()) throw Error("give exactly one of --model and --arch");
  an::LayerGraph graph;
  std::string title;
  int64_t height = 0, width = 0;
  std::function<an::LayerGraph(int64_t, int64_t)> describe_at;  // the same network for other input sizes
  if (!f.model.empty()) {
    std::tie(height, width) = parse_size(f.size);
    const auto net = models::make_model(f.model, f.config);
    const int nic = f.config.num_in_channels;
    graph = an::describe_model(net, {nic, height, width});
    title = fmt::format("model {}: kernel {}, NIC {}, NF {}, NC {}, dilation {}; input {}", f.model, f.config.kernel,
                        nic, f.config.num_filters, f.config.num_colours, f.config.dilation,
                        an::to_string(graph.layers.front().out));
    describe_at = [&f, nic](int64_t h, int64_t w) {
      return an::describe_model(models::make_model(f.model, f.config), {nic, h, w});
    };
  } else {
    if (f.symbolic) throw Error("--symbolic needs --model (an architecture string has no free NIC, NF, NC)");
    const an::Shape in = an::parse_shape(f.input, "--input");
    height = in.h;
    width = in.w;
    graph = an::parse_architecture(f.arch, in);
    title = fmt::format("architecture {}; input {}", f.arch, an::to_string(in));
    describe_at = [&f, in](int64_t h, int64_t w) { return an::parse_architecture(f.arch, {in.c, h, w}); };
  }
  const auto summary = an::summarize(graph, f.counting);
  fmt::print("{}\n{}", title, an::format_summary(summary));
  fmt::print("{}\n", counting_note(f.counting));
  fmt::print("totals: weights {}, outputs {}, connections {}\n", summary.total.weights, summary.total.outputs,
             summary.total.connections);
  if (f.double_input) {
    const auto doubled = an::count_total(describe_at(2 * height, 2 * width), f.counting);
    auto ratio = [](int64_t a, int64_t b) { return b == 0 ? std::string("-") : fmt::format("x{:.4g}", double(a) / b); };
    fmt::print("input doubled to {}x{}: weights {} ({}), outputs {} ({}), connections {} ({})\n", 2 * height, 2 * width,
               doubled.weights, ratio(doubled.weights, summary.total.weights), doubled.outputs,
               ratio(doubled.outputs, summary.total.outputs), doubled.connections,
               ratio(doubled.connections, summary.total.connections));
  }
  if (f.symbolic) {
    print_symbolic(an::symbolic_totals(f.model, f.config, height, width, f.counting), f.config.kernel,
                   fmt::format("{}x{} inputs", height, width));
    if (f.double_input)
      print_symbolic(an::symbolic_totals(f.model, f.config, 2 * height, 2 * width, f.counting), f.config.kernel,
                     fmt::format("{}x{} inputs", 2 * height, 2 * width));
  }
  if (!f.csv.empty()) {
    an::summary_table(summary).save(f.csv);
    fmt::print("wrote {}\n", f.csv);
  }
  if (f.verify) {
    if (!f.model.empty()) {
      auto net = models::make_model(f.model, f.config);  // fresh: the field measurement overwrites its weights
      const auto fresh = an::describe_model(net, graph.layers.front().out);
      print_verification(an::verify_graph(fresh, *net, [&net](const torch::Tensor& x) { return net->forward(x); }));
    } else {
      an::ArchitectureNet net(graph);
      print_verification(
          an::verify_graph(net->graph(), *net, [&net](const torch::Tensor& x) { return net->forward(x); }));
    }
  }
}

void add_summary(CLI::App& app) {
  auto f = std::make_shared<SummaryFlags>();
  auto* cmd = app.add_subcommand(
      "summary", "Per-layer weights, outputs, connections and receptive fields of a model or an architecture string");
  auto* model = cmd->add_option("--model", f->model, "Registry model")->check(CLI::IsMember(models::model_names()));
  auto* arch = cmd->add_option("--arch", f->arch,
                               "Architecture string, e.g. \"conv3-32,maxpool,conv3-64,maxpool,conv3-3\" or "
                               "\"fc,maxpool,fc\" (see docs/analysis.md)");
  model->excludes(arch);
  cmd->add_option("--kernel", f->config.kernel, "Kernel size of every convolution (--model)")
      ->check(CLI::Range(1, 15))
      ->capture_default_str()
      ->needs(model);
  cmd->add_option("--num-in-channels", f->config.num_in_channels, "NIC (--model)")
      ->check(CLI::Range(1, 4096))
      ->capture_default_str()
      ->needs(model);
  cmd->add_option("--num-filters", f->config.num_filters, "NF (--model)")
      ->check(CLI::Range(1, 4096))
      ->capture_default_str()
      ->needs(model);
  cmd->add_option("--num-colours", f->config.num_colours, "NC (--model)")
      ->check(CLI::Range(2, 256))
      ->capture_default_str()
      ->needs(model);
  cmd->add_option("--dilation", f->config.dilation, "Dilation of the transposed convolutions (--model)")
      ->check(CLI::Range(1, 8))
      ->capture_default_str()
      ->needs(model);
  cmd->add_option("--size", f->size, "Input height[xwidth] for --model, divisible by 4")
      ->capture_default_str()
      ->needs(model);
  cmd->add_option("--input", f->input, "Input CxHxW for --arch")->capture_default_str()->needs(arch);
  cmd->add_flag("--include-bias", f->counting.include_bias, "Count biases as weights");
  cmd->add_flag("--include-batchnorm", f->counting.include_batchnorm,
                "Count batchnorm's scale and shift as weights, its outputs and connections");
  cmd->add_flag("--include-input", f->counting.include_input, "Count the input layer's units as outputs (neurons)");
  cmd->add_flag("--symbolic", f->symbolic, "Also print the totals as polynomials in NIC, NF, NC and k (--model)");
  cmd->add_flag("--double-input", f->double_input, "Also print the totals for inputs of twice the height and width");
  cmd->add_flag("--verify", f->verify,
                "Check the numbers against the real LibTorch network: parameters, forward shapes, and the central "
                "output unit's receptive field by backpropagation");
  cmd->add_option("--csv", f->csv, "Also write the table as CSV to this file");
  cmd->callback([f] { run_summary(*f); });
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

void add_analysis(CLI::App& app, Common& common) {
  (void)common;  // the analysis commands need neither data nor threads settings
  add_summary(app);
  add_conv(app);
  add_padding(app);
}

}  // namespace tint::cli
