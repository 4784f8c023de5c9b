// tint's side of the data-parallel comparison (bench/data_parallel_compare.py runs it in turns with
// bench/data_parallel_reference.py, PyTorch's DistributedDataParallel). Prints one JSON line (rank 0's).
//
//   train      a training step exactly as `tint train` takes it (src/train/trainer.cpp): each worker its share of
//              every global batch, buffers broadcast from rank 0, DataParallel's gradient buckets, the loss summed
//              over workers, Adam. After --warmup steps, times up to --steps steps (or as many as rank 0 fits in
//              --seconds), per step: forward, backward (autograd hooks start the bucket allreduces), finish
//              (after_backward; ReduceStats::wait_seconds is the part spent waiting for communication that backward
//              did not hide), the buffer broadcast, the loss sum and the optimizer. After every --probe-every steps
//              comes one step of an identical model that no reducer is attached to: the same compute without any
//              communication, so step - probe is what synchronisation costs per step.
//   allreduce  Group::allreduce_sum of 4 KB .. 64 MB float32 tensors between the workers: median time per call.
//   count-weights  the trained parameters of darknet cfgs (the gradient size of a bigger network, for the
//              communication model).
//
// --nproc N > 1 starts N workers of the same command through distributed::launch_local (as `tint train --nproc`:
// each is this binary, exec'd with the torchrun variables RANK, WORLD_SIZE, MASTER_ADDR=127.0.0.1, MASTER_PORT),
// so every worker is a process of its own; the launcher itself never touches LibTorch.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <torch/torch.h>
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "tint/core/error.h"
#include "tint/core/runtime.h"
#include "tint/data/cifar10.h"
#include "tint/data/palette.h"
#include "tint/detect/darknet_cfg.h"
#include "tint/detect/darknet_model.h"
#include "tint/distributed/data_parallel.h"
#include "tint/distributed/group.h"
#include "tint/distributed/launcher.h"
#include "tint/distributed/world.h"
#include "tint/models/colour_net.h"
#include "tint/models/model_table.h"
#include "tint/train/dataset.h"
#include "tint/train/loss.h"

