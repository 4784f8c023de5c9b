// How the op tests see which path computed a result: the fused one (and which CPU variant of its kernels), or
// LibTorch's. Without these a test whose input the op no longer fuses would compare LibTorch with itself.
//
// Two independent witnesses: the custom autograd function's node in the result's graph (its backward pass is then
// the fused one), and the record that every fused kernel call leaves (src/ops/cpu_variant.h), which also covers
// calls without a graph (no grad mode, inputs without gradients).
#pragma once

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <string>
#include <unordered_set>
#include <vector>

#include "ops/cpu_variant.h"

namespace tint::test {

// Success when `function` (the custom autograd function's name, e.g. "BatchNormReLUFunction") made y: its node is
// y's grad_fn or reachable from it (an added bias, a scaled loss come after it).
inline ::testing::AssertionResult made_by(const torch::Tensor& y, const std::string& function) {
  std::vector<torch::autograd::Node*> todo;
  std::unordered_set<torch::autograd::Node*> seen;
  std::string names;
  if (y.grad_fn()) todo.push_back(y.grad_fn().get());
  while (!todo.empty()) {
    auto* node = todo.back();
    todo.pop_back();
    if (node == nullptr || !seen.insert(node).second) continue;
    const std::string name = node->name();
    if (name.find(function) != std::string::npos) return ::testing::AssertionSuccess();
    names += " " + name;
    for (const auto& edge : node->next_edges()) todo.push_back(edge.function.get());
  }
  return ::testing::AssertionFailure() << "not made by " << function
                                       << "; the graph holds:" << (names.empty() ? " nothing (no grad_fn)" : names);
}

// The CPU variants whose fused kernels ran since the last call, as bits (ops::cpu::bit); starts the record afresh.
inline unsigned take_kernels_run() { return ops::cpu::take_variants_run(); }

// Success when `ran` (from take_kernels_run()) shows that fused kernels ran, all of the selected CPU variant.
inline ::testing::AssertionResult selected_variant_ran(unsigned ran) {
  const auto selected = ops::cpu::selected_variant();
  if (ran == ops::cpu::bit(selected)) return ::testing::AssertionSuccess();
  if (ran == 0) return ::testing::AssertionFailure() << "no fused kernel ran";
  auto failure = ::testing::AssertionFailure() << "kernels ran for";
  for (auto v : ops::cpu::kVariants) {
    if (ran & ops::cpu::bit(v)) failure << " " << ops::cpu::variant_name(v);
  }
  return failure << ", but " << ops::cpu::variant_name(selected) << " is selected";
}

}  // namespace tint::test
