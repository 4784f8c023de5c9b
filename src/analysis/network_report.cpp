#include "tint/analysis/network_report.h"

#include <functional>
#include <regex>
#include <tuple>

#include <fmt/core.h>
#include <torch/torch.h>

#include "tint/analysis/architecture.h"
#include "tint/analysis/model_graph.h"
#include "tint/core/error.h"
#include "tint/models/model_table.h"

namespace tint::analysis {

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

bool NetworkReport::verified() const {
  for (const auto& c : checks) {
    if (!c.passed) return false;
  }
  return true;
}

NetworkReport analyse_network(const NetworkRequest& f) {
  if (f.model.empty() == f.arch.empty()) throw Error("give exactly one of --model and --arch");
  NetworkReport r;
  LayerGraph graph;
  std::function<LayerGraph(int64_t, int64_t)> describe_at;  // the same network for other input sizes
  if (!f.model.empty()) {
    models::validate(f.model, f.config);
    std::tie(r.height, r.width) = parse_size(f.size);
    const int nic = f.config.num_in_channels;
    graph = describe_model(models::make_model(f.model, f.config), {nic, r.height, r.width});
    r.title =
        fmt::format("model {}: kernel {}, NIC {}, NF {}, NC {}, dilation {}; input {}", f.model, f.config.kernel, nic,
                    f.config.num_filters, f.config.num_colours, f.config.dilation, to_string(graph.layers.front().out));
    describe_at = [&f, nic](int64_t h, int64_t w) {
      return describe_model(models::make_model(f.model, f.config), {nic, h, w});
    };
  } else {
    if (f.symbolic) throw Error("--symbolic needs --model (an architecture string has no free NIC, NF, NC)");
    const Shape in = parse_shape(f.input, "--input");
    r.height = in.h;
    r.width = in.w;
    graph = parse_architecture(f.arch, in);
    r.title = fmt::format("architecture {}; input {}", f.arch, to_string(in));
    describe_at = [&f, in](int64_t h, int64_t w) { return parse_architecture(f.arch, {in.c, h, w}); };
  }
  r.summary = summarize(graph, f.counting);
  if (f.double_input) r.doubled = count_total(describe_at(2 * r.height, 2 * r.width), f.counting);
  r.kernel = f.config.kernel;
  if (f.symbolic) {
    for (int64_t scale : {int64_t{1}, int64_t{2}}) {
      if (scale == 2 && !f.double_input) break;
      const int64_t h = scale * r.height, w = scale * r.width;
      r.symbolic.emplace_back(fmt::format("{}x{} inputs", h, w), symbolic_totals(f.model, f.config, h, w, f.counting));
    }
  }
  if (f.verify) {
    if (!f.model.empty()) {
      auto net = models::make_model(f.model, f.config);  // fresh: the field measurement overwrites its weights
      const auto fresh = describe_model(net, graph.layers.front().out);
      r.checks = verify_graph(fresh, *net, [&net](const torch::Tensor& x) { return net->forward(x); });
    } else {
      ArchitectureNet net(graph);
      r.checks = verify_graph(net->graph(), *net, [&net](const torch::Tensor& x) { return net->forward(x); });
    }
  }
  return r;
}

namespace {

std::string counting_note(const Counting& c) {
  return fmt::format(
      "counted: weights = kernel entries, biases {} (--include-bias), batchnorm {} "
      "(--include-batchnorm); outputs = units of each layer's output, input {} (--include-input); "
      "connections = outputs x fan-in, borders ignored",
      c.include_bias ? "included" : "excluded", c.include_batchnorm ? "included" : "excluded",
      c.include_input ? "included" : "excluded");
}

std::string format_symbolic(const SymbolicTotals& s, int kernel, const std::string& where) {
  const int k = 3;  // index of k in symbolic_variables()
  std::string out =
      fmt::format("symbolic totals for {} (NIC, NF, NC, k free; interpolated from real networks):\n", where);
  out += fmt::format("  weights     = {}\n", s.weights.to_string(k));
  out += fmt::format("  outputs     = {}\n", s.outputs.to_string(k));
  out += fmt::format("  connections = {}\n", s.connections.to_string(k));
  out += fmt::format("  at k = {}:\n", kernel);
  out += fmt::format("  weights     = {}\n", s.weights.substitute(k, kernel).to_string());
  out += fmt::format("  outputs     = {}\n", s.outputs.substitute(k, kernel).to_string());
  out += fmt::format("  connections = {}\n", s.connections.substitute(k, kernel).to_string());
  return out;
}

}  // namespace

std::string format_network_report(const NetworkReport& r) {
  const auto& total = r.summary.total;
  std::string out = fmt::format("{}\n{}", r.title, format_summary(r.summary));
  out += fmt::format("{}\n", counting_note(r.summary.counting));
  out +=
      fmt::format("totals: weights {}, outputs {}, connections {}\n", total.weights, total.outputs, total.connections);
  if (r.doubled) {
    auto ratio = [](int64_t a, int64_t b) { return b == 0 ? std::string("-") : fmt::format("x{:.4g}", double(a) / b); };
    const auto& d = *r.doubled;
    out += fmt::format("input doubled to {}x{}: weights {} ({}), outputs {} ({}), connections {} ({})\n", 2 * r.height,
                       2 * r.width, d.weights, ratio(d.weights, total.weights), d.outputs,
                       ratio(d.outputs, total.outputs), d.connections, ratio(d.connections, total.connections));
  }
  for (const auto& [label, totals] : r.symbolic) out += format_symbolic(totals, r.kernel, label);
  for (const auto& c : r.checks) {
    out += fmt::format("verify {}: {} ({})\n", c.name, c.passed ? "ok" : "FAILED", c.detail);
  }
  return out;
}

}  // namespace tint::analysis
