// Receptive fields by index-set propagation along each axis, and by gradient measurement.
#include "tint/analysis/receptive_field.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>

#include <torch/torch.h>

#include "tint/core/error.h"

namespace tint::analysis {

namespace {

int64_t floor_div(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

int64_t axis_length(const Shape& s, int axis) { return axis == 0 ? s.h : s.w; }

// The units of the input layer (along one axis) that unit `o` of layer `l` reads; may lie outside the input when
// a tap falls on padding.
std::vector<int64_t> sources(const Layer& l, int64_t o, int64_t in_length) {
  std::vector<int64_t> out;
  switch (l.kind) {
    case LayerKind::Conv:
    case LayerKind::MaxPool:
    case LayerKind::AvgPool:
      for (int t = 0; t < l.kernel; ++t) out.push_back(o * l.stride - l.pad_before + int64_t(t) * l.dilation);
      break;
    case LayerKind::ConvTranspose:
      // Input unit i reaches output i*S - p + t*d; invert for the taps that land on o.
      for (int t = 0; t < l.kernel; ++t) {
        const int64_t at = o + l.pad_before - int64_t(t) * l.dilation;
        if (at % l.stride == 0) out.push_back(at / l.stride);
      }
      break;
    case LayerKind::Upsample:
      out.push_back(floor_div(o, l.scale));
      break;
    case LayerKind::FullyConnected:
      for (int64_t i = 0; i < in_length; ++i) out.push_back(i);
      break;
    case LayerKind::BatchNorm:
    case LayerKind::ReLU:
      out.push_back(o);
      break;
    case LayerKind::Input:
    case LayerKind::Concat:
      break;
  }
  return out;
}

// Memoized fields along one axis. With `clip`, units outside a layer (padding) read nothing; without, the layers
// are treated as unbounded, which gives the border-free sizes of the classic receptive-field arithmetic.
class AxisTracer {
 public:
  AxisTracer(const LayerGraph& graph, int axis, bool clip)
      : graph_(graph), axis_(axis), clip_(clip), memo_(graph.layers.size()) {}

  const std::vector<int64_t>& field(int index, int64_t o) {
    auto found = memo_[index].find(o);
    if (found != memo_[index].end()) return found->second;
    const Layer& l = graph_.layers[index];
    std::vector<int64_t> acc;
    auto take = [&](int in, int64_t i) {
      const auto& f = field(in, i);
      acc.insert(acc.end(), f.begin(), f.end());
    };
    if (l.kind == LayerKind::Input) {
      acc.push_back(o);
    } else if (l.kind == LayerKind::Concat) {
      for (int in : l.inputs) take(in, o);
    } else {
      const int in = l.inputs.front();
      const int64_t length = axis_length(graph_.layers[in].out, axis_);
      for (int64_t i : sources(l, o, length)) {
        if (clip_ && (i < 0 || i >= length)) continue;
        take(in, i);
      }
    }
    std::sort(acc.begin(), acc.end());
    acc.erase(std::unique(acc.begin(), acc.end()), acc.end());
    return memo_[index].emplace(o, std::move(acc)).first->second;
  }

 private:
  const LayerGraph& graph_;
  int axis_;
  bool clip_;
  std::vector<std::map<int64_t, std::vector<int64_t>>> memo_;  // per layer: unit -> sorted input positions
};

double jump_of(const Layer& l, double in) {
  switch (l.kind) {
    case LayerKind::Conv:
    case LayerKind::MaxPool:
    case LayerKind::AvgPool:
      return in * l.stride;
    case LayerKind::ConvTranspose:
      return in / l.stride;
    case LayerKind::Upsample:
      return in / l.scale;
    case LayerKind::FullyConnected:
      return std::numeric_limits<double>::quiet_NaN();
    default:
      return in;
  }
}

}  // namespace

std::vector<LayerField> layer_fields(const LayerGraph& graph) {
  AxisTracer rows(graph, 0, /*clip=*/false), cols(graph, 1, /*clip=*/false);
  std::vector<LayerField> out(graph.layers.size());
  for (size_t i = 0; i < graph.layers.size(); ++i) {
    const Layer& l = graph.layers[i];
    LayerField& f = out[i];
    if (l.kind != LayerKind::Input) {
      f.jump_h = jump_of(l, out[l.inputs.front()].jump_h);
      f.jump_w = jump_of(l, out[l.inputs.front()].jump_w);
      if (l.kind == LayerKind::Concat) {
        for (int in : l.inputs) {
          // Branches at the same resolution normally share their jump; if not, there is no single jump.
          if (out[in].jump_h != f.jump_h) f.jump_h = std::numeric_limits<double>::quiet_NaN();
          if (out[in].jump_w != f.jump_w) f.jump_w = std::numeric_limits<double>::quiet_NaN();
        }
      }
    }
    auto largest = [&](AxisTracer& tracer, int64_t length) {
      int64_t best = 0;
      for (int64_t o = 0; o < length; ++o) {
        const auto& field = tracer.field(static_cast<int>(i), o);
        if (!field.empty()) best = std::max(best, field.back() - field.front() + 1);
      }
      return best;
    };
    f.size_h = largest(rows, l.out.h);
    f.size_w = largest(cols, l.out.w);
  }
  return out;
}

UnitField unit_field(const LayerGraph& graph, int index, int64_t row, int64_t col) {
  const Shape& s = graph.layers.at(index).out;
  if (row < 0 || row >= s.h || col < 0 || col >= s.w)
    throw Error("unit (" + std::to_string(row) + ", " + std::to_string(col) + ") is outside layer '" +
                graph.layers[index].name + "' of shape " + to_string(s));
  AxisTracer rows(graph, 0, /*clip=*/true), cols(graph, 1, /*clip=*/true);
  UnitField f;
  f.rows = rows.field(index, row);
  f.cols = cols.field(index, col);
  if (f.rows.empty() || f.cols.empty()) {
    // A unit that reads no row (or no column) reads no pixel at all, e.g. a transposed convolution's output
    // padding beyond the last input's reach: it is its bias alone.
    f.rows.clear();
    f.cols.clear();
  }
  f.pixels = static_cast<int64_t>(f.rows.size() * f.cols.size());
  return f;
}

void prepare_for_measurement(torch::nn::Module& module) {
  module.to(torch::kDouble);
  module.eval();
  torch::NoGradGuard no_grad;
  for (auto& p : module.parameters()) {
    if (p.dim() >= 2) {
      p.fill_(1.0 / static_cast<double>(p.numel() / p.size(0)));
    } else {
      p.fill_(1.0);
    }
  }
}

UnitField measure_field(const std::function<torch::Tensor(const torch::Tensor&)>& forward, const Shape& input,
                        int64_t channel, int64_t row, int64_t col) {
  auto x = torch::ones({1, input.c, input.h, input.w}, torch::kDouble).requires_grad_(true);  // (1, C, H, W)
  auto y = forward(x);
  TORCH_CHECK(y.dim() == 4 && channel < y.size(1) && row < y.size(2) && col < y.size(3), "unit (", channel, ", ", row,
              ", ", col, ") is outside the output ", y.sizes());
  y.index({0, channel, row, col}).backward();
  auto reached = x.grad().abs().sum(/*dim=*/1).select(0, 0) > 0;  // (H, W)
  auto to_vector = [](const torch::Tensor& mask) {
    auto idx = mask.nonzero().flatten().contiguous().to(torch::kLong);
    return std::vector<int64_t>(idx.data_ptr<int64_t>(), idx.data_ptr<int64_t>() + idx.numel());
  };
  UnitField f;
  f.rows = to_vector(reached.any(/*dim=*/1));
  f.cols = to_vector(reached.any(/*dim=*/0));
  f.pixels = reached.sum().item<int64_t>();
  return f;
}

namespace {

UnitField field_of(const std::vector<char>& reached, int64_t height, int64_t width) {
  UnitField f;
  std::vector<char> rows(height, 0), cols(width, 0);
  for (int64_t r = 0; r < height; ++r) {
    for (int64_t c = 0; c < width; ++c) {
      if (!reached[r * width + c]) continue;
      rows[r] = cols[c] = 1;
      ++f.pixels;
    }
  }
  for (int64_t r = 0; r < height; ++r)
    if (rows[r]) f.rows.push_back(r);
  for (int64_t c = 0; c < width; ++c)
    if (cols[c]) f.cols.push_back(c);
  return f;
}

}  // namespace

UnitField measure_field_by_raising(const std::function<torch::Tensor(const torch::Tensor&)>& forward,
                                   const Shape& input, int64_t channel, int64_t row, int64_t col,
                                   const UnitField& candidates) {
  torch::NoGradGuard no_grad;
  const int64_t h = input.h, w = input.w;
  const auto unit = [&](const torch::Tensor& y) {  // (N) the unit of each image of the batch
    TORCH_CHECK(y.dim() == 4 && channel < y.size(1) && row < y.size(2) && col < y.size(3), "unit (", channel, ", ", row,
                ", ", col, ") is outside the output ", y.sizes());
    return y.select(1, channel).select(1, row).select(1, col);
  };
  const double base = unit(forward(torch::ones({1, input.c, h, w}, torch::kDouble))).item<double>();
  // Raising a connected pixel moves the unit by many orders of magnitude; rounding moves the others by ~1e-16.
  const double tolerance = 1e-6 * (1.0 + std::abs(base));
  std::vector<char> reached(h * w, 0);
  // Images of `pixels` (each a list of pixels raised together), in batches of at most 2^16 input pixels.
  const auto changes = [&](const std::vector<std::vector<int64_t>>& images) {
    std::vector<char> changed;
    const int64_t batch = std::max<int64_t>(1, (int64_t{1} << 16) / (h * w));
    for (size_t start = 0; start < images.size(); start += batch) {
      const int64_t n = std::min<int64_t>(batch, static_cast<int64_t>(images.size() - start));
      auto x = torch::ones({n, input.c, h * w}, torch::kDouble);  // (N, C, H*W)
      auto a = x.accessor<double, 3>();
      for (int64_t i = 0; i < n; ++i)
        for (int64_t p : images[start + i])
          for (int64_t c = 0; c < input.c; ++c) a[i][c][p] += kFieldRaise;
      const auto u = unit(forward(x.view({n, input.c, h, w})));
      for (int64_t i = 0; i < n; ++i) changed.push_back(std::abs(u[i].item<double>() - base) > tolerance);
    }
    return changed;
  };
  const auto one_by_one = [&](const std::vector<int64_t>& pixels) {
    std::vector<std::vector<int64_t>> images;
    for (int64_t p : pixels) images.push_back({p});
    const auto changed = changes(images);
    for (size_t i = 0; i < pixels.size(); ++i) reached[pixels[i]] = changed[i];
  };
  std::vector<char> candidate(h * w, 0);
  std::vector<int64_t> inside, outside;
  for (int64_t r : candidates.rows)
    for (int64_t c : candidates.cols)
      if (r >= 0 && r < h && c >= 0 && c < w) candidate[r * w + c] = 1;
  for (int64_t p = 0; p < h * w; ++p) (candidate[p] ? inside : outside).push_back(p);
  one_by_one(inside);
  if (!outside.empty() && changes({outside}).front()) one_by_one(outside);
  return field_of(reached, h, w);
}

}  // namespace tint::analysis