namespace {

using Clock = std::chrono::steady_clock;
using tint::distributed::DataParallel;
using tint::distributed::Group;

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

double median(std::vector<double> v) {
  if (v.empty()) return 0.0;
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 == 1 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

struct TrainOptions {
  std::string data = TINT_EMBEDDED_DATA, model = "conv-transpose";
  int batch = 100, steps = 300, warmup = 5, probe_every = 4, colours = 24;
  double seconds = 0.0;  // > 0: rank 0 stops the timed steps after this long
  int64_t first_bucket_kb = 1024, bucket_kb = 25 * 1024;
};

struct AllreduceOptions {
  std::vector<int64_t> sizes_kb{4, 16, 64, 256, 1024, 4096, 16384, 65536};
  int64_t budget_mb = 64;  // each size: max(5, min(100, budget / size)) calls after 2 warm-up calls
};

// What the gradient allreduce moves: every parameter that trains (kernels, biases, batchnorm scales and shifts).
int64_t trained_parameters(const torch::nn::Module& model) {
  int64_t total = 0;
  for (const auto& p : model.parameters())
    if (p.requires_grad()) total += p.numel();
  return total;
}

// The per-worker medians of `values` (ms), gathered on every worker: [rank 0's, rank 1's, ...].
std::vector<double> per_rank(DataParallel& dp, const std::vector<double>& values) {
  std::vector<double> slots(dp.size(), 0.0);
  slots[dp.rank()] = 1000.0 * median(values);
  dp.sum(slots);
  return slots;
}

nlohmann::json run_train(const TrainOptions& o, Group* group, int threads) {
  DataParallel dp(group);
  torch::manual_seed(0);
  auto images = tint::data::read_cifar10(o.data, tint::data::Split::Train).images;
  tint::data::Palette palette(torch::rand({o.colours, 3}));
  auto set = tint::train::prepare(images, palette);
  const tint::models::ModelConfig shape{3, 1, 32, o.colours};
  auto make = [&] {
    auto m = tint::models::make_model(o.model, shape);
    m->set_memory_format(torch::MemoryFormat::ChannelsLast);  // tint's default
    m->train();
    return m;
  };
  auto model = make();
  torch::optim::Adam optimizer(model->parameters(), torch::optim::AdamOptions(0.001));
  dp.attach(*model, {o.first_bucket_kb * 1024, o.bucket_kb * 1024});
  const int64_t n = set.size(), pixels = set.ids.size(1) * set.ids.size(2);

  // An identical model that no reducer is attached to: its steps are this worker's compute alone.
  auto local = make();
  torch::optim::Adam local_optimizer(local->parameters(), torch::optim::AdamOptions(0.001));
  const bool probing = dp.distributed() && o.probe_every > 0;

  struct Times {
    std::vector<double> step, forward, backward, finish, wait, broadcast, loss_sum, optimizer, probe;
  } t;
  const auto timed_start = Clock::now();
  // One global batch b, as the trainer takes it: this worker's contiguous share, the loss scaled so that the summed
  // gradients are the global batch's mean. Returns whether to stop: rank 0's time budget is spent, carried in the
  // slot where the trainer sums its interrupt flag, so that every worker stops after the same step.
  auto step = [&](int64_t b, bool record) {
    const auto [first, last] = dp.share(b * o.batch, (b + 1) * o.batch);
    auto idx = torch::arange(first, last).remainder(n);
    const auto t0 = Clock::now();
    optimizer.zero_grad();
    dp.broadcast_buffers();
    const double broadcast = seconds_since(t0);
    dp.before_backward();
    auto t1 = Clock::now();
    auto logits = model->forward(set.grey.index_select(0, idx));  // (B, NC, H, W)
    auto target = set.ids.index_select(0, idx);                   // (B, H, W)
    auto loss = dp.distributed()
                    ? tint::train::pixel_cross_entropy(logits, target, /*sum=*/true) / double(o.batch * pixels)
                    : tint::train::pixel_cross_entropy(logits, target);
    const double forward = seconds_since(t1);
    t1 = Clock::now();
    loss.backward();
    const double backward = seconds_since(t1);
    t1 = Clock::now();
    dp.after_backward();
    const double finish = seconds_since(t1);
    t1 = Clock::now();
    const bool out_of_time = record && o.seconds > 0 && dp.leader() && seconds_since(timed_start) > o.seconds;
    std::vector<double> values{loss.item<double>(), out_of_time ? 1.0 : 0.0};  // the trainer's [loss, interrupt]
    dp.sum(values);
    const double loss_sum = seconds_since(t1);
    t1 = Clock::now();
    optimizer.step();
    const double optimize = seconds_since(t1);
    if (record) {
      t.step.push_back(seconds_since(t0));
      t.forward.push_back(forward);
      t.backward.push_back(backward);
      t.finish.push_back(finish);
      t.wait.push_back(dp.reducer() ? dp.reducer()->last_step().wait_seconds : 0.0);
      t.broadcast.push_back(broadcast);
      t.loss_sum.push_back(loss_sum);
      t.optimizer.push_back(optimize);
    }
    return values[1] > 0;
  };
  auto local_step = [&](int64_t b) {
    const auto [first, last] = dp.share(b * o.batch, (b + 1) * o.batch);
    auto idx = torch::arange(first, last).remainder(n);
    const auto t0 = Clock::now();
    local_optimizer.zero_grad();
    auto loss = tint::train::pixel_cross_entropy(local->forward(set.grey.index_select(0, idx)),
                                                 set.ids.index_select(0, idx), /*sum=*/true) /
                double(o.batch * pixels);
    loss.backward();
    loss.item<double>();
    local_optimizer.step();
    return seconds_since(t0);
  };
  for (int b = 0; b < o.warmup; ++b) step(b, false);
  for (int b = 0; probing && b < 2; ++b) local_step(b);
  if (group) group->barrier();
  // The probe steps come between the timed steps, so that they see the same load; barriers keep them apart from
  // the synchronised steps, and their time is left out of images/s.
  int steps = 0;
  double elapsed = 0.0;
  auto segment = Clock::now();
  for (int s = 0; s < o.steps; ++s) {
    const bool stop = step(o.warmup + s, true);
    ++steps;
    if (stop) break;
    if (probing && (s + 1) % o.probe_every == 0 && s + 1 < o.steps) {
      elapsed += seconds_since(segment);
      group->barrier();
      t.probe.push_back(local_step(o.warmup + s));
      group->barrier();
      segment = Clock::now();
    }
  }
  if (group) group->barrier();
  elapsed += seconds_since(segment);

  const auto ms = [](const std::vector<double>& v) { return 1000.0 * median(v); };
  // Means too: they add up to the step (and to images/s) where medians do not, since a step waits for the slower
  // worker and so catches either worker's preemptions on a loaded machine.
  const auto mean_ms = [](const std::vector<double>& v) {
    double sum = 0.0;
    for (double x : v) sum += x;
    return v.empty() ? 0.0 : 1000.0 * sum / static_cast<double>(v.size());
  };
  const nlohmann::json means{
      {"step", mean_ms(t.step)},         {"forward", mean_ms(t.forward)},     {"backward", mean_ms(t.backward)},
      {"finish", mean_ms(t.finish)},     {"wait", mean_ms(t.wait)},           {"broadcast", mean_ms(t.broadcast)},
      {"loss_sum", mean_ms(t.loss_sum)}, {"optimizer", mean_ms(t.optimizer)}, {"probe_step", mean_ms(t.probe)}};
  const auto* reducer = dp.reducer();
  return {{"impl", "tint"},
          {"mode", "train"},
          {"model", o.model},
          {"nproc", dp.size()},
          {"threads", threads},
          {"global_batch", o.batch},
          {"steps", steps},
          {"probe_steps", t.probe.size()},
          {"images_per_s", o.batch * steps / elapsed},
          {"parameters", trained_parameters(*model)},
          {"allreduce_bytes", reducer ? reducer->last_step().bytes : 0},
          {"buckets", reducer ? reducer->bucket_count() : 0},
          {"step_ms", ms(t.step)},
          {"forward_ms", ms(t.forward)},
          {"backward_ms", ms(t.backward)},
          {"finish_ms", ms(t.finish)},
          {"wait_ms", ms(t.wait)},
          {"broadcast_ms", ms(t.broadcast)},
          {"loss_sum_ms", ms(t.loss_sum)},
          {"optimizer_ms", ms(t.optimizer)},
          {"probe_step_ms", ms(t.probe)},
          {"mean_ms", means},
          {"wait_ms_by_rank", per_rank(dp, t.wait)},
          {"compute_ms_by_rank",
           [&] {
             std::vector<double> compute(t.forward.size());
             for (size_t i = 0; i < compute.size(); ++i) compute[i] = t.forward[i] + t.backward[i];
             return per_rank(dp, compute);
           }()},
          {"probe_step_ms_by_rank", per_rank(dp, t.probe)}};
}

nlohmann::json run_allreduce(const AllreduceOptions& o, Group& group, int threads) {
  nlohmann::json sizes = nlohmann::json::array();
  torch::manual_seed(0);
  for (const int64_t kb : o.sizes_kb) {
    const int64_t bytes = kb * 1024;
    const int calls = static_cast<int>(std::clamp<int64_t>(o.budget_mb * 1024 / kb, 5, 100));
    auto tensor = torch::rand({bytes / 4});
    for (int i = 0; i < 2; ++i) group.allreduce_sum(tensor);
    std::vector<double> times;
    group.barrier();
    for (int i = 0; i < calls; ++i) {
      const auto t0 = Clock::now();
      group.allreduce_sum(tensor);
      times.push_back(seconds_since(t0));
    }
    const double s = median(times);
    sizes.push_back({{"bytes", bytes}, {"calls", calls}, {"ms", 1000.0 * s}, {"gbytes_per_s", bytes / s / 1e9}});
  }
  return {{"impl", "tint"}, {"mode", "allreduce"}, {"nproc", group.size()}, {"threads", threads}, {"sizes", sizes}};
}

nlohmann::json count_weights(const std::vector<std::string>& cfgs) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& path : cfgs) {
    tint::detect::DarknetModel model(tint::detect::read_cfg(path));
    const int64_t trained = trained_parameters(*model);
    out.push_back({{"cfg", path}, {"parameters", trained}, {"gradient_bytes", trained * 4}});
  }
  return out;
}

