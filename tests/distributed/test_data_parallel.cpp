// Data-parallel pieces checked against one process: workers run as threads of this process, joined over loopback
// by the real TCPStore and Gloo transport.
#include <gtest/gtest.h>

#include <future>
#include <thread>

#include <torch/torch.h>

#include "support/test_support.h"
#include "tint/distributed/data_parallel.h"
#include "tint/distributed/gradient_reducer.h"
#include "tint/distributed/group.h"
#include "tint/distributed/launcher.h"
#include "tint/distributed/world.h"
#include "tint/models/layers.h"
#include "tint/models/model_table.h"
#include "tint/train/loss.h"

namespace tint::distributed {
namespace {

// Runs body(group) on `workers` threads, each a rank of a fresh job; rethrows the first failure.
void run_workers(int workers, const std::function<void(Group&)>& body) {
  World base;
  base.world_size = workers;
  base.master_port = free_port();
  base.timeout = std::chrono::seconds(20);
  std::vector<std::future<void>> done;
  for (int r = 0; r < workers; ++r) {
    done.push_back(std::async(std::launch::async, [=] {
      World w = base;
      w.rank = r;
      Group group(w);
      body(group);
      group.barrier();
    }));
  }
  for (auto& d : done) d.get();
}

TEST(Group, SumsBroadcastsAndSendsBytes) {
  run_workers(3, [](Group& g) {
    auto t = torch::full({5}, static_cast<float>(g.rank() + 1));
    g.allreduce_sum(t);
    EXPECT_TRUE(torch::equal(t, torch::full({5}, 6.0f)));
    auto b = torch::full({2}, static_cast<double>(g.rank() * 10));
    g.broadcast(b, /*root=*/2);
    EXPECT_TRUE(torch::equal(b, torch::full({2}, 20.0, torch::kFloat64)));
    const std::string sent(100000, 'x');
    EXPECT_EQ(g.broadcast_bytes(g.rank() == 1 ? sent + "1" : std::string("ignored"), 1), sent + "1");
    EXPECT_EQ(g.broadcast_bytes(""), "");
  });
}

TEST(DataParallel, ShareMatchesTheRuleOnRealWorkers) {
  run_workers(3, [](Group& g) {
    DataParallel dp(&g);
    // Contiguous, in rank order, the first (count % workers) holding one more; a worker may hold none.
    const std::vector<std::tuple<int64_t, int64_t, std::vector<int64_t>>> cases{
        {10, 18, {10, 13, 16, 18}}, {0, 2, {0, 1, 2, 2}}, {5, 5, {5, 5, 5, 5}}, {0, 300, {0, 100, 200, 300}}};
    for (const auto& [begin, end, bounds] : cases) {
      const auto [first, last] = dp.share(begin, end);
      EXPECT_EQ(first, bounds[g.rank()]) << begin << ".." << end;
      EXPECT_EQ(last, bounds[g.rank() + 1]) << begin << ".." << end;
    }
  });
}

// A small network with parameters of many sizes, so that tiny buckets split it in several.
torch::nn::Sequential small_net() {
  torch::manual_seed(3);
  return torch::nn::Sequential(torch::nn::Linear(6, 40), torch::nn::Tanh(), torch::nn::Linear(40, 30),
                               torch::nn::Tanh(), torch::nn::Linear(30, 2));
}

TEST(GradientReducer, SumsEveryGradientAcrossWorkersInSeveralBuckets) {
  torch::manual_seed(11);
  const auto inputs = torch::randn({2, 16, 6});
  // Reference: each worker's gradient computed alone, then added.
  std::vector<torch::Tensor> expected;
  for (int r = 0; r < 2; ++r) {
    auto net = small_net();
    net->forward(inputs[r]).square().sum().backward();
    for (size_t i = 0; i < net->parameters().size(); ++i) {
      if (r == 0) expected.push_back(net->parameters()[i].grad().clone());
      else expected[i] += net->parameters()[i].grad();
    }
  }
  // Built here, not in the workers: LibTorch's global generator is shared by threads, so seeding and drawing in two
  // threads at once would interleave the draws.
  std::vector<torch::nn::Sequential> nets{small_net(), small_net()};
  run_workers(2, [&](Group& g) {
    auto net = nets[g.rank()];
    BucketOptions small;
    small.first_bucket_bytes = 200;
    small.bucket_bytes = 3000;
    GradientReducer reducer(g, net->parameters(), small);
    EXPECT_GE(reducer.bucket_count(), 3);
    for (int step = 0; step < 2; ++step) {  // twice: a second step reuses the buckets
      for (auto& p : net->parameters()) p.mutable_grad() = torch::Tensor();
      reducer.prepare();
      net->forward(inputs[g.rank()]).square().sum().backward();
      reducer.finish();
      for (size_t i = 0; i < expected.size(); ++i) {
        EXPECT_TRUE(torch::allclose(net->parameters()[i].grad(), expected[i], 1e-5, 1e-6)) << "parameter " << i;
      }
    }
  });
}

TEST(GradientReducer, AWorkerWithoutImagesContributesZeros) {
  torch::manual_seed(12);
  const auto inputs = torch::randn({16, 6});
  auto reference = small_net();
  reference->forward(inputs).square().sum().backward();
  std::vector<torch::nn::Sequential> nets{small_net(), small_net()};  // see above: not in the threads
  run_workers(2, [&](Group& g) {
    auto net = nets[g.rank()];
    GradientReducer reducer(g, net->parameters());
    reducer.prepare();
    if (g.rank() == 0) net->forward(inputs).square().sum().backward();
    reducer.finish();
    for (size_t i = 0; i < net->parameters().size(); ++i) {
      EXPECT_TRUE(torch::allclose(net->parameters()[i].grad(), reference->parameters()[i].grad(), 1e-5, 1e-6));
    }
  });
}

// One step of a colourization network: N workers each with its share of the batch and synchronised batchnorm give
// one process's gradients and batchnorm statistics on the whole batch.
void expect_sync_batchnorm_matches_one_process(const std::string& model_name) {
  models::ModelConfig config;
  torch::manual_seed(5);
  const auto grey = torch::rand({6, 1, 32, 32});
  const auto ids = torch::randint(0, config.num_colours, {6, 32, 32}, torch::kInt64);
  torch::manual_seed(1);
  auto single = models::make_model(model_name, config);
  train::pixel_cross_entropy(single->forward(grey), ids).backward();
  std::vector<models::ColourNet> replicas;  // see above: built before the worker threads start
  for (int r = 0; r < 2; ++r) {
    torch::manual_seed(1);
    replicas.push_back(models::make_model(model_name, config));
  }
  run_workers(2, [&](Group& g) {
    auto model = replicas[g.rank()];
    DataParallel dp(&g);
    models::set_sync_batch_norm(*model, dp.tensor_sum());
    dp.attach(*model);
    dp.before_backward();
    const int64_t first = g.rank() == 0 ? 0 : 4, last = g.rank() == 0 ? 4 : 6;  // unequal shares
    auto loss = train::pixel_cross_entropy(model->forward(grey.slice(0, first, last)), ids.slice(0, first, last),
                                           /*sum=*/true) /
                static_cast<double>(ids.numel());
    loss.backward();
    dp.after_backward();
    const auto params = model->named_parameters();
    for (const auto& p : single->named_parameters()) {
      const auto& ours = params[p.key()].grad();
      const double scale = p.value().grad().abs().max().item<double>();
      EXPECT_LT((ours - p.value().grad()).abs().max().item<double>(), 2e-5 * scale + 1e-12) << model_name << " " << p.key() << " scale " << scale;
    }
    const auto buffers = model->named_buffers();
    for (const auto& b : single->named_buffers()) {
      EXPECT_TRUE(torch::allclose(buffers[b.key()].to(torch::kFloat64), b.value().to(torch::kFloat64), 1e-5, 1e-6))
          << model_name << " " << b.key();
    }
  });
}

TEST(SyncBatchNorm, EveryModelMatchesOneProcessOnTheWholeBatch) {
  for (const auto& name : models::model_names()) expect_sync_batchnorm_matches_one_process(name);
}

// GLOO_SOCKET_IFNAME picks the interface (read by tint itself: LibTorch's C++ API does not); TINT_BIND_ADDR an address;
// without either, the address that routes to MASTER_ADDR.
TEST(Group, BindsTheInterfaceOrAddressTheEnvironmentNames) {
  World w;
  w.master_addr = "127.0.0.1";
  setenv("GLOO_SOCKET_IFNAME", "lo", 1);
  setenv("TINT_BIND_ADDR", "127.0.0.9", 1);
  auto chosen = bind_address(w);
  EXPECT_EQ(chosen.interface, "lo");
  EXPECT_EQ(chosen.reason, "GLOO_SOCKET_IFNAME=lo");
  run_workers(2, [](Group& g) {
    EXPECT_NE(g.transport().find("Gloo over TCP on lo (GLOO_SOCKET_IFNAME=lo)"), std::string::npos) << g.transport();
    auto t = torch::ones({3});
    g.allreduce_sum(t);
    EXPECT_TRUE(torch::equal(t, torch::full({3}, 2.0f)));
  });
  unsetenv("GLOO_SOCKET_IFNAME");
  chosen = bind_address(w);
  EXPECT_EQ(chosen.address, "127.0.0.9");
  setenv("TINT_BIND_ADDR", "not-an-address", 1);
  EXPECT_NE(test::error_of([&] { bind_address(w); }).find("TINT_BIND_ADDR='not-an-address': expected a numeric"),
            std::string::npos);
  unsetenv("TINT_BIND_ADDR");
  w.master_addr = "127.0.0.5";
  EXPECT_EQ(bind_address(w).address, "127.0.0.1");  // the kernel reaches 127/8 from 127.0.0.1
  EXPECT_EQ(bind_address(w).reason, "the local address that routes to MASTER_ADDR=127.0.0.5");
}

TEST(Group, AWorkerThatLeavesIsNamedByTheOthers) {
  World base;
  base.world_size = 2;
  base.master_port = free_port();
  base.timeout = std::chrono::seconds(20);
  auto leaver = std::async(std::launch::async, [&] {
    World w = base;
    w.rank = 1;
    Group g(w);
    g.leave("its data directory was missing");
  });
  World w = base;
  Group g(w);
  auto t = torch::ones({4});
  const auto message = test::error_of([&] { g.allreduce_sum(t); });
  leaver.get();
  EXPECT_NE(message.find("rank 1 stopped: its data directory was missing"), std::string::npos) << message;
  EXPECT_NE(message.find("rank 0 of 2"), std::string::npos) << message;
}

}  // namespace
}  // namespace tint::distributed
