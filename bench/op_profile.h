// Where a training step's time goes: LibTorch's (legacy, CPU) profiler around a piece of code, aggregated by operator
// into self time (an operator's time minus the operators it called), the same column PyTorch's
// key_averages().table() sorts by, so that bench/reference.py --profile prints a comparable table.
#pragma once

#include <algorithm>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include <torch/csrc/autograd/profiler_legacy.h>
#include <torch/torch.h>

namespace tint::bench {

struct OpTime {
  std::string name;
  int64_t calls = 0;
  double self_us = 0.0;
};

// Runs `body` under the profiler; returns operators by self time, largest first, and the wall time in `total_us`.
template <class F>
std::vector<OpTime> profile_ops(F&& body, double& total_us) {
  namespace prof = torch::autograd::profiler;
  prof::enableProfilerLegacy(torch::profiler::impl::ProfilerConfig(torch::profiler::impl::ProfilerState::CPU));
  const auto t0 = std::chrono::steady_clock::now();
  body();
  total_us = std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count();
  const auto lists = prof::disableProfilerLegacy();

  std::map<std::string, OpTime> by_name;
  for (const auto& events : lists) {
    // Ranges nest within a thread: a stack of open ones, each carrying the time its children took.
    struct Open {
      const prof::LegacyEvent* push;
      double children_us;
    };
    std::vector<Open> stack;
    for (const auto& e : events) {
      if (e.kind() == prof::EventKind::PushRange) {
        stack.push_back({&e, 0.0});
      } else if (e.kind() == prof::EventKind::PopRange && !stack.empty()) {
        const Open open = stack.back();
        stack.pop_back();
        const double us = open.push->cpuElapsedUs(e);
        auto& op = by_name[open.push->name()];
        op.name = open.push->name();
        op.calls += 1;
        op.self_us += us - open.children_us;
        if (!stack.empty()) stack.back().children_us += us;
      }
    }
  }
  std::vector<OpTime> ops;
  for (auto& [name, op] : by_name) ops.push_back(op);
  std::sort(ops.begin(), ops.end(), [](const OpTime& a, const OpTime& b) { return a.self_us > b.self_us; });
  return ops;
}

// The `top` largest operators as a Markdown table: self time per batch and share of the profiled wall time.
inline void print_op_table(std::FILE* out, const std::vector<OpTime>& ops, double total_us, int batches, int top) {
  std::fprintf(out, "| operator | calls/batch | self ms/batch | share |\n|---|---|---|---|\n");
  double shown = 0.0;
  for (int i = 0; i < std::min<int>(top, static_cast<int>(ops.size())); ++i) {
    shown += ops[i].self_us;
    std::fprintf(out, "| %s | %.1f | %.2f | %.1f %% |\n", ops[i].name.c_str(),
                 static_cast<double>(ops[i].calls) / batches, ops[i].self_us / 1000.0 / batches,
                 100.0 * ops[i].self_us / total_us);
  }
  double all = 0.0;
  for (const auto& op : ops) all += op.self_us;
  std::fprintf(out, "| (other operators) | | %.2f | %.1f %% |\n", (all - shown) / 1000.0 / batches,
               100.0 * (all - shown) / total_us);
  std::fprintf(out, "| (outside operators) | | %.2f | %.1f %% |\n", (total_us - all) / 1000.0 / batches,
               100.0 * (total_us - all) / total_us);
  std::fprintf(out, "| **step** | | **%.2f** | 100 %% |\n", total_us / 1000.0 / batches);
}

}  // namespace tint::bench