// The command line without --nproc and its value: what each worker runs.
std::vector<std::string> worker_arguments(int argc, char** argv) {
  std::vector<std::string> kept;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--nproc") {
      ++i;
      continue;
    }
    if (a.rfind("--nproc=", 0) == 0) continue;
    kept.push_back(a);
  }
  return kept;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"tint data-parallel throughput and allreduce bandwidth (one JSON line from rank 0)"};
  app.require_subcommand(1);
  int nproc = 1, threads = 1;
  TrainOptions train;
  AllreduceOptions allreduce;
  std::vector<std::string> cfgs;
  for (auto* cmd : {app.add_subcommand("train", "training steps, as tint train takes them"),
                    app.add_subcommand("allreduce", "Group::allreduce_sum bandwidth between the workers")}) {
    cmd->add_option("--nproc", nproc, "workers, each a process of its own")->check(CLI::Range(1, 64));
    cmd->add_option("--threads", threads, "LibTorch threads per worker")->check(CLI::Range(1, 256));
  }
  auto* t = app.get_subcommand("train");
  t->add_option("--data", train.data, "CIFAR-10 folder (default: the embedded horses)");
  t->add_option("--model", train.model);
  t->add_option("--batch", train.batch, "global batch, shared by the workers")->check(CLI::Range(1, 100000));
  t->add_option("--steps", train.steps, "timed steps (at most)")->check(CLI::Range(1, 100000));
  t->add_option("--seconds", train.seconds, "stop the timed steps after this long (0: no limit)")
      ->check(CLI::Range(0.0, 1e6));
  t->add_option("--warmup", train.warmup)->check(CLI::Range(0, 1000));
  t->add_option("--probe-every", train.probe_every,
                "after every this many steps, one step of an unsynchronised copy (compute alone; 0: none)")
      ->check(CLI::Range(0, 100000));
  t->add_option("--first-bucket-kb", train.first_bucket_kb, "DDP: 1024")->check(CLI::Range(1, 1 << 20));
  t->add_option("--bucket-kb", train.bucket_kb, "DDP: 25600")->check(CLI::Range(1, 1 << 20));
  auto* a = app.get_subcommand("allreduce");
  a->add_option("--sizes-kb", allreduce.sizes_kb)->delimiter(',')->check(CLI::Range(int64_t{1}, int64_t{1} << 22));
  a->add_option("--budget-mb", allreduce.budget_mb, "calls per size: max(5, min(100, budget / size))")
      ->check(CLI::Range(1, 1 << 20));
  app.add_subcommand("count-weights", "trained weights of darknet models")
      ->add_option("cfg", cfgs, "darknet .cfg files")
      ->required();
  CLI11_PARSE(app, argc, argv);

  try {
    if (app.got_subcommand("count-weights")) {
      std::printf("%s\n", count_weights(cfgs).dump().c_str());
      return 0;
    }
    const auto world = tint::distributed::world_from_environment();
    if (!world && nproc > 1) {
      const auto result = tint::distributed::launch_local(nproc, worker_arguments(argc, argv),
                                                          tint::distributed::timeout_from_environment());
      for (const auto& w : result.workers)
        if (w.signal != 0 || w.exit_code != 0) std::fprintf(stderr, "%s\n", w.describe().c_str());
      return result.exit_code();
    }
    tint::configure_threads(threads);
    tint::tune_allocator();  // as the tint binary does
    std::unique_ptr<Group> group;
    if (world && world->world_size > 1) group = std::make_unique<Group>(*world);
    nlohmann::json result;
    if (app.got_subcommand("train")) {
      result = run_train(train, group.get(), threads);
    } else {
      if (!group) throw tint::Error("allreduce: needs --nproc 2 or more (or the torchrun environment)");
      result = run_allreduce(allreduce, *group, threads);
    }
    if (group) {
      group->barrier();
      group->leave("finished");
    }
    if (!world || world->rank == 0) std::printf("%s\n", result.dump().c_str());
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "tint_data_parallel_throughput: %s\n", e.what());
    return 2;
  }
}
