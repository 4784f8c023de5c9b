// Data-parallel pieces checked against one process: workers run as threads of this process, joined over loopback
// by the real TCPStore and Gloo transport.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <unistd.h>

#include <future>
#include <thread>

#include <fmt/core.h>

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

// Runs body(group) on `workers` threads, each a rank of a fresh job; rethrows the first failure. The job meets in a
// TCPStore, or in a FileStore on `store_file` when one is given (as --nproc's workers do).
void run_workers(int workers, const std::function<void(Group&)>& body, const std::string& store_file = "") {
  World base;
  base.world_size = workers;
  base.master_port = free_port();
  base.store_file = store_file;
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
      if (r == 0)
        expected.push_back(net->parameters()[i].grad().clone());
      else
        expected[i] += net->parameters()[i].grad();
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
      EXPECT_LT((ours - p.value().grad()).abs().max().item<double>(), 2e-5 * scale + 1e-12)
          << model_name << " " << p.key() << " scale " << scale;
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

// The store of a one-machine job is a file (c10d's FileStore): the same collectives, the workers counted on this
// machine, Gloo on loopback, and a leaving worker named by the others through the exit marks kept there.
TEST(Group, WorkersMeetingInAStoreFileSumCountThemselvesAndNameALeaver) {
  test::TempDir dir;
  const std::string file = (dir.path() / "store").string();
  run_workers(
      3,
      [](Group& g) {
        EXPECT_EQ(g.machine_workers(), 3);
        EXPECT_EQ(g.transport(), "Gloo over TCP on 127.0.0.1 (loopback: every worker is on this machine)");
        auto t = torch::full({5}, static_cast<float>(g.rank() + 1));
        g.allreduce_sum(t);
        EXPECT_TRUE(torch::equal(t, torch::full({5}, 6.0f)));
      },
      file);

  World base;
  base.world_size = 2;
  base.store_file = (dir.path() / "second-job").string();
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
  EXPECT_NE(message.find("rank 0 of 2: an allreduce failed: rank 1 stopped: its data directory was missing"),
            std::string::npos)
      << message;
}

// A rendezvous that not every worker reaches says how many came, in one line.
TEST(Group, ARendezvousWithoutEveryWorkerSaysHowManyCame) {
  test::TempDir dir;
  World w;
  w.world_size = 3;
  w.store_file = (dir.path() / "store").string();
  w.timeout = std::chrono::seconds(1);
  EXPECT_EQ(
      test::error_of([&] { Group g(w); }),
      fmt::format("rank 0 of 3: rendezvous in the store file {} failed within 1 s: 1 of 3 workers came", w.store_file));
}

// Sets environment variables for one test, and unsets them after.
class ScopedVariables {
 public:
  ScopedVariables(std::initializer_list<std::pair<std::string, std::string>> variables) : variables_(variables) {
    for (const auto& [name, value] : variables_) setenv(name.c_str(), value.c_str(), 1);
  }
  ScopedVariables(const ScopedVariables&) = delete;
  ScopedVariables& operator=(const ScopedVariables&) = delete;
  ~ScopedVariables() {
    for (const auto& [name, value] : variables_) unsetenv(name.c_str());
  }

 private:
  std::vector<std::pair<std::string, std::string>> variables_;
};

// What PyTorch's env:// accepts, tint accepts (issue 29 item 5): LOCAL_RANK without LOCAL_WORLD_SIZE (then below
// WORLD_SIZE); with both, LOCAL_RANK < LOCAL_WORLD_SIZE as before.
TEST(World, LocalRankNeedsNoLocalWorldSize) {
  ScopedVariables job({{"RANK", "1"},
                       {"WORLD_SIZE", "2"},
                       {"MASTER_ADDR", "127.0.0.1"},
                       {"MASTER_PORT", "29500"},
                       {"LOCAL_RANK", "1"}});
  auto w = world_from_environment();
  ASSERT_TRUE(w.has_value());
  EXPECT_EQ(w->local_rank, 1);
  EXPECT_EQ(w->local_world_size, 0);
  EXPECT_TRUE(w->store_file.empty());
  {
    ScopedVariables local({{"LOCAL_WORLD_SIZE", "1"}});
    EXPECT_NE(test::error_of([] { world_from_environment(); }).find("LOCAL_RANK='1': expected an integer in 0..0"),
              std::string::npos);
  }
  ScopedVariables beyond({{"LOCAL_RANK", "2"}});
  EXPECT_NE(test::error_of([] { world_from_environment(); }).find("LOCAL_RANK='2': expected an integer in 0..1"),
            std::string::npos);
}

// TINT_STORE_FD (what --nproc gives its workers) must name an open file of the process; MASTER_ADDR and MASTER_PORT
// are then not needed, and Gloo binds loopback whatever GLOO_SOCKET_IFNAME says.
TEST(World, AnInheritedStoreFileNeedsNoMasterAddress) {
  test::TempDir dir;
  const auto path = dir.path() / "store";
  test::write_bytes(path, "");
  const int fd = open(path.c_str(), O_RDWR);
  ASSERT_GE(fd, 0);
  {
    ScopedVariables job(
        {{"RANK", "0"}, {"WORLD_SIZE", "2"}, {"TINT_STORE_FD", std::to_string(fd)}, {"GLOO_SOCKET_IFNAME", "lo"}});
    const auto w = world_from_environment();
    ASSERT_TRUE(w.has_value());
    EXPECT_EQ(w->store_file, fmt::format("/proc/self/fd/{}", fd));
    EXPECT_EQ(bind_address(*w).address, "127.0.0.1");
  }
  close(fd);
  ScopedVariables job({{"RANK", "0"}, {"WORLD_SIZE", "2"}, {"TINT_STORE_FD", std::to_string(fd)}});
  EXPECT_NE(test::error_of([] {
              world_from_environment();
            }).find(fmt::format("TINT_STORE_FD={}: not an open file of this process", fd)),
            std::string::npos);
}

TEST(World, ThreadsPerWorkerShareTheMachinesCoresAndSayHowWhenTheLauncherDidNot) {
  World w;
  EXPECT_EQ(threads_per_worker(3, w, 2, 8).threads, 3);  // --threads
  EXPECT_EQ(threads_per_worker(3, w, 2, 8).how, "");
  w.local_world_size = 2;  // torchrun, --nproc
  EXPECT_EQ(threads_per_worker(0, w, 4, 8).threads, 4);
  EXPECT_EQ(threads_per_worker(0, w, 4, 8).how, "");
  w.local_world_size = 0;  // LOCAL_WORLD_SIZE unset: the workers counted here
  const auto choice = threads_per_worker(0, w, 3, 8);
  EXPECT_EQ(choice.threads, 2);
  EXPECT_EQ(choice.how,
            "2 threads per worker: 8 cores / 3 workers of this job on this machine (counted at the "
            "rendezvous: LOCAL_WORLD_SIZE is not set; --threads chooses)");
  EXPECT_EQ(threads_per_worker(0, w, 4, 2).threads, 1);  // never fewer than one
}

}  // namespace
}  // namespace tint::distributed
